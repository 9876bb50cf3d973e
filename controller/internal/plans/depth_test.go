package plans

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

func TestEntryOfSaysOneWindowInSchemaOne(t *testing.T) {
	for _, c := range []struct {
		name     string
		parts    []protocol.Daypart
		weight   int
		from     string
		dayparts int
		schema   int
	}{
		{"one window, weight 1", []protocol.Daypart{{From: "07:00", Until: "11:00"}}, 1, "07:00", 0, 1},
		{"whole day", []protocol.Daypart{{From: "00:00", Until: "24:00"}}, 1, "00:00", 0, 1},
		{"across midnight", []protocol.Daypart{{From: "22:00", Until: "02:00"}}, 1, "22:00", 0, 1}, // schema 1 agents cross midnight too
		{"two windows", []protocol.Daypart{{From: "06:30", Until: "08:30"}, {From: "16:30", Until: "19:00"}}, 1, "", 2, 2},
		{"weight 2", []protocol.Daypart{{From: "07:00", Until: "11:00"}}, 2, "07:00", 0, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := entryOf(store.Schedule{ID: 1, PlaylistID: 1, Weekdays: 0x7F, StartTime: c.parts[0].From, EndTime: c.parts[0].Until, Dayparts: c.parts, Weight: c.weight})
			if e.From != c.from || len(e.Dayparts) != c.dayparts {
				t.Fatalf("entry %+v: want from %q and %d dayparts", e, c.from, c.dayparts)
			}
			p := protocol.Plan{Entries: []protocol.Entry{e}}
			if got := p.NeededSchema(); got != c.schema {
				t.Fatalf("schema %d, want %d", got, c.schema)
			}
		})
	}
}

func TestValidityIsTheIntersectionInTheZone(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	at := func(s string) string {
		t, _ := time.ParseInLocation(time.DateOnly, s, loc)
		return t.UTC().Format(time.RFC3339)
	}
	str := func(p *time.Time) string {
		if p == nil {
			return "open"
		}
		return p.UTC().Format(time.RFC3339)
	}
	for _, c := range []struct {
		name                string
		it                  store.PlanItem
		notBefore, notAfter string
		ok                  bool
	}{
		{"open", store.PlanItem{}, "open", "open", true},
		{"media only", store.PlanItem{ValidFrom: "2026-12-01", ValidUntil: "2026-12-03"}, at("2026-12-01"), at("2026-12-04"), true},
		{"campaign only", store.PlanItem{CampaignFrom: "2026-01-01", CampaignUntil: "2026-12-31"}, at("2026-01-01"), at("2027-01-01"), true},
		{"both: the later start, the earlier end", store.PlanItem{ValidFrom: "2026-12-01", CampaignFrom: "2026-01-01", CampaignUntil: "2026-12-10"},
			at("2026-12-01"), at("2026-12-11"), true},
		{"never meet", store.PlanItem{ValidUntil: "2025-12-31", CampaignFrom: "2026-01-01"}, "open", "open", false},
		{"one day", store.PlanItem{ValidFrom: "2026-12-24", ValidUntil: "2026-12-24"}, at("2026-12-24"), at("2026-12-25"), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			nb, na, ok := validity(c.it, loc)
			if ok != c.ok || str(nb) != c.notBefore || str(na) != c.notAfter {
				t.Fatalf("got %s–%s ok %v, want %s–%s ok %v", str(nb), str(na), ok, c.notBefore, c.notAfter, c.ok)
			}
		})
	}
	// 2026-12-01 00:00 in Hà Nội is 2026-11-30 17:00 UTC.
	if at("2026-12-01") != "2026-11-30T17:00:00Z" {
		t.Fatalf("zone: %s", at("2026-12-01"))
	}
}

