package plans

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

// ProgramFiles keeps compiled programs where agents fetch assets.
type ProgramFiles interface {
	// PutProgram stores a program's JSON by its hash and returns the hash.
	PutProgram(ctx context.Context, data []byte) (sha string, err error)
}

// noticeSeparator stands between notices in a ticker fed by the list.
const noticeSeparator = "   •   "

// ErrProgramNotReady leaves a program out of a plan until its media are
// approved and rendered for its windows.
var ErrProgramNotReady = errors.New("plans: a program's media are not ready")

// ProgramFor compiles a program revision for a w×h panel: its layout for
// that size, each media window showing its media's approved revision (or,
// with current, its newest if it is of the program's own unit: a preview
// of work in progress) rendered for
// the window. It returns the program and the assets its windows show;
// ErrProgramNotReady (wrapped) if a media is not approved or its
// rendition for a window is still being made (it is asked for).
func (s *Service) ProgramFor(ctx context.Context, revisionID int64, w, h int, current bool, rend RenditionFunc) (*protocol.Program, []protocol.Asset, error) {
	rev, err := s.st.Revision(ctx, revisionID)
	if err != nil {
		return nil, nil, err
	}
	if rev.Kind != store.KindProgram || rev.Program == nil || len(rev.Program.Layouts) == 0 {
		return nil, nil, fmt.Errorf("plans: revision %d is not a program", revisionID)
	}
	l := rev.Program.For(w, h)
	p := &protocol.Program{Width: w, Height: h, Background: l.Background}
	ownUnit := int64(0)
	if current {
		// A preview shows work in progress of the program's own unit
		// only; other units' media as their screens show them.
		if ownUnit, err = s.st.RevisionUnit(ctx, revisionID); err != nil {
			return nil, nil, err
		}
	}
	var needs []protocol.Asset
	for _, win := range l.Windows {
		pw := win.ProgramWindow
		pw.Asset, pw.Items = "", nil // filled here from media_id or playlist_id, never taken as stored
		if win.Source == store.SourceNotices {
			loc, err := time.LoadLocation(s.opt.TimeZone)
			if err != nil {
				return nil, nil, err
			}
			lines, err := s.st.NoticeTexts(ctx, revisionID, s.opt.Now().In(loc).Format(time.DateOnly))
			if err != nil {
				return nil, nil, err
			}
			if len(lines) > 0 {
				pw.Text = cutRunes(strings.Join(lines, noticeSeparator), protocol.MaxTickerRunes)
			}
			if strings.TrimSpace(pw.Text) == "" {
				continue // nothing to tell today: the window shows the background
			}
		}
		if pw.Kind == protocol.WindowMedia && win.PlaylistID != 0 {
			items, err := s.windowRotation(ctx, win, current, ownUnit, rend)
			if err != nil {
				return nil, nil, err
			}
			for _, it := range items {
				pw.Items = append(pw.Items, protocol.WindowItem{Asset: it.SHA256, DurationMS: it.durationMS})
				needs = append(needs, it.Asset)
			}
		} else if pw.Kind == protocol.WindowMedia {
			m, err := s.st.Media(ctx, win.MediaID)
			if err != nil {
				return nil, nil, fmt.Errorf("%w: media %d: %v", ErrProgramNotReady, win.MediaID, err)
			}
			show := m.Approved
			if current && m.UnitID == ownUnit {
				show = &m.Current
			}
			if show == nil || show.Kind == store.KindProgram {
				return nil, nil, fmt.Errorf("%w: media %d has no approved revision to show", ErrProgramNotReady, win.MediaID)
			}
			fit := win.Fit
			if fit == "" {
				fit = "contain"
			}
			a, err := rend(ctx, show.ID, pw.W, pw.H, fit)
			if err != nil {
				if s.opt.Render != nil {
					s.opt.Render(show.ID, pw.W, pw.H, fit)
				}
				return nil, nil, fmt.Errorf("%w: media %d for a %dx%d window: %v", ErrProgramNotReady, win.MediaID, pw.W, pw.H, err)
			}
			pw.Asset = a.SHA256
			needs = append(needs, a)
		}
		p.Windows = append(p.Windows, pw)
	}
	if err := p.Validate(); err != nil {
		return nil, nil, fmt.Errorf("plans: program %d for %dx%d: %w", revisionID, w, h, err)
	}
	return p, needs, nil
}

