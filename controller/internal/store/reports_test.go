package store

import (
	"context"
	"testing"
	"time"

	"github.com/pano-signage/pano/protocol"
)

func TestPlayReportSumsByGroupAndLocalDay(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	unit, err := s.CreateUnit(ctx, System, Unit{Name: "Phòng Văn hóa"})
	if err != nil {
		t.Fatal(err)
	}
	camp, err := s.CreateCampaign(ctx, System, Campaign{UnitID: unit.ID, Name: "NQ57", StartsOn: "2026-01-01", EndsOn: "2026-12-31"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.CreateMedia(ctx, System, NewMedia{UnitID: unit.ID, CampaignID: &camp.ID, Title: "Dịch vụ công", Kind: KindText, Body: "x"})
	if err != nil {
		t.Fatal(err)
	}
	// 16:59:50 and 17:00:10 UTC fall on two different days in UTC+7.
	t0 := time.Date(2026, 11, 24, 16, 59, 50, 0, time.UTC)
	recs := []protocol.PlayRecord{
		{ID: "a", Display: 1, Media: m.ID, Campaign: camp.ID, Start: t0, End: t0.Add(10 * time.Second)},
		{ID: "b", Display: 1, Media: m.ID, Campaign: camp.ID, Start: t0.Add(20 * time.Second), End: t0.Add(35 * time.Second)},
		{ID: "c", Display: 2, Media: m.ID, Start: t0.Add(40 * time.Second), End: t0.Add(45 * time.Second)},
	}
	if _, err := s.AddPlayRecords(ctx, 1, recs); err != nil {
		t.Fatal(err)
	}
	byCampaign, err := s.PlayReport(ctx, "campaign", PlayFilter{}, 7*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(byCampaign) != 2 || byCampaign[0].Label != "NQ57" || byCampaign[0].Plays != 2 || byCampaign[0].Seconds != 25 || byCampaign[1].Key != "" || byCampaign[1].Label != "" {
		t.Fatalf("by campaign %+v", byCampaign)
	}
	byDay, _ := s.PlayReport(ctx, "day", PlayFilter{}, 7*time.Hour)
	if len(byDay) != 2 || byDay[0].Key != "2026-11-25" || byDay[0].Plays != 2 || byDay[1].Key != "2026-11-24" {
		t.Fatalf("by day %+v", byDay)
	}
	other, _ := s.PlayReport(ctx, "unit", PlayFilter{UnitIDs: []int64{unit.ID + 1}}, 0)
	if len(other) != 0 {
		t.Fatalf("another unit sees %+v", other)
	}
	if _, err := s.PlayReport(ctx, "1; DROP TABLE users", PlayFilter{}, 0); err == nil {
		t.Fatal("an unknown grouping was accepted")
	}
}
