package reports

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pano-signage/pano/controller/internal/plans"
	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

// playSetup compiles the plans of two demo screens in different groups
// (so with different rotations) and returns a genuine record of each, and
// the plan service that compiled them.
func playSetup(t *testing.T) (*Sink, *store.Store, *plans.Service, protocol.PlayRecord, protocol.PlayRecord) {
	t.Helper()
	s, st, ps := setup(t)
	ctx := context.Background()
	genuine := func(name string) protocol.PlayRecord {
		d := displayNamed(t, st, name)
		p, _, err := ps.Compile(ctx, d.ID)
		if err != nil || p == nil || len(p.Entries) == 0 {
			t.Fatalf("plan of %s: %+v %v", name, p, err)
		}
		e := p.Entries[0]
		var it protocol.Item
		for _, pl := range p.Playlists {
			if pl.ID == e.Playlist {
				it = pl.Items[0]
			}
		}
		end := time.Now().UTC().Add(-time.Second)
		return protocol.PlayRecord{ID: "1-2-3-4", Display: d.ID, PlanRevision: p.Revision, Entry: e.ID, Item: it.ID,
			Media: it.Media, Campaign: it.Campaign, Start: end.Add(-time.Duration(it.DurationMS) * time.Millisecond / 2), End: end}
	}
	a, b := genuine("trung-tam-phuong"), genuine("truong-hoc")
	if a.Media == b.Media {
		t.Fatalf("the two screens play the same media %d", a.Media)
	}
	return s, st, ps, a, b
}

func storedOf(t *testing.T, st *store.Store, displayID int64) []protocol.PlayRecord {
	t.Helper()
	recs, err := st.PlayRecords(context.Background(), store.PlayFilter{DisplayID: displayID})
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestPlayRecordsNotInTheDisplaysPlansAreRefusedAndCounted(t *testing.T) {
	s, st, _, a, b := playSetup(t)
	ctx := context.Background()
	cases := []struct {
		name string
		edit func(r *protocol.PlayRecord)
		why  string
	}{
		{"another unit's media", func(r *protocol.PlayRecord) { r.Media = b.Media }, "is media"},
		{"another display's item", func(r *protocol.PlayRecord) {
			r.Entry, r.Item, r.Media, r.Campaign = b.Entry, b.Item, b.Media, b.Campaign
		}, "has no"},
		{"media that does not exist", func(r *protocol.PlayRecord) { r.Media = 987654 }, "is media"},
		{"campaign that does not exist", func(r *protocol.PlayRecord) { r.Campaign = 987654 }, "campaign"},
		{"2020 to 2030", func(r *protocol.PlayRecord) {
			r.Start = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
			r.End = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
		}, "future"},
		{"a year long, in the past", func(r *protocol.PlayRecord) { r.Start = r.End.AddDate(-1, 0, 0) }, "lasts"},
		{"before the plan was made", func(r *protocol.PlayRecord) { r.Start, r.End = r.Start.AddDate(0, 0, -3), r.End.AddDate(0, 0, -3) }, "before plan revision"},
		{"in the future", func(r *protocol.PlayRecord) { r.Start, r.End = r.Start.Add(time.Hour), r.End.Add(time.Hour) }, "future"},
		{"a revision never sent", func(r *protocol.PlayRecord) { r.PlanRevision = 99 }, "never sent"},
		{"another display's id", func(r *protocol.PlayRecord) { r.Display = b.Display }, "this agent is display"},
		{"ends before it starts", func(r *protocol.PlayRecord) { r.Start, r.End = r.End, r.Start }, "not before it"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := a
			r.ID = "forged-" + c.name
			c.edit(&r)
			if err := s.PlayRecords(ctx, a.Display, protocol.PlayRecords{Records: []protocol.PlayRecord{r}}); err != nil {
				t.Fatalf("a refused record is an error to the agent (it would resend it forever): %v", err)
			}
			if got := storedOf(t, st, a.Display); len(got) != 0 {
				t.Fatalf("stored %+v", got)
			}
			ref, err := st.DisplayRefusals(ctx, a.Display)
			if err != nil || ref.PlayRecords != int64(i+1) || !strings.Contains(ref.LastReason, c.why) || ref.LastAt == nil {
				t.Fatalf("refusals %+v %v, want %d with a reason saying %q", ref, err, i+1, c.why)
			}
		})
	}
	// The genuine record still goes in.
	if err := s.PlayRecords(ctx, a.Display, protocol.PlayRecords{Records: []protocol.PlayRecord{a}}); err != nil {
		t.Fatal(err)
	}
	if got := storedOf(t, st, a.Display); len(got) != 1 || got[0].Media != a.Media {
		t.Fatalf("genuine record: stored %+v", got)
	}
}

