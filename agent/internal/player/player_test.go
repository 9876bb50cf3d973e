package player

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pano-signage/pano/agent/internal/driver"
	"github.com/pano-signage/pano/protocol"
)

type dirAssets struct{ dir string }

func (d dirAssets) Has(sha string) bool {
	_, err := os.Stat(d.Path(sha))
	return err == nil
}
func (d dirAssets) Path(sha string) string { return filepath.Join(d.dir, sha) }

type memRecorder struct {
	mu   sync.Mutex
	recs []protocol.PlayRecord
}

func (m *memRecorder) Append(r protocol.PlayRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.recs = append(m.recs, r)
	return nil
}

func (m *memRecorder) all() []protocol.PlayRecord {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]protocol.PlayRecord(nil), m.recs...)
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

// solidPNG writes a w×h PNG of one colour into dir and returns its hash.
func solidPNG(t *testing.T, dir string, w, h int, c color.RGBA) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, 255
	}
	img.Pix[0] = c.R ^ 0xff // one odd pixel so orientation errors show
	var buf strings.Builder
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(buf.String()))
	sha := hex.EncodeToString(sum[:])
	if err := os.WriteFile(filepath.Join(dir, sha), []byte(buf.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return sha
}

var (
	red   = color.RGBA{R: 220, A: 255}
	green = color.RGBA{G: 200, A: 255}
	blue  = color.RGBA{B: 180, A: 255}
)

type rig struct {
	p      *Player
	v      *driver.Virtual
	rec    *memRecorder
	clk    *fakeClock
	dir    string
	shas   []string
	window time.Time
}

func newRig(t *testing.T, fallback string) *rig {
	t.Helper()
	dir := t.TempDir()
	r := &rig{dir: dir, rec: &memRecorder{}, clk: &fakeClock{}}
	r.shas = []string{solidPNG(t, dir, 8, 4, red), solidPNG(t, dir, 8, 4, green), solidPNG(t, dir, 8, 4, blue)}
	v, _ := driver.NewVirtual(8, 4)
	r.v = v
	r.p = New(v, r.clk, dirAssets{dir}, r.rec, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{FPS: 10, Display: 3})
	plan := &protocol.Plan{
		Schema: protocol.PlanSchema, Revision: 2, DisplayID: 3, TimeZone: "Asia/Ho_Chi_Minh",
		Panel: protocol.Panel{Width: 8, Height: 4}, Fallback: fallback,
		Playlists: []protocol.Playlist{{ID: 1, Items: []protocol.Item{
			{ID: 11, Media: 101, Asset: r.shas[0], DurationMS: 5000},
			{ID: 12, Media: 102, Asset: r.shas[1], DurationMS: 5000},
			{ID: 13, Media: 103, Asset: r.shas[2], DurationMS: 5000},
		}}},
		Entries: []protocol.Entry{{ID: 7, Playlist: 1, From: "06:00", Until: "22:00"}},
	}
	for _, sha := range r.shas {
		plan.Assets = append(plan.Assets, protocol.Asset{SHA256: sha, Kind: protocol.AssetImage, Bytes: 1})
	}
	s, err := protocol.Compile(plan)
	if err != nil {
		t.Fatal(err)
	}
	r.p.SetSchedule(s)
	loc, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	r.window = time.Date(2026, 11, 25, 6, 0, 0, 0, loc)
	return r
}

func (r *rig) stepAt(d time.Duration) {
	r.clk.mu.Lock()
	r.clk.t = r.window.Add(d)
	r.clk.mu.Unlock()
	r.p.step(r.window.Add(d))
}

func (r *rig) pixel(x, y int) color.RGBA {
	img, _ := r.v.Snapshot()
	return img.RGBAAt(x, y)
}

func TestFramesMatchRenditionsInTurn(t *testing.T) {
	r := newRig(t, protocol.FallbackBlack)
	for _, tc := range []struct {
		at   time.Duration
		want color.RGBA
	}{
		{0, red}, {4900 * time.Millisecond, red}, {5 * time.Second, green}, {12 * time.Second, blue}, {15 * time.Second, red},
	} {
		r.stepAt(tc.at)
		if got := r.pixel(5, 2); got != tc.want {
			t.Errorf("at %v: pixel %v, want %v", tc.at, got, tc.want)
		}
		if got := r.pixel(0, 0); got.R != tc.want.R^0xff {
			t.Errorf("at %v: the odd pixel is not at the top left: %v", tc.at, got)
		}
	}
	st := r.p.Status()
	if st.CurrentItem != 11 || st.PlanRevision != 2 || st.Fallback != "" {
		t.Fatalf("status %+v", st)
	}
}

func TestProofOfPlayRecordsEachItem(t *testing.T) {
	r := newRig(t, protocol.FallbackBlack)
	for ms := 0; ms <= 10_000; ms += 100 {
		r.stepAt(time.Duration(ms) * time.Millisecond)
	}
	r.p.end(r.clk.Now())
	close(r.p.recs)
	r.p.writeRecords()
	recs := r.rec.all()
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3: %+v", len(recs), recs)
	}
	first := recs[0]
	if first.Item != 11 || first.Media != 101 || first.Display != 3 || first.PlanRevision != 2 ||
		!first.Start.Equal(r.window) || !first.End.Equal(r.window.Add(5*time.Second)) {
		t.Fatalf("first record %+v", first)
	}
	if recs[1].ID == recs[0].ID || recs[2].Item != 13 {
		t.Fatalf("records %+v", recs)
	}
}

