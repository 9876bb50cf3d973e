package api

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pano-signage/pano/assets"
	"github.com/pano-signage/pano/controller/internal/store"
)

// zeroPNG writes a valid w×h RGBA PNG whose pixels are all zero: a few
// hundred KB that decode to w×h×4 bytes. seed changes the bytes (not the
// pixels) so that uploads are not the same file.
func zeroPNG(w io.Writer, width, height int, seed byte) error {
	chunk := func(typ string, data []byte) {
		binary.Write(w, binary.BigEndian, uint32(len(data)))
		c := crc32.NewIEEE()
		c.Write([]byte(typ))
		c.Write(data)
		io.WriteString(w, typ)
		w.Write(data)
		binary.Write(w, binary.BigEndian, c.Sum32())
	}
	io.WriteString(w, "\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(width))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(height))
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	chunk("IHDR", ihdr)
	chunk("tEXt", []byte{'s', 0, seed})
	var idat bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&idat, zlib.BestSpeed)
	row := make([]byte, 1+4*width)
	for y := 0; y < height; y++ {
		zw.Write(row)
	}
	zw.Close()
	chunk("IDAT", idat.Bytes())
	chunk("IEND", nil)
	return nil
}

func zeroPNGBytes(width, height int, seed byte) []byte {
	var b bytes.Buffer
	zeroPNG(&b, width, height, seed)
	return b.Bytes()
}

// Uploads and previews of large pictures, all at once from different
// people, never hold more decoded pixels than the decode budget; they all
// complete, in turn. A preview looked at again is not decoded again.
func TestImageDecodesAtOnceStayWithinTheDecodeBudget(t *testing.T) {
	const side = 2000 // 4 megapixels, 16 MB decoded
	const px = side * side
	v := newEnv(t, func(v *env) {
		v.decode = assets.NewBudget(px * 3 / 2) // room for one at a time
		v.decodeWait = 2 * time.Minute
	})
	defer func(w time.Duration) { previewWait = w }(previewWait)
	previewWait = 2 * time.Minute // queue for the two preview slots rather than 503
	editor := v.session(v.user(store.RoleEditor, v.unitA.ID))
	var m store.Media
	must(t, v.upload(editor, "lon.png", zeroPNGBytes(side, side, 0), nil), 201).json(t, &m)

	const uploads, previews = 4, 6
	var wg sync.WaitGroup
	start := make(chan struct{})
	statuses := make(chan string, uploads+previews)
	assets.ResetDecodePeak()
	_, _, before := assets.DecodeCounters()
	for i := 0; i < uploads; i++ {
		ed := v.session(v.user(store.RoleEditor, v.unitA.ID))
		data := zeroPNGBytes(side, side, byte(i+1))
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r := v.upload(ed, "lon.png", data, nil)
			statuses <- fmt.Sprintf("upload %d %s", r.Status, r.code())
		}()
	}
	for i := 0; i < previews; i++ {
		viewer := v.session(v.user(store.RoleViewer, v.unitA.ID))
		path := fmt.Sprintf("/media/%d/preview?w=%d&h=64", m.ID, 120+i) // sizes no display has: drawn on demand
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r := v.do(viewer, "GET", path, nil)
			statuses <- fmt.Sprintf("preview %d %s", r.Status, r.code())
		}()
	}
	close(start)
	wg.Wait()
	close(statuses)
	for s := range statuses {
		if s != "upload 201 " && s != "preview 200 " {
			t.Errorf("%s", s)
		}
	}
	now, peak, after := assets.DecodeCounters()
	t.Logf("%d decodes of %d px; peak held %d px, budget %d", after-before, px, peak, px*3/2)
	if after-before < uploads+previews {
		t.Fatalf("%d decodes, want at least %d", after-before, uploads+previews)
	}
	if peak > px*3/2 || now != 0 {
		t.Fatalf("decoded pixels held at once: %d (%d at once), budget %d; %d still held", peak, peak/px, px*3/2, now)
	}
	if st := v.decode.Stats(); st.Peak > st.Capacity || st.InUse != 0 {
		t.Fatalf("budget %+v", st)
	}

	// Again: served from the preview cache, no decode.
	viewer := v.session(v.user(store.RoleViewer, v.unitA.ID))
	_, _, before = assets.DecodeCounters()
	for i := 0; i < previews; i++ {
		r := must(t, v.do(viewer, "GET", fmt.Sprintf("/media/%d/preview?w=%d&h=64", m.ID, 120+i), nil), 200)
		decodePNG(t, r.Body)
	}
	if _, _, again := assets.DecodeCounters(); again != before {
		t.Fatalf("looking at the same previews again decoded %d times", again-before)
	}
}

