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
	var all, own list[store.PlaySummary]
	must(t, v.do(v.session(v.user(store.RoleApprover, v.unitA.ID)), "GET", "/reports/plays?group_by=media", nil), 200).json(t, &all)
	must(t, v.do(v.session(v.user(store.RoleEditor, v.unitA.ID)), "GET", "/reports/plays?group_by=media", nil), 200).json(t, &own)
	if len(all.Items) != 2 || len(own.Items) != 1 || own.Items[0].Key != fmt.Sprint(mA) || own.Items[0].Plays != 2 || own.Items[0].Seconds != 20 {
		t.Fatalf("approver sees %+v, unit A's editor sees %+v", all.Items, own.Items)
	}
	var recsOwn list[protocol.PlayRecord]
	must(t, v.do(v.session(v.user(store.RoleViewer, v.unitB.ID)), "GET", "/play-records", nil), 200).json(t, &recsOwn)
	if len(recsOwn.Items) != 1 || recsOwn.Items[0].Media != mB {
		t.Fatalf("unit B's viewer sees records %+v", recsOwn.Items)
	}

	r := must(t, v.do(v.session(v.user(store.RoleApprover, v.unitA.ID)), "GET", "/reports/plays?group_by=day&format=csv", nil), 200)
	body := string(r.Body)
	if !strings.HasPrefix(body, "\ufeffday,label,plays,seconds,first,last\n2026-11-25,2026-11-25,3,30.000,2026-11-25T08:00:00+07:00,") {
		t.Fatalf("CSV:\n%s", body)
	}
	must(t, v.do(v.session(v.user(store.RoleApprover, v.unitA.ID)), "GET", "/reports/plays?group_by=password", nil), 400)
}