// TestNewPlanKeepsTheItemOnScreen: a new revision (a brightness window
// set, an urgent notice for other screens) that leaves the item where it
// was neither restarts it nor cuts its proof of play in two (the second
// part once had the same record ID and was dropped as a duplicate).
func TestNewPlanKeepsTheItemOnScreen(t *testing.T) {
	r := newRig(t, protocol.FallbackBlack)
	r.stepAt(0)
	r.stepAt(time.Second)
	plan := *r.p.Schedule().Plan()
	plan.Revision = 3
	plan.Brightness = []protocol.BrightnessWindow{{Window: protocol.Window{From: "00:00", Until: "24:00"}, Percent: 40}}
	s, err := protocol.Compile(&plan)
	if err != nil {
		t.Fatal(err)
	}
	r.p.SetSchedule(s)
	for ms := 1100; ms <= 5_000; ms += 100 {
		r.stepAt(time.Duration(ms) * time.Millisecond)
	}
	r.p.end(r.clk.Now())
	close(r.p.recs)
	r.p.writeRecords()
	recs := r.rec.all()
	if len(recs) != 2 || recs[0].Item != 11 || !recs[0].Start.Equal(r.window) || !recs[0].End.Equal(r.window.Add(5*time.Second)) ||
		recs[0].PlanRevision != 3 {
		t.Fatalf("records %+v, want item 11 from 06:00:00 to 06:00:05 in one record of revision 3, then item 12", recs)
	}
	if st := r.p.Status(); st.PlanRevision != 3 {
		t.Fatalf("status says revision %d", st.PlanRevision)
	}
}

func TestMissingAndBrokenAssetsAreSkipped(t *testing.T) {
	r := newRig(t, protocol.FallbackBlack)
	os.Remove(filepath.Join(r.dir, r.shas[1]))                              // green is missing
	os.WriteFile(filepath.Join(r.dir, r.shas[2]), []byte("garbage"), 0o600) // blue is corrupt
	r.stepAt(6 * time.Second)                                               // green's slot: blue is next, broken, so red
	if got := r.pixel(5, 2); got != red {
		t.Fatalf("pixel %v, want red", got)
	}
	st := r.p.Status()
	if reason, ok := st.Broken[r.shas[2]]; !ok || !strings.Contains(reason, "not a readable PNG") {
		t.Fatalf("broken %v", st.Broken)
	}
}

func TestWrongSizeRenditionIsBroken(t *testing.T) {
	r := newRig(t, protocol.FallbackBlack)
	big := solidPNG(t, r.dir, 16, 8, green)
	os.Rename(filepath.Join(r.dir, big), filepath.Join(r.dir, r.shas[1]))
	r.stepAt(6 * time.Second)
	if reason := r.p.Status().Broken[r.shas[1]]; !strings.Contains(reason, "the panel is (8,4)") {
		t.Fatalf("broken reason %q", reason)
	}
}

func TestFallbacks(t *testing.T) {
	r := newRig(t, protocol.FallbackIdleCard)
	r.stepAt(-time.Hour) // 05:00, before the daypart
	st := r.p.Status()
	if st.Fallback != "no schedule entry applies now" || st.FallbackCode != protocol.FallbackNoEntry || r.pixel(0, 0) != colorRGB(0, 90, 160) {
		t.Fatalf("fallback %q, corner %v", st.Fallback, r.pixel(0, 0))
	}
	for _, sha := range r.shas {
		os.Remove(filepath.Join(r.dir, sha))
	}
	r.stepAt(time.Second)
	if st := r.p.Status(); !strings.Contains(st.Fallback, "3 assets missing") || st.FallbackCode != protocol.FallbackNothingPlayable {
		t.Fatalf("fallback %q", st.Fallback)
	}

	none := New(r.v, r.clk, dirAssets{r.dir}, nil, r.p.log, Options{})
	none.step(r.window)
	if st := none.Status(); st.Fallback != "no plan yet" || st.FallbackCode != protocol.FallbackNoPlan || r.pixel(5, 2) != (color.RGBA{A: 255}) {
		t.Fatalf("no plan: %+v", st)
	}
}

