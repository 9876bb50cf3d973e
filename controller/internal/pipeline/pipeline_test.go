package pipeline

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/pano-signage/pano/assets"
	"github.com/pano-signage/pano/assets/frames"
	"github.com/pano-signage/pano/controller/internal/store"
)

type fixture struct {
	t      *testing.T
	dir    string
	st     *store.Store
	as     *assets.Store
	ready  chan int64
	failed chan error
	prog   chan int
}

func newFixture(t *testing.T, dir string) *fixture {
	t.Helper()
	st, err := store.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	as, err := assets.OpenStore(filepath.Join(dir, "assets"))
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, dir: dir, st: st, as: as, ready: make(chan int64, 100), failed: make(chan error, 100), prog: make(chan int, 1000)}
}

func (f *fixture) start(workers int) *Pipeline {
	f.t.Helper()
	p := New(Options{Store: f.st, Assets: f.as, Workers: workers, FPS: 25,
		OnReady:    func(rev int64) { f.ready <- rev },
		OnFailed:   func(_ int64, err error) { f.failed <- err },
		OnProgress: func(_ int64, pct int) { f.prog <- pct },
	})
	if err := p.Start(context.Background()); err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *fixture) display(name string, w, h int, fit string) {
	f.t.Helper()
	if _, err := f.st.CreateDisplay(context.Background(), store.System, store.Display{Name: name, Width: w, Height: h, Fit: fit, Profile: "virtual"}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) wait(n int) {
	f.t.Helper()
	deadline := time.After(2 * time.Minute)
	for i := 0; i < n; i++ {
		select {
		case <-f.ready:
		case err := <-f.failed:
			f.t.Fatalf("rendition failed: %v", err)
		case <-deadline:
			f.t.Fatalf("%d of %d renditions ready in time", i, n)
		}
	}
}

func mustUnit(t *testing.T, st *store.Store) store.Unit {
	u, err := st.CreateUnit(context.Background(), store.System, store.Unit{Name: "Phường Bến Nghé"})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestTextNoticeEveryGeometry: an approved notice gets a rendition for each
// geometry in use, and a display of a new geometry gets one more after a
// Kick. The notice is too long for one screen of either: on 128×64 it
// shows as pages, on 64×32 (more than MaxAutoPages pages) it scrolls.
func TestTextNoticeEveryGeometry(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, t.TempDir())
	defer f.st.Close()
	u := mustUnit(t, f.st)
	f.display("a", 64, 32, "contain")
	f.display("b", 128, 64, "contain")
	m, err := f.st.CreateMedia(ctx, store.System, store.NewMedia{UnitID: u.ID, Title: "Dịch vụ công trực tuyến", Kind: store.KindText,
		Body: "Người dân hãy dùng dịch vụ công trực tuyến và thanh toán số: nhanh, tiện, minh bạch."})
	if err != nil {
		t.Fatal(err)
	}
	p := f.start(2)
	defer p.Close(ctx)
	f.wait(2)
	small, err := f.st.RenditionFor(ctx, m.Current.ID, 64, 32, "contain")
	if err != nil {
		t.Fatal(err)
	}
	if small.TickerPPS == 0 || small.FileWidth <= 64 || small.FileHeight != 32 {
		t.Errorf("64×32 = %+v, want a ticker strip 32 high", small)
	}
	big, err := f.st.RenditionFor(ctx, m.Current.ID, 128, 64, "contain")
	if err != nil {
		t.Fatal(err)
	}
	if big.TickerPPS != 0 || big.FileWidth != 128 || big.FileHeight != 64 || big.MIME != assets.VideoMIME || big.FPS != 1 ||
		big.DurationMS != int64(big.Frames)*1000 || big.DurationMS < 2*assets.MinPageSeconds*1000 {
		t.Errorf("128×64 = %+v, want pages: frames of 128×64 at 1 fps", big)
	}
	if _, err := f.as.Find(context.Background(), big.SHA256); err != nil {
		t.Errorf("file of the rendition: %v", err)
	}
	f.display("c", 192, 96, "cover")
	if err := p.Kick(ctx); err != nil {
		t.Fatal(err)
	}
	f.wait(1)
	if _, err := f.st.RenditionFor(ctx, m.Current.ID, 192, 96, "cover"); err != nil {
		t.Fatal(err)
	}
}

// testVideo makes a video with ffmpeg's lavfi test source.
func testVideo(t *testing.T, seconds string, size string) []byte {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Fatal("ffmpeg is required (scripts/install-deps.sh installs it)")
	}
	out := filepath.Join(t.TempDir(), "testsrc.mp4")
	cmd := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc=size="+size+":rate=25",
		"-t", seconds, "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func (f *fixture) ingestVideo(data []byte) store.Media {
	f.t.Helper()
	ctx := context.Background()
	path := filepath.Join(f.t.TempDir(), "v.mp4")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		f.t.Fatal(err)
	}
	in, _ := os.Open(path)
	defer in.Close()
	o, err := f.as.Ingest(ctx, in, assets.IngestRequest{Filename: "v.mp4"})
	if err != nil {
		f.t.Fatal(err)
	}
	u, err := f.st.CreateUnit(ctx, store.System, store.Unit{Name: "Đơn vị " + o.SHA256[:8]})
	if err != nil {
		f.t.Fatal(err)
	}
	m, err := f.st.CreateMedia(ctx, store.System, store.NewMedia{UnitID: u.ID, Title: "Phim", Kind: store.KindVideo, SHA256: o.SHA256,
		MIME: o.MIME, Bytes: o.Size, Width: o.Width, Height: o.Height, DurationMS: o.Duration.Milliseconds(), Processing: store.ProcessingProcessing})
	if err != nil {
		f.t.Fatal(err)
	}
	return m
}

