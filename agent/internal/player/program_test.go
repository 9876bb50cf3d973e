package player

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"image"
	"image/draw"
	"image/png"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pano-signage/pano/agent/internal/driver"
	"github.com/pano-signage/pano/assets/program"
	"github.com/pano-signage/pano/protocol"
)

// programRig plays a 64×32 program: a slide above, the time below.
type programRig struct {
	*rig
	prog   protocol.Program
	slide  string // the slide's asset
	loc    *time.Location
	planOf func(withSlide bool) *protocol.Plan
}

func newProgramRig(t *testing.T) *programRig {
	t.Helper()
	dir := t.TempDir()
	r := &rig{dir: dir, rec: &memRecorder{}, clk: &fakeClock{}}
	v, _ := driver.NewVirtual(64, 32)
	r.v = v
	r.p = New(v, r.clk, dirAssets{dir}, r.rec, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{FPS: 10, Display: 3})
	slide := solidPNG(t, dir, 64, 18, green)
	prog := protocol.Program{Width: 64, Height: 32, Background: "#000010", Windows: []protocol.ProgramWindow{
		{Kind: protocol.WindowMedia, X: 0, Y: 0, W: 64, H: 18, Asset: slide},
		{Kind: protocol.WindowClock, Format: protocol.ClockHMS, X: 0, Y: 18, W: 64, H: 14, Color: "#ffc800"},
	}}
	js, err := json.Marshal(prog)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(js)
	progSHA := hex.EncodeToString(sum[:])
	if err := os.WriteFile(filepath.Join(dir, progSHA), js, 0o600); err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	r.window = time.Date(2026, 11, 30, 6, 0, 0, 0, loc)
	pr := &programRig{rig: r, prog: prog, slide: slide, loc: loc}
	pr.planOf = func(withSlide bool) *protocol.Plan {
		p := &protocol.Plan{
			Schema: protocol.PlanSchema, Revision: 2, DisplayID: 3, TimeZone: "Asia/Ho_Chi_Minh",
			Panel: protocol.Panel{Width: 64, Height: 32}, Fallback: protocol.FallbackBlack,
			Playlists: []protocol.Playlist{{ID: 1, Items: []protocol.Item{{ID: 11, Media: 101, Asset: progSHA, DurationMS: 60_000}}}},
			Entries:   []protocol.Entry{{ID: 7, Playlist: 1, From: "06:00", Until: "22:00"}},
			Assets: []protocol.Asset{{SHA256: progSHA, Kind: protocol.AssetProgram, Bytes: int64(len(js)), Needs: []string{slide}},
				{SHA256: slide, Kind: protocol.AssetImage, Bytes: 1}},
		}
		if !withSlide {
			os.Remove(filepath.Join(dir, slide))
		}
		return p
	}
	return pr
}

func (r *programRig) use(t *testing.T, p *protocol.Plan) {
	t.Helper()
	s, err := protocol.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	r.p.SetSchedule(s)
}

// want draws what the program shows at d into the item by other code: the
// slide's PNG in its window, the background, and the live windows as
// assets/program draws them (the controller's preview does the same).
func (r *programRig) want(t *testing.T, d time.Duration) *image.RGBA {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 32))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = 0, 0, 0x10, 255
	}
	b, err := os.ReadFile(filepath.Join(r.dir, r.slide))
	if err != nil {
		t.Fatal(err)
	}
	slide, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	draw.Draw(img, image.Rect(0, 0, 64, 18), slide, image.Point{}, draw.Src)
	live, err := program.New(&r.prog, r.loc)
	if err != nil {
		t.Fatal(err)
	}
	live.Draw(img, r.window.Add(d), d)
	return img
}

func TestProgramPlaysItsWindowsAsThePreviewDrawsThem(t *testing.T) {
	r := newProgramRig(t)
	r.use(t, r.planOf(true))
	for _, d := range []time.Duration{0, 1500 * time.Millisecond, 59 * time.Second} {
		r.stepAt(d)
		got, _ := r.v.Snapshot()
		if want := r.want(t, d); !bytes.Equal(got.Pix, want.Pix) {
			t.Fatalf("at %v into the program the panel differs from the preview", d)
		}
	}
	if st := r.p.Status(); st.CurrentItem != 11 || st.Fallback != "" {
		t.Fatalf("status %+v", st)
	}
}

// The clock window changes exactly when the controller's second does.
func TestProgramClockTurnsAtTheSecond(t *testing.T) {
	r := newProgramRig(t)
	r.use(t, r.planOf(true))
	r.stepAt(2*time.Second - time.Millisecond)
	before, _ := r.v.Snapshot()
	before = cloneRGBA(before)
	r.stepAt(2 * time.Second)
	at, _ := r.v.Snapshot()
	if bytes.Equal(before.Pix, at.Pix) {
		t.Fatal("the clock did not turn at the second")
	}
	r.stepAt(2*time.Second + 900*time.Millisecond)
	late, _ := r.v.Snapshot()
	if !bytes.Equal(at.Pix, late.Pix) {
		t.Fatal("the picture changed within the second")
	}
}

// A program whose slide is not cached yet is not playable: the panel
// shows the fallback, not a program with a hole.
func TestProgramWaitsForItsMedia(t *testing.T) {
	r := newProgramRig(t)
	r.use(t, r.planOf(false))
	r.stepAt(time.Second)
	if st := r.p.Status(); st.CurrentItem != 0 || st.FallbackCode != protocol.FallbackNothingPlayable {
		t.Fatalf("status %+v, want nothing playable", st)
	}
}

func cloneRGBA(m *image.RGBA) *image.RGBA {
	c := *m
	c.Pix = append([]byte(nil), m.Pix...)
	return &c
}