func TestBlankAndIdentify(t *testing.T) {
	r := newRig(t, protocol.FallbackBlack)
	r.p.blanked = true
	r.stepAt(time.Second)
	if r.pixel(5, 2) != (color.RGBA{A: 255}) || !r.p.Status().Blanked {
		t.Fatal("blank did not blank")
	}
	r.p.blanked = false
	r.p.Identify(time.Second)
	(<-r.p.cmds)(r.window)                   // what Run would do with the command at 06:00:00
	r.stepAt(time.Second - time.Millisecond) // 999 ms: the fourth quarter second, black
	if r.pixel(5, 2) != (color.RGBA{A: 255}) {
		t.Fatalf("identify pixel %v, want black", r.pixel(5, 2))
	}
	r.p.Identify(2 * time.Second)
	(<-r.p.cmds)(r.window)
	r.stepAt(time.Second) // 1000 ms: an even quarter second, white
	if r.pixel(5, 2) != (color.RGBA{255, 255, 255, 255}) {
		t.Fatalf("identify pixel %v", r.pixel(5, 2))
	}
	r.stepAt(3 * time.Second)
	if r.pixel(5, 2) != red {
		t.Fatal("identify did not end")
	}
}

// TestRunDrawsAndStops runs the real loop on the real clock.
func TestRunDrawsAndStops(t *testing.T) {
	r := newRig(t, protocol.FallbackBlack)
	loc, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	now := time.Now().In(loc)
	plan := *r.p.Schedule().Plan()
	plan.Entries = []protocol.Entry{{ID: 7, Playlist: 1}} // all day
	s, _ := protocol.Compile(&plan)
	drv := &countingDriver{Virtual: r.v, at: 10, reached: make(chan struct{})}
	p := New(drv, realClock{}, dirAssets{r.dir}, r.rec, r.p.log, Options{FPS: 50, Display: 3})
	p.SetSchedule(s)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()
	select {
	case <-drv.reached:
	case err := <-done:
		t.Fatalf("Run returned early: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	recs := r.rec.all()
	if len(recs) == 0 || recs[len(recs)-1].Start.Before(now.Add(-time.Second)) {
		t.Fatalf("records after Run: %+v", recs)
	}
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// countingDriver closes reached when the at-th frame is drawn.
type countingDriver struct {
	*driver.Virtual
	mu      sync.Mutex
	n, at   int
	reached chan struct{}
}

func (c *countingDriver) Draw(f *image.RGBA) error {
	err := c.Virtual.Draw(f)
	c.mu.Lock()
	c.n++
	if c.n == c.at {
		close(c.reached)
	}
	c.mu.Unlock()
	return err
}

// stuckSource draws the same picture whatever the time: a decoder that
// hands back a stale buffer.
type stuckSource struct{ img *image.RGBA }

func (s stuckSource) Frame(_ time.Duration, dst *image.RGBA) error {
	copy(dst.Pix, s.img.Pix)
	return nil
}
func (s stuckSource) Close() error { return nil }

func TestFrozenOutputIsReported(t *testing.T) {
	r := newRig(t, protocol.FallbackBlack)
	r.stepAt(0) // red
	r.stepAt(5 * time.Second)
	if r.p.Status().Frozen {
		t.Fatal("frozen right after a normal switch")
	}
	// The next item's frames come out as the previous picture.
	stale, _ := r.v.Snapshot()
	r.p.next = &showing{slot: mustSlot(t, r, 10*time.Second), src: stuckSource{stale}, revision: 2}
	r.stepAt(10 * time.Second)
	r.stepAt(11 * time.Second)
	r.clk.mu.Lock()
	r.clk.t = r.window.Add(12*time.Second + 100*time.Millisecond)
	r.clk.mu.Unlock()
	if !r.p.Status().Frozen {
		t.Fatal("a picture that did not change when the plan moved on is not reported frozen")
	}
	// The item after shows its own picture again.
	r.stepAt(15 * time.Second)
	if r.p.Status().Frozen {
		t.Fatal("still frozen after the picture changed")
	}
}

func mustSlot(t *testing.T, r *rig, at time.Duration) protocol.Slot {
	t.Helper()
	slot, ok := r.p.Schedule().At(r.window.Add(at))
	if !ok {
		t.Fatal("no slot")
	}
	return slot
}