// The ward's sentence, compiled: a rotation on weekdays 06:30–08:30 and
// 16:30–19:00 at weight 2, screens off 23:00–05:30 for the group, and a
// display with coordinates of its own at 40 % after sunset.
func TestCompileCarriesDaypartsWeightsValidityPowerAndBrightness(t *testing.T) {
	ctx := context.Background()
	svc, st, _ := setup(t)
	d := displayNamed(t, st, "trung-tam-phuong")
	scheds, err := st.Schedules(ctx, store.ScheduleFilter{GroupID: *d.GroupID})
	if err != nil || len(scheds) != 1 {
		t.Fatalf("demo schedule of the ward centre: %v %v", scheds, err)
	}
	sc := scheds[0]
	sc.Weekdays = 0b0011111
	sc.Dayparts = []protocol.Daypart{{From: "06:30", Until: "08:30"}, {From: "16:30", Until: "19:00"}}
	sc.Weight = 2
	if _, err := st.UpdateSchedule(ctx, store.System, sc); err != nil {
		t.Fatal(err)
	}
	_, ps, err := st.PlanSources(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	media := ps[0].Items[0].MediaID
	from, until := "2026-12-01", "2026-12-03"
	if _, err := st.EditMedia(ctx, store.System, media, store.MediaEdit{ValidFrom: &from, ValidUntil: &until}); err != nil {
		t.Fatal(err)
	}
	if err := st.SetGroupPowerBrightness(ctx, store.System, *d.GroupID, &store.PowerBrightness{
		Power: []protocol.Window{{From: "05:30", Until: "23:00"}},
	}); err != nil {
		t.Fatal(err)
	}

	p, _, err := svc.Compile(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Schema != 2 {
		t.Fatalf("schema %d, want 2", p.Schema)
	}
	e := p.Entries[0]
	if fmt.Sprint(e.Dayparts) != "[{06:30 08:30} {16:30 19:00}]" || e.From != "" || e.Until != "" || e.Weight != 2 || fmt.Sprint(e.Weekdays) != "[1 2 3 4 5]" {
		t.Fatalf("entry %+v", e)
	}
	var item protocol.Item
	for _, it := range p.Playlists[0].Items {
		if it.Media == media {
			item = it
		}
	}
	if item.NotBefore == nil || item.NotAfter == nil || item.NotBefore.Format(time.RFC3339) != "2026-11-30T17:00:00Z" || item.NotAfter.Format(time.RFC3339) != "2026-12-03T17:00:00Z" {
		t.Fatalf("item validity %v–%v", item.NotBefore, item.NotAfter)
	}
	if fmt.Sprint(p.Power) != "[{[] 05:30 23:00}]" || p.Brightness != nil || p.DayNight != nil || p.Site != nil {
		t.Fatalf("group's rule: power %v brightness %v day/night %v site %v", p.Power, p.Brightness, p.DayNight, p.Site)
	}

	// The display's own rule replaces its group's as a whole; day/night
	// comes with its site.
	lat, lon := 21.0285, 105.8542
	d.Latitude, d.Longitude = &lat, &lon
	if _, err := st.UpdateDisplay(ctx, store.System, d); err != nil {
		t.Fatal(err)
	}
	if err := st.SetDisplayPowerBrightness(ctx, store.System, d.ID, &store.PowerBrightness{
		Brightness: []protocol.BrightnessWindow{{Window: protocol.Window{Weekdays: []int{6, 7}, From: "12:00", Until: "14:00"}, Percent: 70}},
		DayNight:   &protocol.DayNight{Day: 100, Night: 40},
	}); err != nil {
		t.Fatal(err)
	}
	p, _, err = svc.Compile(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Power != nil || len(p.Brightness) != 1 || p.Brightness[0].Percent != 70 || p.DayNight == nil || *p.DayNight != (protocol.DayNight{Day: 100, Night: 40}) ||
		p.Site == nil || *p.Site != (protocol.Site{Latitude: lat, Longitude: lon}) {
		t.Fatalf("display's rule: power %v brightness %v day/night %v site %v", p.Power, p.Brightness, p.DayNight, p.Site)
	}
	if _, err := protocol.Compile(p); err != nil {
		t.Fatalf("plan does not validate: %v", err)
	}

	// Coordinates cleared: day/night cannot apply and is left out rather
	// than making the plan invalid.
	d.Latitude, d.Longitude = nil, nil
	if _, err := st.UpdateDisplay(ctx, store.System, d); err != nil {
		t.Fatal(err)
	}
	p, _, err = svc.Compile(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.DayNight != nil || p.Site != nil || len(p.Brightness) != 1 {
		t.Fatalf("without a site: day/night %v site %v", p.DayNight, p.Site)
	}

	// Dropping the display's rule: the group's applies again.
	if err := st.SetDisplayPowerBrightness(ctx, store.System, d.ID, nil); err != nil {
		t.Fatal(err)
	}
	p, _, err = svc.Compile(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(p.Power) != "[{[] 05:30 23:00}]" || p.Brightness != nil {
		t.Fatalf("group's rule again: power %v brightness %v", p.Power, p.Brightness)
	}
}

func TestTrimLeavesOutWhatTheEntriesSay(t *testing.T) {
	entries := dates{first: "2026-01-01", last: "2026-12-31"}
	for _, c := range []struct {
		name        string
		it          store.PlanItem
		from, until string
	}{
		{"campaign as long as the entries", store.PlanItem{CampaignFrom: "2026-01-01", CampaignUntil: "2026-12-31"}, "", ""},
		{"campaign longer", store.PlanItem{CampaignFrom: "2025-06-01", CampaignUntil: "2027-06-30"}, "", ""},
		{"campaign ends first", store.PlanItem{CampaignFrom: "2026-01-01", CampaignUntil: "2026-06-30"}, "", "2026-06-30"},
		{"validity within", store.PlanItem{ValidFrom: "2026-12-01", ValidUntil: "2026-12-03", CampaignFrom: "2026-01-01", CampaignUntil: "2026-12-31"}, "2026-12-01", "2026-12-03"},
		{"open", store.PlanItem{}, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := entries.trim(c.it)
			if got.ValidFrom != c.from || got.ValidUntil != c.until || got.CampaignFrom != "" || got.CampaignUntil != "" {
				t.Fatalf("got %+v, want %s–%s", got, c.from, c.until)
			}
		})
	}
	// Entries of open dates: every bound says something.
	if got := (dates{}).trim(store.PlanItem{CampaignFrom: "2026-01-01", CampaignUntil: "2026-12-31"}); got.ValidFrom != "2026-01-01" || got.ValidUntil != "2026-12-31" {
		t.Fatalf("open entries: %+v", got)
	}
	// Several entries of one playlist: the earliest start, the latest end.
	ds := entryDates([]store.PlanSchedule{
		{Schedule: store.Schedule{PlaylistID: 1, StartsOn: "2026-03-01", EndsOn: "2026-03-31"}},
		{Schedule: store.Schedule{PlaylistID: 1, StartsOn: "2026-01-01", EndsOn: "2026-02-01"}},
		{Schedule: store.Schedule{PlaylistID: 2, StartsOn: "2026-05-01", EndsOn: "2026-05-02"}},
	})
	if ds[1] != (dates{first: "2026-01-01", last: "2026-03-31"}) || ds[2] != (dates{first: "2026-05-01", last: "2026-05-02"}) {
		t.Fatalf("entry dates %v", ds)
	}
	// A window across midnight on the last day plays into the next one,
	// where a campaign ending on that last day still bounds it.
	night := entryDates([]store.PlanSchedule{{Schedule: store.Schedule{PlaylistID: 1, StartsOn: "2026-01-01", EndsOn: "2026-12-31",
		Dayparts: []protocol.Daypart{{From: "22:00", Until: "02:00"}}}}})[1]
	if got := night.trim(store.PlanItem{CampaignFrom: "2026-01-01", CampaignUntil: "2026-12-31"}); !night.crosses || got.ValidUntil != "2026-12-31" {
		t.Fatalf("across midnight: %+v from %+v", got, night)
	}
}

// A display with nothing new keeps getting schema 1: the demo's items
// belong to a campaign as long as their entries, which bounds nothing.
func TestPlainPlanStaysSchemaOne(t *testing.T) {
	ctx := context.Background()
	svc, st, _ := setup(t)
	d, err := st.CreateDisplay(ctx, store.System, store.Display{Name: "moi", Width: 64, Height: 32, Fit: "contain", Profile: "virtual"})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{d.ID, displayNamed(t, st, "trung-tam-phuong").ID} {
		p, _, err := svc.Compile(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if p.Schema != 1 {
			t.Fatalf("display %d: schema %d, want 1", id, p.Schema)
		}
	}
}
