package plans

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"

	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

// The plans the calendars evaluate: a display's as the store holds it now,
// and a group's own. They are assembled as Compile assembles, but neither
// stored nor pushed.

// DisplayPreview returns the plan the display gets from the store as it is
// now: assembled by the same code as Compile, but neither stored nor pushed
// (storing a revision here would keep RefreshAll from pushing it). It can
// run ahead of the stored plan by the refresh debounce.
func (s *Service) DisplayPreview(ctx context.Context, displayID int64) (*protocol.Plan, error) {
	d, scheds, err := s.st.PlanSources(ctx, displayID)
	if err != nil {
		return nil, err
	}
	return s.assemble(ctx, d, scheds, s.rend)
}

// GroupPreview returns a plan of the group's own entries: the schedules
// that target the group and the live urgent notices for it (or for every
// screen), not the entries of single displays in it.
//
// When the group has displays, the plan is assembled for the one with the
// lowest id, with its panel's renditions: exactly the part of that screen's
// plan that comes from the group (an item not yet rendered for it is left
// out, as on the screen). A group without displays has no panel, so the
// plan is assembled with stand-in assets for every approved item: no agent
// ever gets it, it only lets the calendar show a group being set up. The
// returned display id is 0 then.
func (s *Service) GroupPreview(ctx context.Context, groupID int64) (*protocol.Plan, int64, error) {
	scheds, err := s.st.GroupPlanSources(ctx, groupID)
	if err != nil {
		return nil, 0, err
	}
	ds, err := s.st.Displays(ctx, store.DisplayFilter{GroupID: groupID})
	if err != nil {
		return nil, 0, err
	}
	if len(ds) == 0 {
		gid := groupID
		p, err := s.assemble(ctx, store.Display{Width: 1, Height: 1, GroupID: &gid}, scheds, standIn)
		return p, 0, err
	}
	d := slices.MinFunc(ds, func(a, b store.Display) int { return int(a.ID - b.ID) })
	// Assembled as for no display in particular: the display's panel, but
	// not the urgent notices aimed at that one screen by name, which the
	// group's other screens never play.
	anyone := d
	anyone.ID = 0
	p, err := s.assemble(ctx, anyone, scheds, s.rend)
	return p, d.ID, err
}

// standIn is a rendition function for a plan no panel plays: every
// revision has an asset named after it.
func standIn(_ context.Context, revisionID int64, _, _ int, _ string) (protocol.Asset, error) {
	sum := sha256.Sum256([]byte("pano stand-in rendition " + strconv.FormatInt(revisionID, 10)))
	return protocol.Asset{SHA256: hex.EncodeToString(sum[:]), Kind: protocol.AssetImage, Bytes: 1}, nil
}
