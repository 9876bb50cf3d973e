package plans

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pano-signage/pano/assets"
	"github.com/pano-signage/pano/assets/play"
	"github.com/pano-signage/pano/assets/pngcmp"
	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// files is an asset store for the test: notices rendered on demand at
// the size asked, and compiled programs, by hash in a directory.
type files struct {
	dir string
	mu  sync.Mutex
	st  *store.Store
}

func (f *files) put(data []byte) string {
	sum := sha256.Sum256(data)
	sha := hex.EncodeToString(sum[:])
	os.WriteFile(filepath.Join(f.dir, sha), data, 0o600)
	return sha
}

func (f *files) PutProgram(_ context.Context, data []byte) (string, error) { return f.put(data), nil }

// rend draws a text revision for the size asked, as the pipeline would.
func (f *files) rend(ctx context.Context, rev int64, w, h int, fit string) (protocol.Asset, error) {
	r, err := f.st.Revision(ctx, rev)
	if err != nil {
		return protocol.Asset{}, err
	}
	out, err := assets.RenderText(assets.Notice{Body: r.Body, Color: "#ffd200", Background: "#00205b"}, assets.Geometry{W: w, H: h, Fit: assets.Fit(fit)})
	if err != nil {
		return protocol.Asset{}, err
	}
	a := protocol.Asset{SHA256: f.put(out.Data), Kind: protocol.AssetImage, Bytes: int64(len(out.Data))}
	if out.Ticker != nil {
		a.TickerPPS = out.Ticker.PixelsPerSecond
	}
	if out.Frames > 0 {
		a.Kind, a.FPS = protocol.AssetVideo, out.FPS
	}
	return a, nil
}

// wardProgram stores an approved notice and a program showing it above a
// ticker, with the time and a countdown beside it, designed for 128×64.
func wardProgram(t *testing.T, st *store.Store) (programRev int64) {
	t.Helper()
	ctx := context.Background()
	unit := mustUnitID(t, st)
	slide, err := st.CreateMedia(ctx, store.System, store.NewMedia{UnitID: unit, Title: "Chuyển đổi số", Kind: store.KindText, Body: "Chuyển đổi số"})
	if err != nil {
		t.Fatal(err)
	}
	approveMedia(t, st, slide.ID)
	hcm, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	win := func(w protocol.ProgramWindow) store.ProgramWindow { return store.ProgramWindow{ProgramWindow: w} }
	media := win(protocol.ProgramWindow{Kind: protocol.WindowMedia, X: 0, Y: 0, W: 88, H: 44})
	media.MediaID = slide.ID
	layouts := &store.ProgramLayouts{Layouts: []store.ProgramLayout{{Width: 128, Height: 64, Background: "#000000", Windows: []store.ProgramWindow{
		media,
		win(protocol.ProgramWindow{Kind: protocol.WindowClock, X: 88, Y: 0, W: 40, H: 22, Color: "#ffc800"}),
		win(protocol.ProgramWindow{Kind: protocol.WindowCountdown, X: 88, Y: 22, W: 40, H: 22, Text: "Tết", Until: time.Date(2027, 2, 6, 0, 0, 0, 0, hcm)}),
		win(protocol.ProgramWindow{Kind: protocol.WindowTicker, X: 0, Y: 44, W: 128, H: 20, Text: "Nghị quyết 57-NQ/TW: đột phá phát triển khoa học, công nghệ"}),
	}}}}
	prog, err := st.CreateMedia(ctx, store.System, store.NewMedia{UnitID: unit, Title: "Chương trình phường", Kind: store.KindProgram, Program: layouts})
	if err != nil {
		t.Fatal(err)
	}
	approveMedia(t, st, prog.ID)
	return prog.Current.ID
}

func mustUnitID(t *testing.T, st *store.Store) int64 {
	t.Helper()
	us, err := st.Units(context.Background(), "")
	if err != nil || len(us) == 0 {
		t.Fatalf("units: %v %v", us, err)
	}
	return us[0].ID
}

func approveMedia(t *testing.T, st *store.Store, id int64) {
	t.Helper()
	ctx := context.Background()
	if _, err := st.SubmitMedia(ctx, store.System, id); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ApproveMedia(ctx, store.System, id); err != nil {
		t.Fatal(err)
	}
}

