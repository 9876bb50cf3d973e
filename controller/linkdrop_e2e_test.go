package main

import (
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/pano-signage/pano/controller/internal/cutlink"
)

// TestDownloadCutByALinkDropResumesOnReconnect: a link drop of one second
// in the middle of a download delays the new content by the drop and the
// reconnect, not until the agent's next periodic resync (5 minutes); and
// the agent's log says how many bytes arrived before the cut.
func TestDownloadCutByALinkDropResumesOnReconnect(t *testing.T) {
	e := newRuntimeEnv(t)
	id := e.display("cau-moi", 128, 64)
	e.rotation(id, 50, 60_000, "Lịch tiêm chủng tháng 12")
	link, err := cutlink.New(e.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(link.Close)
	ag, _ := e.agentVia(link.Addr(), "cau-moi", 128, 64, "virtual", nil)
	ag.waitLine(t, regexp.MustCompile(`msg="content synced" revision=\d+ assets=[1-9]`), 1)

	// New content, downloaded slowly: 1 KiB/s makes a rendition of a few
	// kilobytes last seconds.
	link.SetRate(1 << 10)
	midway := link.AfterAssetBytes(600) // past the response's headers
	e.rotation(id, 60, 60_000, "Thông báo: cắt điện khu vực chợ từ 8 giờ đến 11 giờ ngày 5/12")
	newPlan := regexp.MustCompile(`msg="new plan" revision=(\d+) entries=2 `)
	rev := newPlan.FindStringSubmatch(ag.waitLine(t, newPlan, 1))[1]
	select {
	case <-midway:
	case <-time.After(30 * time.Second):
		t.Fatal("the agent did not start downloading the new content within 30 s")
	}
	link.Cut()
	<-time.After(time.Second) // the drop lasts a second
	link.Restore()
	reconnected := time.Now()
	link.SetRate(0)
	ag.waitLine(t, regexp.MustCompile(`msg="content synced" revision=`+rev+` `), 1)
	took := time.Since(reconnected)
	t.Logf("the new content arrived %v after the link came back", took.Round(time.Millisecond))
	// Reconnecting takes up to ~2 s of backoff (0.5 s, 1 s, with jitter,
	// while the link refuses); the rest of the download well under a second.
	if took > 8*time.Second {
		t.Fatalf("the new content arrived %v after the link came back; want it within seconds", took)
	}
	cutRe := regexp.MustCompile(`cut after (\d+) bytes arrived`)
	line := ag.waitLine(t, cutRe, 1)
	if n, _ := strconv.Atoi(cutRe.FindStringSubmatch(line)[1]); n == 0 {
		t.Fatalf("the log says nothing arrived before the cut, but the link had carried part of the body: %s", line)
	}
}