// programAssets compiles a program revision for display d into the
// program's asset (stored through Options.Programs) followed by the
// assets its windows show.
func (s *Service) programAssets(ctx context.Context, revisionID int64, d store.Display, rend RenditionFunc) ([]protocol.Asset, error) {
	if s.opt.Programs == nil {
		return nil, fmt.Errorf("%w: no place to keep compiled programs", ErrProgramNotReady)
	}
	p, needs, err := s.ProgramFor(ctx, revisionID, d.Width, d.Height, false, rend)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	sha, err := s.opt.Programs.PutProgram(ctx, data)
	if err != nil {
		return nil, err
	}
	a := protocol.Asset{SHA256: sha, Kind: protocol.AssetProgram, Bytes: int64(len(data))}
	for _, n := range needs {
		a.Needs = append(a.Needs, n.SHA256)
	}
	return append([]protocol.Asset{a}, needs...), nil
}

// ProgramPreview compiles a program revision for a w×h panel as its
// preview shows it: with the newest revision of each media it shows.
func (s *Service) ProgramPreview(ctx context.Context, revisionID int64, w, h int) (*protocol.Program, []protocol.Asset, error) {
	return s.ProgramFor(ctx, revisionID, w, h, true, s.rend)
}

// windowItem is a rotation item rendered for a window.
type windowItem struct {
	protocol.Asset
	durationMS int64
}

// windowRotation renders a media window's own rotation: the approved (or,
// with current, the newest) revision of its playlist, each item's media
// rendered for the window. Programs in it are passed over.
func (s *Service) windowRotation(ctx context.Context, win store.ProgramWindow, current bool, ownUnit int64, rend RenditionFunc) ([]windowItem, error) {
	pl, err := s.st.Playlist(ctx, win.PlaylistID)
	if err != nil {
		return nil, fmt.Errorf("%w: rotation %d: %v", ErrProgramNotReady, win.PlaylistID, err)
	}
	rev := pl.Approved
	if current && pl.UnitID == ownUnit {
		rev = &pl.Current
	}
	if rev == nil {
		return nil, fmt.Errorf("%w: rotation %d has no approved revision to show", ErrProgramNotReady, win.PlaylistID)
	}
	fit := win.Fit
	if fit == "" {
		fit = "contain"
	}
	var out []windowItem
	for _, it := range rev.Items {
		m, err := s.st.Media(ctx, it.MediaID)
		if err != nil {
			return nil, fmt.Errorf("%w: media %d of rotation %d: %v", ErrProgramNotReady, it.MediaID, win.PlaylistID, err)
		}
		show := m.Approved
		if current && m.UnitID == ownUnit {
			show = &m.Current
		}
		if show == nil || show.Kind == store.KindProgram {
			continue
		}
		a, err := rend(ctx, show.ID, win.W, win.H, fit)
		if err != nil {
			if s.opt.Render != nil {
				s.opt.Render(show.ID, win.W, win.H, fit)
			}
			return nil, fmt.Errorf("%w: media %d for a %dx%d window: %v", ErrProgramNotReady, it.MediaID, win.W, win.H, err)
		}
		out = append(out, windowItem{a, it.DurationMS})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: rotation %d has nothing a window can show", ErrProgramNotReady, win.PlaylistID)
	}
	return out, nil
}

// cutRunes keeps at most n runes of s.
func cutRunes(s string, n int) string {
	i := 0
	for k := range s {
		if i == n {
			return s[:k]
		}
		i++
	}
	return s
}