func TestRecordIDOfAnotherDisplayDoesNotSuppressAGenuineRecord(t *testing.T) {
	s, st, _, a, b := playSetup(t)
	ctx := context.Background()
	b.ID = a.ID // display B gets there first with A's (predictable) id
	if err := s.PlayRecords(ctx, b.Display, protocol.PlayRecords{Records: []protocol.PlayRecord{b}}); err != nil {
		t.Fatal(err)
	}
	// A's genuine record, sent twice (a lost ack), is stored exactly once.
	for i := 0; i < 2; i++ {
		if err := s.PlayRecords(ctx, a.Display, protocol.PlayRecords{Records: []protocol.PlayRecord{a}}); err != nil {
			t.Fatal(err)
		}
	}
	if got := storedOf(t, st, a.Display); len(got) != 1 || got[0].ID != a.ID || got[0].Media != a.Media {
		t.Fatalf("display A's records: %+v", got)
	}
	if got := storedOf(t, st, b.Display); len(got) != 1 || got[0].Media != b.Media {
		t.Fatalf("display B's records: %+v", got)
	}
}

// A record of a revision the display moved past is refused when it ends
// after the display took the newer one, and accepted before.
func TestPlayRecordOfAReplacedPlanBoundByTheAck(t *testing.T) {
	s, st, ps, a, _ := playSetup(t)
	ctx := context.Background()
	scheds, err := st.Schedules(ctx, store.ScheduleFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range scheds { // a new revision for every display
		sc.Priority++
		if _, err := st.UpdateSchedule(ctx, store.System, sc); err != nil {
			t.Fatal(err)
		}
	}
	p, changed, err := ps.Compile(ctx, a.Display)
	if err != nil || !changed {
		t.Fatalf("recompile: %v %v", changed, err)
	}
	ps.PlanAcked(ctx, a.Display, p.Revision)
	before := a // ended a second before the ack: accepted
	late := a
	late.ID = "late"
	late.Start, late.End = time.Now().Add(3*time.Minute), time.Now().Add(3*time.Minute+time.Second)
	if err := s.PlayRecords(ctx, a.Display, protocol.PlayRecords{Records: []protocol.PlayRecord{before, late}}); err != nil {
		t.Fatal(err)
	}
	if got := storedOf(t, st, a.Display); len(got) != 1 || got[0].ID != before.ID {
		t.Fatalf("stored %+v", got)
	}
}

func TestPlayRecordFromBeforeEnrolmentIsRefused(t *testing.T) {
	s, st, _, a, _ := playSetup(t)
	ctx := context.Background()
	if _, err := st.CreateEnrolmentCode(ctx, store.System, a.Display, "code-hash", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RedeemEnrolmentCode(ctx, store.System, "code-hash", "secret-hash"); err != nil {
		t.Fatal(err)
	}
	early := a
	early.ID = "early"
	early.Start, early.End = a.Start.Add(-time.Hour), a.End.Add(-time.Hour)
	if err := s.PlayRecords(ctx, a.Display, protocol.PlayRecords{Records: []protocol.PlayRecord{early, a}}); err != nil {
		t.Fatal(err)
	}
	if got := storedOf(t, st, a.Display); len(got) != 1 || got[0].ID != a.ID {
		t.Fatalf("stored %+v", got)
	}
	if ref, _ := st.DisplayRefusals(ctx, a.Display); ref.PlayRecords != 1 || !strings.Contains(ref.LastReason, "before the display was enrolled") {
		t.Fatalf("refusals %+v", ref)
	}
}
