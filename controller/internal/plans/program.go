package plans

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

// ProgramFiles keeps compiled programs where agents fetch assets.
type ProgramFiles interface {
	// PutProgram stores a program's JSON by its hash and returns the hash.
	PutProgram(ctx context.Context, data []byte) (sha string, err error)
}

// ErrProgramNotReady leaves a program out of a plan until its media are
// approved and rendered for its windows.
var ErrProgramNotReady = errors.New("plans: a program's media are not ready")

// ProgramFor compiles a program revision for a w×h panel: its layout for
// that size, each media window showing its media's approved revision (or,
// with current, its newest: a preview of work in progress) rendered for
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
	var needs []protocol.Asset
	for _, win := range l.Windows {
		pw := win.ProgramWindow
		if pw.Kind == protocol.WindowMedia {
			m, err := s.st.Media(ctx, win.MediaID)
			if err != nil {
				return nil, nil, fmt.Errorf("%w: media %d: %v", ErrProgramNotReady, win.MediaID, err)
			}
			show := m.Approved
			if current {
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