// TestProgramGolden: the ward program designed for 128×64, scaled to
// 64×32 and 192×96 and drawn at one instant with the agent's code, is the
// golden picture at each size.
func TestProgramGolden(t *testing.T) {
	svc, st, _ := setup(t)
	f := &files{dir: t.TempDir(), st: st}
	rev := wardProgram(t, st)
	hcm, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	at := time.Date(2026, 11, 30, 14, 5, 9, 0, hcm)
	for _, sz := range [][2]int{{64, 32}, {128, 64}, {192, 96}} {
		p, needs, err := svc.ProgramFor(context.Background(), rev, sz[0], sz[1], false, f.rend)
		if err != nil {
			t.Fatal(err)
		}
		env := play.Env{Assets: map[string]protocol.Asset{}, Loc: hcm, Path: func(sha string) string { return filepath.Join(f.dir, sha) }}
		for _, n := range needs {
			env.Assets[n.SHA256] = n
		}
		src, err := play.NewProgram(p, image.Rect(0, 0, sz[0], sz[1]), at.Add(-3*time.Second), env)
		if err != nil {
			t.Fatal(err)
		}
		img := image.NewRGBA(image.Rect(0, 0, sz[0], sz[1]))
		if err := src.Frame(3*time.Second, img); err != nil {
			t.Fatal(err)
		}
		src.Close()
		var buf bytes.Buffer
		png.Encode(&buf, img)
		name := filepath.Join("testdata", fmt.Sprintf("program-ward-%dx%d.png", sz[0], sz[1]))
		if *update {
			os.MkdirAll("testdata", 0o755)
			if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(name)
		if err != nil {
			t.Fatalf("%v (run `make golden`)", err)
		}
		if err := pngcmp.Diff(buf.Bytes(), want); err != nil {
			os.WriteFile(name+".got.png", buf.Bytes(), 0o644)
			t.Errorf("%s differs (%v); wrote %s.got.png", name, err, name)
		}
	}
}

// TestProgramInPlan: a rotation with the program gives its displays a
// schema 3 plan whose program asset needs the slide rendered for its
// window; a window whose rendition is missing keeps the program out and
// asks for the rendition.
func TestProgramInPlan(t *testing.T) {
	ctx := context.Background()
	_, st, _ := setup(t)
	f := &files{dir: t.TempDir(), st: st}
	asked := make(chan [3]int, 8)
	missing := true
	rend := func(ctx context.Context, rev int64, w, h int, fit string) (protocol.Asset, error) {
		r, _ := st.Revision(ctx, rev)
		if r.Kind == store.KindText && w == 88 && missing {
			return protocol.Asset{}, store.ErrNotFound
		}
		return f.rend(ctx, rev, w, h, fit)
	}
	svc := New(st, rend, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{Programs: f, Render: func(rev int64, w, h int, fit string) { asked <- [3]int{int(rev), w, h} }})
	wardProgram(t, st)
	var mediaID int64
	ms, _, err := st.ListMedia(ctx, store.MediaFilter{Kind: store.KindProgram, Limit: 10})
	if err != nil || len(ms) == 0 {
		t.Fatal(err)
	}
	mediaID = ms[0].ID
	d := displayNamed(t, st, "duong-chinh") // 128×64
	pl, err := st.CreatePlaylist(ctx, store.System, store.NewPlaylist{UnitID: mustUnitID(t, st), Name: "Chương trình",
		Items: []store.PlaylistItem{{MediaID: mediaID, DurationMS: 60_000}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.SubmitPlaylist(ctx, store.System, pl.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ApprovePlaylist(ctx, store.System, pl.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateSchedule(ctx, store.System, store.Schedule{PlaylistID: pl.ID, DisplayID: &d.ID, StartsOn: "2026-01-01", EndsOn: "2027-12-31",
		Weekdays: 127, StartTime: "00:00", EndTime: "24:00", Priority: 90, Weight: 1}); err != nil {
		t.Fatal(err)
	}
	hasProgram := func(p *protocol.Plan) *protocol.Asset {
		for i, a := range p.Assets {
			if a.Kind == protocol.AssetProgram {
				return &p.Assets[i]
			}
		}
		return nil
	}
	p, _, err := svc.Compile(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if hasProgram(p) != nil {
		t.Fatal("a program whose slide is not rendered for its window is in the plan")
	}
	select {
	case got := <-asked:
		if got[1] != 88 || got[2] != 44 {
			t.Fatalf("asked for %v, want the slide at 88×44", got)
		}
	default:
		t.Fatal("the missing window rendition was not asked for")
	}
	missing = false
	p, _, err = svc.Compile(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	a := hasProgram(p)
	if a == nil || p.Schema != 3 || len(a.Needs) != 1 {
		t.Fatalf("plan schema %d, program asset %+v", p.Schema, a)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(f.dir, a.SHA256))
	if err != nil || int64(len(b)) != a.Bytes {
		t.Fatalf("the program's file: %d bytes, %v; the plan says %d", len(b), err, a.Bytes)
	}
}

// A ticker fed by the notice list shows the approved notices of the
// program's unit valid today, oldest first, and its own text when there
// are none; an expired notice, a draft and an urgent notice's text are
// not in it.
func TestProgramTickerFollowsTheNoticeList(t *testing.T) {
	ctx := context.Background()
	_, st, _ := setup(t)
	f := &files{dir: t.TempDir(), st: st}
	hcm, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	now := time.Date(2026, 11, 30, 14, 5, 9, 0, hcm)
	svc := New(st, f.rend, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{Programs: f, Now: func() time.Time { return now }})
	u, err := st.CreateUnit(ctx, store.System, store.Unit{Name: "Tổ dân phố 3", Kind: "other"})
	if err != nil {
		t.Fatal(err)
	}
	unit := u.ID
	notice := func(title, body, from, until string, approve bool) {
		m, err := st.CreateMedia(ctx, store.System, store.NewMedia{UnitID: unit, Title: title, Kind: store.KindText, Body: body, ValidFrom: from, ValidUntil: until})
		if err != nil {
			t.Fatal(err)
		}
		if approve {
			approveMedia(t, st, m.ID)
		}
	}
	ticker := store.ProgramWindow{ProgramWindow: protocol.ProgramWindow{Kind: protocol.WindowTicker, X: 0, Y: 0, W: 128, H: 16, Text: "Chào mừng"}, Source: store.SourceNotices}
	prog, err := st.CreateMedia(ctx, store.System, store.NewMedia{UnitID: unit, Title: "Tin tuần", Kind: store.KindProgram,
		Program: &store.ProgramLayouts{Layouts: []store.ProgramLayout{{Width: 128, Height: 16, Windows: []store.ProgramWindow{ticker}}}}})
	if err != nil {
		t.Fatal(err)
	}
	text := func() string {
		p, _, err := svc.ProgramFor(ctx, prog.Current.ID, 128, 16, false, f.rend)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Windows) == 0 {
			return ""
		}
		return p.Windows[0].Text
	}
	if got := text(); got != "Chào mừng" {
		t.Fatalf("with no notice the ticker shows %q, want its own text", got)
	}
	notice("Họp tổ dân phố", "19 giờ thứ Sáu", "2026-11-28", "2026-12-05", true)
	notice("Cũ", "đã hết hạn", "2026-11-01", "2026-11-29", false)
	notice("Tiêm chủng", "sáng thứ Bảy", "", "", true)
	notice("Nháp", "chưa duyệt", "", "", false)
	got := text()
	if want := "Họp tổ dân phố: 19 giờ thứ Sáu" + noticeSeparator + "Tiêm chủng: sáng thứ Bảy"; got != want {
		t.Fatalf("ticker %q, want %q", got, want)
	}
}

// A media window can play a rotation of its own: the compiled window
// lists the rotation's approved items rendered for the window, with their
// durations, and the program needs them all.
func TestProgramWindowPlaysARotation(t *testing.T) {
	ctx := context.Background()
	_, st, _ := setup(t)
	f := &files{dir: t.TempDir(), st: st}
	svc := New(st, f.rend, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{Programs: f})
	unit := mustUnitID(t, st)
	var items []store.PlaylistItem
	for i, body := range []string{"Một", "Hai"} {
		m, err := st.CreateMedia(ctx, store.System, store.NewMedia{UnitID: unit, Title: body, Kind: store.KindText, Body: body})
		if err != nil {
			t.Fatal(err)
		}
		approveMedia(t, st, m.ID)
		items = append(items, store.PlaylistItem{MediaID: m.ID, DurationMS: int64(3000 + 1000*i)})
	}
	pl, err := st.CreatePlaylist(ctx, store.System, store.NewPlaylist{UnitID: unit, Name: "Trong ô", Items: items})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.SubmitPlaylist(ctx, store.System, pl.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ApprovePlaylist(ctx, store.System, pl.ID); err != nil {
		t.Fatal(err)
	}
	win := store.ProgramWindow{ProgramWindow: protocol.ProgramWindow{Kind: protocol.WindowMedia, X: 0, Y: 0, W: 64, H: 32}, PlaylistID: pl.ID}
	prog, err := st.CreateMedia(ctx, store.System, store.NewMedia{UnitID: unit, Title: "Ô quay vòng", Kind: store.KindProgram,
		Program: &store.ProgramLayouts{Layouts: []store.ProgramLayout{{Width: 128, Height: 32, Windows: []store.ProgramWindow{win}}}}})
	if err != nil {
		t.Fatal(err)
	}
	p, needs, err := svc.ProgramFor(ctx, prog.Current.ID, 128, 32, false, f.rend)
	if err != nil {
		t.Fatal(err)
	}
	w := p.Windows[0]
	if w.Asset != "" || len(w.Items) != 2 || w.Items[0].DurationMS != 3000 || w.Items[1].DurationMS != 4000 || len(needs) != 2 ||
		w.Items[0].Asset != needs[0].SHA256 || w.Items[1].Asset != needs[1].SHA256 || w.Items[0].Asset == w.Items[1].Asset {
		t.Fatalf("window %+v, needs %d", w, len(needs))
	}
}