// A preview that cannot get room in the decode budget in time is answered
// 503 decode_busy with Retry-After, and nothing is left taken.
func TestPreviewWithoutRoomToDecodeIsBusyWithRetryAfter(t *testing.T) {
	v := newEnv(t, func(v *env) {
		v.decode = assets.NewBudget(1_000_000)
		v.decodeWait = 50 * time.Millisecond
	})
	editor := v.session(v.user(store.RoleEditor, v.unitA.ID))
	var m store.Media
	must(t, v.upload(editor, "lon.png", zeroPNGBytes(1000, 1000, 0), nil), 201).json(t, &m)
	hold, err := v.decode.Acquire(t.Context(), 1_000_000) // someone else's large decode
	if err != nil {
		t.Fatal(err)
	}
	viewer := v.session(v.user(store.RoleViewer, v.unitA.ID))
	r := v.do(viewer, "GET", fmt.Sprintf("/media/%d/preview?w=100&h=50", m.ID), nil)
	if s, _ := strconv.Atoi(r.Header.Get("Retry-After")); r.Status != 503 || r.code() != "decode_busy" || s <= 0 {
		t.Fatalf("got %d %s Retry-After %q", r.Status, r.Body, r.Header.Get("Retry-After"))
	}
	r = v.upload(editor, "khac.png", zeroPNGBytes(1000, 1000, 1), nil)
	if r.Status != 503 || r.code() != "decode_busy" {
		t.Fatalf("upload: got %d %s", r.Status, r.Body)
	}
	hold()
	must(t, v.do(viewer, "GET", fmt.Sprintf("/media/%d/preview?w=100&h=50", m.ID), nil), 200)
	if st := v.decode.Stats(); st.InUse != 0 || st.Waiting != 0 {
		t.Fatalf("budget %+v", st)
	}
}

// BenchmarkPreviewsPeakRSS is issue 12's figure: the peak RSS of a
// controller while six viewers ask at once for previews of a 290 KB PNG of
// 100 megapixels (400 MB decoded), each at a size no display has. Each
// case runs in a child process of its own (peak RSS is per process): with
// no decode budget (as before it existed) and with the default of serve's
// --decode-megapixels. `make bench` prints both.
func BenchmarkPreviewsPeakRSS(b *testing.B) {
	if mode := os.Getenv("PANO_RSS_CHILD"); mode != "" {
		previewsRSSChild(b, mode)
		return
	}
	if runtime.GOOS != "linux" {
		b.Skip("reads /proc/self/status")
	}
	for _, mode := range []string{"none", "150"} {
		cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^BenchmarkPreviewsPeakRSS$", "-test.benchtime=1x")
		cmd.Env = append(os.Environ(), "PANO_RSS_CHILD="+mode)
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("child %s: %v\n%s", mode, err, out)
		}
		_, rest, ok := strings.Cut(string(out), "PEAK ")
		if !ok {
			b.Fatalf("no PEAK line in\n%s", out)
		}
		line, _, _ := strings.Cut(rest, "\n")
		f := strings.Fields(line)
		kb, _ := strconv.ParseFloat(f[0], 64)
		b.ReportMetric(kb/1024, "peak_rss_MiB_budget_"+mode)
		fmt.Printf("previews_100mp=6 decode_budget_mp=%s peak_rss_mib=%.0f %s\n", mode, kb/1024, strings.Join(f[1:], " "))
	}
}

func previewsRSSChild(b *testing.B, mode string) {
	const side = 10_000 // 100 megapixels
	v := newEnv(b, func(v *env) {
		if mp, err := strconv.Atoi(mode); err == nil {
			v.decode = assets.NewBudget(int64(mp) * 1_000_000)
		}
	})
	previewWait = 5 * time.Minute // count decodes, not preview slots
	// The original goes into the store as it is (decoding it to upload
	// it would set the peak before the previews start).
	data := zeroPNGBytes(side, side, 0)
	sha, _, err := v.as.Put(data, ".png")
	if err != nil {
		b.Fatal(err)
	}
	m, err := v.st.CreateMedia(b.Context(), store.System, store.NewMedia{UnitID: v.unitA.ID, Title: "100 MP", Kind: store.KindImage,
		SHA256: sha, MIME: "image/png", Bytes: int64(len(data)), Width: side, Height: side})
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	start := make(chan struct{})
	for i := 0; i < 6; i++ {
		viewer := v.session(v.user(store.RoleViewer, v.unitA.ID))
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r := v.do(viewer, "GET", fmt.Sprintf("/media/%d/preview?w=%d&h=64", m.ID, 128+i), nil)
			mu.Lock()
			codes[r.Status]++
			mu.Unlock()
		}()
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	status, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			kb := strings.Fields(strings.TrimPrefix(l, "VmHWM:"))[0]
			_, peak, _ := assets.DecodeCounters()
			fmt.Printf("PEAK %s ok=%d busy=%d held_mp=%d seconds=%.1f png_kib=%d\n", kb, codes[200], codes[503],
				peak/1_000_000, time.Since(t0).Seconds(), len(data)>>10)
		}
	}
}
