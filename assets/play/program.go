package play

import (
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"os"
	"time"

	"github.com/pano-signage/pano/assets/program"
	"github.com/pano-signage/pano/protocol"
)

// maxProgramFile bounds a program asset's JSON.
const maxProgramFile = 1 << 20

// programSource plays a program asset: each media window plays its own
// asset fitted to the window, and the live windows (clock, date, countdown,
// ticker) are drawn over them from the synced clock: the instant shown is
// the item's start plus elapsed, both controller time, so every screen of
// a group shows the same second.
type programSource struct {
	bg    color.RGBA
	media []mediaWindow
	live  *program.Live
	start time.Time
}

type mediaWindow struct {
	rect image.Rectangle
	src  Source
	buf  *image.RGBA
}

// Env is what opening a program needs from the plan and the files.
type Env struct {
	Assets map[string]protocol.Asset // the plan's, by hash
	Path   func(sha string) string   // where an asset's file is
	Loc    *time.Location            // the plan's time zone
}

// OpenProgram opens a program asset's file for a panel. start is when its
// item started, in controller time: the live windows show start + elapsed.
func OpenProgram(path string, panel image.Rectangle, start time.Time, env Env) (Source, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) > maxProgramFile {
		return nil, fmt.Errorf("program is %d bytes; at most %d", len(b), maxProgramFile)
	}
	var p protocol.Program
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("program is not valid JSON: %w", err)
	}
	return NewProgram(&p, panel, start, env)
}

// NewProgram is OpenProgram for a program already read.
func NewProgram(p *protocol.Program, panel image.Rectangle, start time.Time, env Env) (Source, error) {
	if p.Width != panel.Dx() || p.Height != panel.Dy() {
		return nil, fmt.Errorf("program is %d×%d, the panel is %v", p.Width, p.Height, panel.Size())
	}
	live, err := program.New(p, env.Loc)
	if err != nil {
		return nil, fmt.Errorf("program: %w", err)
	}
	ps := &programSource{bg: color.RGBA{A: 255}, live: live, start: start}
	if c, ok := protocol.ParseHexColor(p.Background); ok {
		ps.bg = color.RGBA{c[0], c[1], c[2], 255}
	}
	for _, w := range p.Windows {
		if w.Kind != protocol.WindowMedia {
			continue
		}
		rect := image.Rect(0, 0, w.W, w.H)
		var items []rotationItem
		for _, sha := range w.Assets() {
			a, ok := env.Assets[sha]
			if !ok || a.Kind == protocol.AssetProgram {
				ps.Close()
				return nil, fmt.Errorf("program window shows asset %.12s, which the plan does not list as media", sha)
			}
			items = append(items, rotationItem{asset: a, path: env.Path(sha)})
		}
		var src Source
		if len(w.Items) == 0 {
			var err error
			if src, err = Open(items[0].asset, items[0].path, rect); err != nil {
				ps.Close()
				return nil, fmt.Errorf("program window %dx%d at %d,%d: %w", w.W, w.H, w.X, w.Y, err)
			}
		} else {
			// A rotation opens one item at a time, when it comes on: a
			// window of a hundred slides holds one decoded picture.
			r := &rotation{items: items, rect: rect, cur: -1}
			for i, it := range w.Items {
				d := time.Duration(it.DurationMS) * time.Millisecond
				r.items[i].dur = d
				r.loop += d
			}
			src = r
		}
		ps.media = append(ps.media, mediaWindow{rect: rect.Add(image.Pt(w.X, w.Y)), src: src, buf: image.NewRGBA(rect)})
	}
	return ps, nil
}

// rotation is a media window's own rotation: each item in turn for its
// duration, looping from the program's start, each from its own start.
type rotation struct {
	items []rotationItem
	rect  image.Rectangle
	loop  time.Duration
	cur   int    // the item open in src, -1 for none
	src   Source // its source
}

type rotationItem struct {
	asset protocol.Asset
	path  string
	dur   time.Duration
}

func (r *rotation) Frame(elapsed time.Duration, dst *image.RGBA) error {
	if elapsed < 0 {
		elapsed = 0
	}
	t := elapsed % r.loop
	i := 0
	for ; i < len(r.items)-1 && t >= r.items[i].dur; i++ {
		t -= r.items[i].dur
	}
	if i != r.cur {
		if r.src != nil {
			r.src.Close()
			r.src, r.cur = nil, -1
		}
		src, err := Open(r.items[i].asset, r.items[i].path, r.rect)
		if err != nil {
			return fmt.Errorf("window rotation item %d: %w", i+1, err)
		}
		r.src, r.cur = src, i
	}
	return r.src.Frame(t, dst)
}

func (r *rotation) Close() error {
	if r.src != nil {
		r.src.Close()
	}
	return nil
}
func (ps *programSource) Frame(elapsed time.Duration, dst *image.RGBA) error {
	b := dst.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := dst.Pix[dst.PixOffset(b.Min.X, y):dst.PixOffset(b.Max.X, y)]
		for i := 0; i < len(row); i += 4 {
			row[i], row[i+1], row[i+2], row[i+3] = ps.bg.R, ps.bg.G, ps.bg.B, ps.bg.A
		}
	}
	for _, m := range ps.media {
		if err := m.src.Frame(elapsed, m.buf); err != nil {
			return err
		}
		w := m.rect.Dx() * 4
		for y := 0; y < m.rect.Dy(); y++ {
			o := dst.PixOffset(m.rect.Min.X, m.rect.Min.Y+y)
			copy(dst.Pix[o:o+w], m.buf.Pix[y*m.buf.Stride:y*m.buf.Stride+w])
		}
	}
	ps.live.Draw(dst, ps.start.Add(elapsed), elapsed)
	return nil
}

func (ps *programSource) Close() error {
	for _, m := range ps.media {
		m.src.Close()
	}
	return nil
}
