package store

import (
	"context"
	"fmt"
	"testing"

	"github.com/pano-signage/pano/protocol"
)

func TestPowerBrightnessSetReplaceClearAndCascade(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	g, err := s.CreateGroup(ctx, System, "Tuyến đường chính")
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.CreateDisplay(ctx, System, Display{Name: "duong-chinh", Width: 128, Height: 64, Fit: "contain", Profile: "virtual", GroupID: &g.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		set  func() error
		get  func() (*PowerBrightness, error)
		want string // fmt of power, brightness, day/night; "none" for no row
	}{
		{"group has none", func() error { return nil }, func() (*PowerBrightness, error) { return s.GroupPowerBrightness(ctx, g.ID) }, "none"},
		{"group set", func() error {
			return s.SetGroupPowerBrightness(ctx, System, g.ID, &PowerBrightness{Power: []protocol.Window{{From: "05:30", Until: "23:00"}}})
		}, func() (*PowerBrightness, error) { return s.GroupPowerBrightness(ctx, g.ID) }, "[{[] 05:30 23:00}] [] <nil>"},
		{"group replaced", func() error {
			return s.SetGroupPowerBrightness(ctx, System, g.ID, &PowerBrightness{
				Brightness: []protocol.BrightnessWindow{{Window: protocol.Window{Weekdays: []int{6, 7}, From: "18:00", Until: "06:00"}, Percent: 40}},
				DayNight:   &protocol.DayNight{Day: 100, Night: 40}})
		}, func() (*PowerBrightness, error) { return s.GroupPowerBrightness(ctx, g.ID) }, "[] [{{[6 7] 18:00 06:00} 40}] &{100 40}"},
		{"display has none of its own", func() error { return nil }, func() (*PowerBrightness, error) { return s.DisplayPowerBrightness(ctx, d.ID) }, "none"},
		{"display's own", func() error {
			return s.SetDisplayPowerBrightness(ctx, System, d.ID, &PowerBrightness{Power: []protocol.Window{{From: "06:00", Until: "22:00"}}})
		}, func() (*PowerBrightness, error) { return s.DisplayPowerBrightness(ctx, d.ID) }, "[{[] 06:00 22:00}] [] <nil>"},
		{"display's own dropped", func() error { return s.SetDisplayPowerBrightness(ctx, System, d.ID, nil) },
			func() (*PowerBrightness, error) { return s.DisplayPowerBrightness(ctx, d.ID) }, "none"},
		{"group deleted: its rule goes with it", func() error { return s.DeleteGroup(ctx, System, g.ID) },
			func() (*PowerBrightness, error) { return s.GroupPowerBrightness(ctx, g.ID) }, "none"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := c.set(); err != nil {
				t.Fatal(err)
			}
			pb, err := c.get()
			if err != nil {
				t.Fatal(err)
			}
			got := "none"
			if pb != nil {
				got = fmt.Sprintf("%v %v %v", pb.Power, pb.Brightness, pb.DayNight)
			}
			if got != c.want {
				t.Fatalf("got %s, want %s", got, c.want)
			}
		})
	}
	if err := s.SetDisplayPowerBrightness(ctx, System, 9999, &PowerBrightness{}); err == nil {
		t.Fatal("a rule for a display that does not exist")
	}
}