// TestRestartResumesQueuedJob: a controller stopped while a rendition was
// processing (the row says so; no worker owns it) finishes it after a
// restart, and the video ends ready with the right frames.
func TestRestartResumesQueuedJob(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	f := newFixture(t, dir)
	f.display("a", 64, 32, "contain")
	m := f.ingestVideo(testVideo(t, "2", "320x240"))
	if _, err := f.st.EnqueueRenditions(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.ClaimRendition(ctx); err != nil { // the run that died
		t.Fatal(err)
	}
	f.st.Close()

	f = newFixture(t, dir)
	defer f.st.Close()
	p := f.start(1)
	defer p.Close(ctx)
	f.wait(1)
	r, err := f.st.RenditionFor(ctx, m.Current.ID, 64, 32, "contain")
	if err != nil {
		t.Fatal(err)
	}
	checkFrames(t, f.as, r, 64, 32, 50)
	got, _ := f.st.Media(ctx, m.ID)
	if got.Current.Processing != store.ProcessingReady || got.Current.ProcessingProgress != 100 {
		t.Errorf("revision %s %d%%, want ready", got.Current.Processing, got.Current.ProcessingProgress)
	}
}

func checkFrames(t *testing.T, as *assets.Store, r store.Rendition, w, h, n int) {
	t.Helper()
	path, err := as.Find(context.Background(), r.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	fr, err := frames.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fr.Close()
	mf := fr.Manifest()
	if mf.Width != w || mf.Height != h || mf.Frames != n || mf.FPS != 25 {
		t.Fatalf("manifest %+v, want %d×%d, %d frames at 25 fps", mf, w, h, n)
	}
	if r.Frames != n || r.FPS != 25 || r.Kind != store.KindVideo || r.DurationMS != int64(n*40) {
		t.Fatalf("row %+v", r)
	}
	img, err := fr.Frame(n - 1)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Fatalf("last frame %v", b)
	}
}

// TestCloseKillsFFmpegAndRequeues: closing the pipeline during a transcode
// ends it promptly and leaves the rendition queued for the next run.
func TestCloseKillsFFmpegAndRequeues(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, t.TempDir())
	defer f.st.Close()
	f.display("a", 192, 96, "cover")
	m := f.ingestVideo(testVideo(t, "40", "640x360"))
	p := f.start(1)
	select {
	case <-f.prog: // ffmpeg is running
	case <-f.ready:
		t.Fatal("a 40 s video was transcoded before any progress report")
	case err := <-f.failed:
		t.Fatal(err)
	case <-time.After(time.Minute):
		t.Fatal("no progress in a minute")
	}
	start := time.Now()
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := p.Close(cctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("close took %v", time.Since(start))
	got, _ := f.st.Media(ctx, m.ID)
	if len(got.Current.Renditions) != 1 || got.Current.Renditions[0].Status != store.RenditionQueued {
		t.Fatalf("after close: %+v", got.Current.Renditions)
	}
	if _, err := f.st.RenditionFor(ctx, m.Current.ID, 192, 96, "cover"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("RenditionFor after a cancelled transcode: %v", err)
	}
	tmp, _ := os.ReadDir(filepath.Join(f.dir, "assets", "tmp"))
	if len(tmp) != 0 {
		t.Errorf("left in assets/tmp: %v", tmp)
	}
}
