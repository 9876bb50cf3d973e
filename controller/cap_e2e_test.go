package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"testing"
	"time"
)

// TestCAPFeedReachesItsGroupAndEnds, with real processes: an admin
// registers a CAP feed served by a local HTTP server, its Vietnamese alert
// maps by place name to a group; the controller (--demo allows feeds on
// loopback) polls it, sends the notice to that group only, and the screen
// of the group shows it above its rotation; the feed's Cancel ends it and
// the screen goes back to its rotation.
func TestCAPFeedReachesItsGroupAndEnds(t *testing.T) {
	e := newRuntimeEnv(t)
	admin := newClient(t, "http://"+e.addr, nil)
	admin.login("admin", "pano-demo-57")

	g := e.tech.call("POST", "/groups", map[string]any{"name": "Ven biển"}, 201)
	coast := e.display("ven-bien", 128, 64)
	inland := e.display("noi-dong", 128, 64)
	e.tech.call("PATCH", fmt.Sprintf("/displays/%d", coast), map[string]any{"group_id": g["id"]}, 200)
	e.rotation(coast, 50, 60_000, "Giờ mở cửa chợ")
	ag, state := e.agent("ven-bien", 128, 64, "virtual", nil)
	waitSynced(t, ag, 1, 1)

	ict := time.FixedZone("+07", 7*3600)
	now := time.Now().In(ict).Truncate(time.Second)
	sent := now.Format("2006-01-02T15:04:05-07:00")
	alert := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>VN-E2E-1</identifier><sender>canhbao@khituong.example.vn</sender><sent>%s</sent>
  <status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
  <info><language>en</language><category>Met</category><event>Storm</event>
    <urgency>Immediate</urgency><severity>Extreme</severity><certainty>Observed</certainty>
    <expires>%s</expires><headline>Storm</headline><area><areaDesc>Coast</areaDesc></area></info>
  <info><language>vi-VN</language><category>Met</category><event>Bão</event>
    <urgency>Immediate</urgency><severity>Extreme</severity><certainty>Observed</certainty>
    <expires>%[2]s</expires><headline>BÃO KHẨN CẤP</headline><description>Không ra biển.</description>
    <area><areaDesc>Xã Ven Biển</areaDesc></area></info>
</alert>`, sent, now.Add(time.Hour).Format("2006-01-02T15:04:05-07:00"))
	cancel := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>VN-E2E-2</identifier><sender>canhbao@khituong.example.vn</sender><sent>%s</sent>
  <status>Actual</status><msgType>Cancel</msgType><scope>Public</scope>
  <references>canhbao@khituong.example.vn,VN-E2E-1,%[1]s</references>
</alert>`, sent)
	var mu sync.Mutex
	doc := alert
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "application/cap+xml")
		w.Write([]byte(doc))
	}))
	defer srv.Close()

	f := admin.call("POST", "/cap-feeds", map[string]any{"name": "Khí tượng", "url": srv.URL + "/cap.xml", "interval_s": 3600, "auto_publish": true,
		"areas": []map[string]any{{"kind": "desc", "value": "Ven Biển", "group_id": g["id"]}}}, 201)
	polled := admin.call("POST", fmt.Sprintf("/cap-feeds/%v/poll", f["id"]), nil, 200)
	if polled["last_result"] != "ok" || polled["last_error"] != "" {
		t.Fatalf("poll: %v", polled)
	}
	waitSynced(t, ag, 2, 1)

	urgentAsset := func(id int64) string {
		for _, pl := range e.plan(id).Playlists {
			if pl.ID < 0 {
				return pl.Items[0].Asset
			}
		}
		return ""
	}
	shows := func(sha string) bool {
		want := decodeRGBA(t, e.asset(state, sha))
		for try := 0; try < 20; try++ {
			if bytes.Equal(e.screenshot(coast).Pix, want.Pix) {
				return true
			}
		}
		return false
	}
	sha := urgentAsset(coast)
	if sha == "" || !shows(sha) {
		t.Fatalf("the group's screen does not show the alert (asset %q)", sha)
	}
	if urgentAsset(inland) != "" {
		t.Fatal("the alert reached a screen outside its area")
	}

	mu.Lock()
	doc = cancel
	mu.Unlock()
	admin.call("POST", fmt.Sprintf("/cap-feeds/%v/poll", f["id"]), nil, 200)
	ag.waitLine(t, regexp.MustCompile(`msg="new plan" revision=\d+ entries=1 `), 2) // the rotation alone again
	if urgentAsset(coast) != "" {
		t.Fatal("the cancelled alert is still in the plan")
	}
	if normal := e.plan(coast).Playlists[0].Items[0].Asset; !shows(normal) {
		t.Fatal("the screen did not go back to its rotation")
	}
}
