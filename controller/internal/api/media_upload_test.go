package api

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pano-signage/pano/assets"
	"github.com/pano-signage/pano/assets/frames"
	"github.com/pano-signage/pano/controller/internal/auth"
	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

// uploadBody makes env.do send a multipart upload of one file.
type uploadBody struct {
	name string
	data []byte
}

// multipartBody is a multipart body: fields first, then the file part with
// the raw file name given (quoted as is, so tests can send any bytes; a
// name starting with * is sent RFC 2231-encoded, as browsers may).
func multipartBody(t testing.TB, filename string, data []byte, fields map[string]string) (io.Reader, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, val := range fields {
		if err := mw.WriteField(k, val); err != nil {
			t.Fatal(err)
		}
	}
	h := textproto.MIMEHeader{}
	disp := fmt.Sprintf(`form-data; name="file"; filename="%s"`, filename)
	if enc, ok := strings.CutPrefix(filename, "*"); ok {
		disp = `form-data; name="file"; filename*=UTF-8''` + enc
	}
	h.Set("Content-Disposition", disp)
	h.Set("Content-Type", "application/octet-stream")
	fw, err := mw.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	return &body, mw.FormDataContentType()
}

// upload posts a new media from a file.
func (v *env) upload(c cred, filename string, data []byte, fields map[string]string) resp {
	v.t.Helper()
	rd, ctype := multipartBody(v.t, filename, data, fields)
	return v.send(c, "POST", "/media", rd, ctype)
}

// smallPNG is a 32×16 PNG.
var smallPNG = func() []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 32, 16))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}()

// imageMedia is an image media of unit, its file in the asset store.
func (v *env) imageMedia(unit int64) int64 {
	v.t.Helper()
	ctx := context.Background()
	o, err := v.as.Ingest(ctx, bytes.NewReader(smallPNG), assets.IngestRequest{Filename: "a.png"})
	if err != nil {
		v.t.Fatal(err)
	}
	m, err := v.st.CreateMedia(ctx, store.System, store.NewMedia{UnitID: unit, Title: v.uniq("Ảnh"), Kind: store.KindImage,
		SHA256: o.SHA256, MIME: o.MIME, Bytes: o.Size, Width: o.Width, Height: o.Height})
	if err != nil {
		v.t.Fatal(err)
	}
	return m.ID
}

func testPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.NRGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8((x ^ y) & 0xff), 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// bombPNG is a valid, tiny PNG that declares w×h pixels.
func bombPNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		c := crc32.NewIEEE()
		c.Write([]byte(typ))
		c.Write(data)
		b.WriteString(typ)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, c.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

// ffmpegFile makes a file with ffmpeg from lavfi sources.
func ffmpegFile(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Fatal("ffmpeg is required (scripts/install-deps.sh installs it)")
	}
	out := filepath.Join(t.TempDir(), name)
	cmd := exec.Command("ffmpeg", append(append([]string{"-nostdin", "-v", "error"}, args...), out)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %v: %v: %s", args, err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func testsrcVideo(t *testing.T, seconds string) []byte {
	return ffmpegFile(t, "testsrc.mp4", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-t", seconds,
		"-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast")
}

// assetFiles lists the files in the asset store (tmp/ included).
func (v *env) assetFiles() []string {
	v.t.Helper()
	var out []string
	filepath.WalkDir(v.as.Dir(), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, strings.TrimPrefix(p, v.as.Dir()))
		}
		return nil
	})
	return out
}

// TestUploadBadInput: every bad file gets a 4xx JSON error with a code and
// a message, and leaves no row and no file.
func TestUploadBadInput(t *testing.T) {
	v := newEnv(t, func(v *env) { v.limits = assets.Limits{MaxImageBytes: 64 << 10} })
	ed := v.bearer(v.user(store.RoleEditor, v.unitA.ID))
	v.display() // a geometry in use: images are rendered while uploaded
	good := testPNG(t, 200, 100)
	var jpg bytes.Buffer
	jpg.Write([]byte{0xff, 0xd8, 0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0})
	jpg.Write(bytes.Repeat([]byte{0x42}, 400))
	noVideo := ffmpegFile(t, "audio.mp4", "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac")
	cases := []struct {
		name, filename string
		data           []byte
		status         int
		code           string
	}{
		{"truncated png", "anh.png", good[:len(good)/2], 422, assets.CodeCorrupt},
		{"corrupt jpeg", "anh.jpg", jpg.Bytes(), 422, assets.CodeCorrupt},
		{"decompression bomb", "bom.png", bombPNG(30000, 30000), 422, assets.CodeTooManyPixels},
		{"zero bytes", "rong.png", nil, 422, assets.CodeEmpty},
		{"pdf renamed png", "poster.png", []byte("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n"), 415, assets.CodeUnsupportedType},
		{"no video stream", "am-thanh.mp4", noVideo, 422, assets.CodeNoVideoStream},
		{"path in name", "../../etc/anh.png", good, 400, assets.CodeBadFilename},
		{"control character in name", "*anh%01.png", good, 400, assets.CodeBadFilename},
		{"encoded path in name", "*..%2F..%2Fanh.png", good, 400, assets.CodeBadFilename},
		{"raw control character in the header", "anh\x01.png", good, 400, "bad_request"},
		{"oversized", "lon.png", append(bytes.Clone(good), make([]byte, 80<<10)...), 413, assets.CodeTooLarge},
	}
	before := v.tableCounts()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := v.upload(ed, tc.filename, tc.data, map[string]string{"title": "Ảnh"})
			var e struct {
				Error struct{ Code, Message string }
			}
			r.json(t, &e)
			if r.Status != tc.status || e.Error.Code != tc.code || e.Error.Message == "" {
				t.Fatalf("%d %s, want %d %s", r.Status, r.Body, tc.status, tc.code)
			}
			t.Logf("%d %s: %s", r.Status, e.Error.Code, e.Error.Message)
		})
	}
	after := v.tableCounts()
	for table, n := range before {
		if after[table] != n {
			t.Errorf("table %s: %d rows before the bad uploads, %d after", table, n, after[table])
		}
	}
	if files := v.assetFiles(); len(files) != 0 {
		t.Errorf("files left in the asset store: %v", files)
	}

	// Not a multipart body with a file, or a stray field: 400, nothing kept.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("title", "x")
	mw.Close()
	if r := v.send(ed, "POST", "/media", &body, mw.FormDataContentType()); r.Status != 400 || r.code() != "bad_request" {
		t.Errorf("no file part: %d %s", r.Status, r.Body)
	}
	if r := v.upload(ed, "a.png", good, map[string]string{"colour": "x"}); r.Status != 400 {
		t.Errorf("unknown field: %d %s", r.Status, r.Body)
	}
	// A refused row (another unit's campaign does not exist) removes the file.
	if r := v.upload(ed, "a.png", good, map[string]string{"campaign_id": "999"}); r.Status != 409 {
		t.Errorf("missing campaign: %d %s", r.Status, r.Body)
	}
	if files := v.assetFiles(); len(files) != 0 {
		t.Errorf("files left after a refused row: %v", files)
	}
}

// sendPlan stores a new plan revision for display id that names assets, as
// the plan service would before sending it; it returns the revision.
func (v *env) sendPlan(id int64, shas ...string) int64 {
	v.t.Helper()
	var assets []map[string]any
	for _, sha := range shas {
		assets = append(assets, map[string]any{"sha256": sha, "kind": "image", "bytes": 1})
	}
	rev, _, err := v.st.SavePlan(context.Background(), id, v.uniq("digest"), func(rev int64) ([]byte, error) {
		return json.Marshal(map[string]any{"revision": rev, "display_id": id, "assets": assets})
	})
	if err != nil {
		v.t.Fatal(err)
	}
	return rev
}

// enrolAgent gives display id a device credential and returns the secret.
func (v *env) enrolAgent(id int64) string {
	v.t.Helper()
	ctx := context.Background()
	code, secret := v.uniq("code"), v.uniq("secret")
	if _, err := v.st.CreateEnrolmentCode(ctx, store.System, id, auth.HashToken(code), v.clock().Add(1e12)); err != nil {
		v.t.Fatal(err)
	}
	if _, err := v.st.RedeemEnrolmentCode(ctx, store.System, auth.HashToken(code), auth.HashToken(secret)); err != nil {
		v.t.Fatal(err)
	}
	return secret
}

func (v *env) agentGet(secret, sha string, hdr map[string]string) resp {
	req, _ := http.NewRequest("GET", protocol.AssetsPath+sha, nil)
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	for k, val := range hdr {
		req.Header.Set(k, val)
	}
	rec := httptest.NewRecorder()
	v.e.ServeHTTP(rec, req)
	return resp{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
}

func decodePNG(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v (%q…)", err, b[:min(len(b), 40)])
	}
	return img
}

// TestUploadImagePreviewAndAgentFetch: an image is rendered for every
// geometry in use while uploaded; the preview is those bytes; other
// geometries render on demand; the same bytes twice are stored once;
// agents fetch renditions (only) with their credential, with Range and a
// strong ETag.
func TestUploadImagePreviewAndAgentFetch(t *testing.T) {
	v := newEnv(t)
	ed := v.bearer(v.user(store.RoleEditor, v.unitA.ID))
	tech := v.bearer(v.user(store.RoleTechnician, v.unitA.ID))
	var d store.Display
	must(t, v.do(tech, "POST", "/displays", map[string]any{"name": "cong-phuong", "width": 64, "height": 32, "profile": "virtual"}), 201).json(t, &d)
	must(t, v.do(tech, "POST", "/displays", map[string]any{"name": "truong-hoc", "width": 128, "height": 64, "fit": "cover", "profile": "virtual"}), 201)

	data := testPNG(t, 400, 300)
	var m store.Media
	must(t, v.upload(ed, "Ảnh chuyển đổi số.png", data, map[string]string{"title": "Chuyển đổi số"}), 201).json(t, &m)
	if m.Kind != "image" || m.Current.Width != 400 || m.Current.Height != 300 || m.Current.Processing != "ready" ||
		m.Current.OriginalName != "Ảnh chuyển đổi số.png" || m.Current.Bytes != int64(len(data)) || m.UnitID != v.unitA.ID {
		t.Fatalf("media %+v", m.Current)
	}
	if len(m.Current.Renditions) != 2 {
		t.Fatalf("renditions %+v, want 2 ready", m.Current.Renditions)
	}
	for _, r := range m.Current.Renditions {
		if r.Status != "ready" || r.FileWidth != r.Width || r.FileHeight != r.Height || r.MIME != "image/png" {
			t.Errorf("rendition %+v", r)
		}
	}
	small := m.Current.Renditions[0] // ordered by size: 64×32 contain
	prev := must(t, v.do(ed, "GET", fmt.Sprintf("/media/%d/preview?w=64&h=32&fit=contain", m.ID), nil), 200)
	if prev.Header.Get("Content-Type") != "image/png" {
		t.Errorf("preview content type %q", prev.Header.Get("Content-Type"))
	}
	file, _ := v.as.Find(context.Background(), small.SHA256)
	onDisk, _ := os.ReadFile(file)
	if !bytes.Equal(prev.Body, onDisk) {
		t.Error("the preview is not the rendition's bytes")
	}
	if b := decodePNG(t, must(t, v.do(ed, "GET", fmt.Sprintf("/media/%d/preview?w=100&h=50&fit=stretch", m.ID), nil), 200).Body).Bounds(); b.Dx() != 100 || b.Dy() != 50 {
		t.Errorf("on-demand preview %v", b)
	}
	if r := v.do(ed, "GET", fmt.Sprintf("/media/%d/preview?w=5000&h=50", m.ID), nil); r.Status != 400 {
		t.Errorf("huge preview: %d %s", r.Status, r.Body)
	}
	if b := decodePNG(t, must(t, v.do(ed, "GET", fmt.Sprintf("/media/%d/thumbnail", m.ID), nil), 200).Body).Bounds(); b.Dx() != ThumbWidth || b.Dy() != ThumbHeight {
		t.Errorf("thumbnail %v", b)
	}
	// Another unit's editor does not see it.
	other := v.bearer(v.user(store.RoleEditor, v.unitB.ID))
	if r := v.do(other, "GET", fmt.Sprintf("/media/%d/preview", m.ID), nil); r.Status != 404 {
		t.Errorf("other unit's preview: %d", r.Status)
	}

	// The same bytes again: a second media, one file.
	files := len(v.assetFiles())
	var m2 store.Media
	must(t, v.upload(ed, "copy.png", data, nil), 201).json(t, &m2)
	if m2.Current.SHA256 != m.Current.SHA256 || m2.Title != "copy" {
		t.Errorf("second upload %+v", m2.Current)
	}
	if n := len(v.assetFiles()); n != files {
		t.Errorf("%d files after the same upload, %d before", n, files)
	}

	secret := v.enrolAgent(d.ID)
	v.sendPlan(d.ID, small.SHA256) // a device fetches what its plans name
	r := v.agentGet(secret, small.SHA256, nil)
	if r.Status != 200 || !bytes.Equal(r.Body, onDisk) || r.Header.Get("ETag") != `"`+small.SHA256+`"` ||
		r.Header.Get("Cache-Control") != "private, immutable" || r.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("agent fetch: %d %v", r.Status, r.Header)
	}
	r = v.agentGet(secret, small.SHA256, map[string]string{"Range": "bytes=8-15"})
	if r.Status != 206 || !bytes.Equal(r.Body, onDisk[8:16]) {
		t.Errorf("range: %d %q", r.Status, r.Body)
	}
	if r = v.agentGet(secret, small.SHA256, map[string]string{"If-None-Match": `"` + small.SHA256 + `"`}); r.Status != 304 {
		t.Errorf("If-None-Match: %d", r.Status)
	}
	for _, c := range []struct {
		secret, sha string
		status      int
		code        string
	}{
		{"", small.SHA256, 401, "unauthenticated"},
		{"pano_forged", small.SHA256, 401, "unauthenticated"},
		{secret, m.Current.SHA256, 404, "not_found"}, // an original is not a rendition
		{secret, strings.Repeat("0", 64), 404, "not_found"},
		{secret, "../../pano.db", 404, "not_found"},
	} {
		r := v.agentGet(c.secret, c.sha, nil)
		if r.Status != c.status || r.code() != c.code {
			t.Errorf("agent GET %q with %q: %d %s, want %d %s", c.sha, c.secret, r.Status, r.Body, c.status, c.code)
		}
	}
	if err := v.st.RevokeDisplay(context.Background(), store.System, d.ID); err != nil {
		t.Fatal(err)
	}
	if r := v.agentGet(secret, small.SHA256, nil); r.Status != 401 {
		t.Errorf("revoked credential: %d", r.Status)
	}
}

// TestUploadVideoEndToEnd: a real lavfi testsrc video is accepted,
// processing (its preview says so) until the pipeline's ffmpeg has made
// the rendition, then ready with the right frame count and size.
func TestUploadVideoEndToEnd(t *testing.T) {
	v := newEnv(t)
	ed := v.bearer(v.user(store.RoleEditor, v.unitA.ID))
	tech := v.bearer(v.user(store.RoleTechnician, v.unitA.ID))
	must(t, v.do(tech, "POST", "/displays", map[string]any{"name": "cong-phuong", "width": 64, "height": 32, "profile": "virtual"}), 201)

	var m store.Media
	must(t, v.upload(ed, "phim.mp4", testsrcVideo(t, "2"), map[string]string{"title": "Phim thử"}), 201).json(t, &m)
	if m.Kind != "video" || m.Current.Processing != "processing" || m.Current.DurationMS != 2000 || m.Current.Width != 320 {
		t.Fatalf("media %+v", m.Current)
	}
	if r := v.do(ed, "GET", fmt.Sprintf("/media/%d/preview?w=64&h=32", m.ID), nil); r.Status != 404 || r.code() != "processing" {
		t.Fatalf("preview while processing: %d %s", r.Status, r.Body)
	}
	approver := v.bearer(v.user(store.RoleApprover, v.unitA.ID))
	must(t, v.do(ed, "POST", fmt.Sprintf("/media/%d/submit", m.ID), nil), 200)
	if r := v.do(approver, "POST", fmt.Sprintf("/media/%d/approve", m.ID), nil); r.Status != 409 {
		t.Fatalf("approving a processing video: %d %s", r.Status, r.Body)
	}

	v.startPipeline()
	v.waitReady(1)
	must(t, v.do(ed, "GET", fmt.Sprintf("/media/%d", m.ID), nil), 200).json(t, &m)
	if m.Current.Processing != "ready" || m.Current.ProcessingProgress != 100 || len(m.Current.Renditions) != 1 {
		t.Fatalf("after the pipeline: %+v", m.Current)
	}
	r := m.Current.Renditions[0]
	if r.Kind != "video" || r.Frames != 50 || r.FPS != 25 || r.FileWidth != 64 || r.FileHeight != 32 || r.MIME != frames.MIME {
		t.Fatalf("rendition %+v", r)
	}
	path, err := v.as.Find(context.Background(), r.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	fr, err := frames.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fr.Close()
	if mf := fr.Manifest(); mf.Frames != 50 || mf.Width != 64 || mf.Height != 32 {
		t.Fatalf("manifest %+v", mf)
	}
	poster := decodePNG(t, must(t, v.do(ed, "GET", fmt.Sprintf("/media/%d/preview?w=64&h=32", m.ID), nil), 200).Body)
	if b := poster.Bounds(); b.Dx() != 64 || b.Dy() != 32 {
		t.Errorf("poster %v", b)
	}
	if b := decodePNG(t, must(t, v.do(ed, "GET", fmt.Sprintf("/media/%d/thumbnail", m.ID), nil), 200).Body).Bounds(); b.Dx() != ThumbWidth {
		t.Errorf("thumbnail %v", b)
	}
	// A panel with no rendition previews the first frame, drawn for it.
	if b := decodePNG(t, must(t, v.do(ed, "GET", fmt.Sprintf("/media/%d/preview?w=100&h=50", m.ID), nil), 200).Body).Bounds(); b.Dx() != 100 || b.Dy() != 50 {
		t.Errorf("video preview for a geometry not rendered: %v", b)
	}
	// The dashboard plays the very bytes agents get: the frames ZIP.
	zr := must(t, v.do(ed, "GET", fmt.Sprintf("/media/%d/rendition?w=64&h=32&fit=contain", m.ID), nil), 200)
	onDisk, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(zr.Body, onDisk) || zr.Header.Get("Content-Type") != frames.MIME {
		t.Errorf("rendition: %d bytes of %s, want the %d bytes of the stored %s", len(zr.Body), zr.Header.Get("Content-Type"), len(onDisk), frames.MIME)
	}
	if r := v.do(ed, "GET", fmt.Sprintf("/media/%d/rendition?w=100&h=50", m.ID), nil); r.Status != 404 || r.code() != "no_rendition" {
		t.Errorf("rendition for a geometry not rendered: %d %s", r.Status, r.Body)
	}
	must(t, v.do(approver, "POST", fmt.Sprintf("/media/%d/approve", m.ID), nil), 200)
}

// TestTextNoticeRenditionsFollowDisplays: a notice created from JSON is
// rendered for the geometries in use at once; a display of a new geometry
// queues one more; a bad style is refused before anything is stored.
func TestTextNoticeRenditionsFollowDisplays(t *testing.T) {
	v := newEnv(t)
	ed := v.bearer(v.user(store.RoleEditor, v.unitA.ID))
	tech := v.bearer(v.user(store.RoleTechnician, v.unitA.ID))
	must(t, v.do(tech, "POST", "/displays", map[string]any{"name": "a", "width": 64, "height": 32, "profile": "virtual"}), 201)
	must(t, v.do(tech, "POST", "/displays", map[string]any{"name": "b", "width": 128, "height": 64, "profile": "virtual"}), 201)
	var m store.Media
	must(t, v.do(ed, "POST", "/media", map[string]any{"kind": "text", "title": "Nghị quyết 57-NQ/TW",
		"body":  "đột phá phát triển khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số quốc gia",
		"style": map[string]any{"color": "#00ff00", "align": "left"}}), 201).json(t, &m)
	if len(m.Current.Renditions) != 2 || m.Current.Notice == nil || m.Current.Notice.Color != "#00ff00" {
		t.Fatalf("notice %+v", m.Current)
	}
	for _, r := range m.Current.Renditions {
		if r.Status != "ready" {
			t.Errorf("rendition %+v", r)
		}
	}
	if m.Current.Renditions[0].TickerPPS == 0 {
		t.Errorf("64×32: a text this long should scroll: %+v", m.Current.Renditions[0])
	}
	before := v.tableCounts()
	r := v.do(ed, "POST", "/media", map[string]any{"kind": "text", "title": "x", "body": "y", "style": map[string]any{"background": "red"}})
	if r.Status != 400 || r.code() != assets.CodeBadNotice {
		t.Errorf("bad colour: %d %s", r.Status, r.Body)
	}
	if after := v.tableCounts(); after["media"] != before["media"] {
		t.Error("a refused notice left a row")
	}

	must(t, v.do(tech, "POST", "/displays", map[string]any{"name": "c", "width": 192, "height": 96, "fit": "cover", "profile": "virtual"}), 201)
	v.startPipeline()
	v.waitReady(1)
	if _, err := v.st.RenditionFor(context.Background(), m.Current.ID, 192, 96, "cover"); err != nil {
		t.Fatal(err)
	}
	// An edit of the text makes new renditions.
	must(t, v.do(ed, "PATCH", fmt.Sprintf("/media/%d", m.ID), map[string]any{"body": "Chuyển đổi số"}), 200)
	v.waitReady(3)
	var got store.Media
	must(t, v.do(ed, "GET", fmt.Sprintf("/media/%d", m.ID), nil), 200).json(t, &got)
	if len(got.Current.Renditions) != 3 || got.Current.Renditions[0].TickerPPS != 0 {
		t.Fatalf("after the edit: %+v", got.Current.Renditions)
	}
}

// TestReplaceFileIsAnEdit: a new file for an approved image is a new
// pending revision with its own renditions while the approved one keeps
// its file; a text notice takes no file, and the refused file is removed.
func TestReplaceFileIsAnEdit(t *testing.T) {
	v := newEnv(t)
	ed := v.bearer(v.user(store.RoleEditor, v.unitA.ID))
	v.display()
	id := v.imageMedia(v.unitA.ID)
	v.moveMedia(id, store.StatusApproved)
	rd, ctype := multipartBody(t, "moi.png", testPNG(t, 90, 60), map[string]string{"title": "Ảnh mới"})
	var m store.Media
	must(t, v.send(ed, "POST", fmt.Sprintf("/media/%d/file", id), rd, ctype), 200).json(t, &m)
	if m.Status != store.StatusPending || m.Current.Number != 2 || m.Current.Width != 90 || m.Title != "Ảnh mới" ||
		m.Approved == nil || m.Approved.SHA256 == m.Current.SHA256 || len(m.Current.Renditions) != 1 || m.Current.Renditions[0].Status != "ready" {
		t.Fatalf("after the new file: %+v", m)
	}
	files := v.assetFiles()
	text := v.media(v.unitA.ID, store.StatusDraft)
	rd, ctype = multipartBody(t, "x.png", testPNG(t, 50, 50), nil)
	if r := v.send(ed, "POST", fmt.Sprintf("/media/%d/file", text), rd, ctype); r.Status != 409 {
		t.Fatalf("file for a text notice: %d %s", r.Status, r.Body)
	}
	if after := v.assetFiles(); len(after) != len(files) {
		t.Errorf("files %v after a refused file, %v before", after, files)
	}
}

// TestUploadProbeHangs: an ffprobe that never answers is killed at the
// probe timeout; the upload is a 422 probe_timeout and leaves nothing.
func TestUploadProbeHangs(t *testing.T) {
	video := testsrcVideo(t, "1")
	// The ffprobe found first on PATH hangs (ffmpeg is still the real one).
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "ffprobe"), []byte("#!/bin/sh\nexec sleep 60\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	v := newEnv(t, func(v *env) { v.limits = assets.Limits{ProbeTimeout: 300 * time.Millisecond} })
	ed := v.bearer(v.user(store.RoleEditor, v.unitA.ID))
	before := v.tableCounts()
	start := time.Now()
	r := v.upload(ed, "phim.mp4", video, nil)
	if r.Status != 422 || r.code() != assets.CodeProbeTimeout {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the upload took %v", d)
	}
	if after := v.tableCounts(); after["media"] != before["media"] || after["media_revisions"] != before["media_revisions"] {
		t.Error("a refused video left rows")
	}
	if files := v.assetFiles(); len(files) != 0 {
		t.Errorf("files left: %v", files)
	}
}

// TestVideoProcessingFailed: when its rendition cannot be made (here the
// original went missing) the video is failed, says why, and cannot be
// approved.
func TestVideoProcessingFailed(t *testing.T) {
	v := newEnv(t)
	ed := v.bearer(v.user(store.RoleEditor, v.unitA.ID))
	v.display()
	var m store.Media
	must(t, v.upload(ed, "phim.mp4", testsrcVideo(t, "1"), nil), 201).json(t, &m)
	if err := v.as.Remove(m.Current.SHA256); err != nil {
		t.Fatal(err)
	}
	v.startPipeline()
	select {
	case <-v.failed:
	case <-v.ready:
		t.Fatal("a rendition without its original became ready")
	case <-time.After(time.Minute):
		t.Fatal("no outcome in a minute")
	}
	must(t, v.do(ed, "GET", fmt.Sprintf("/media/%d", m.ID), nil), 200).json(t, &m)
	if m.Current.Processing != store.ProcessingFailed || m.Current.Renditions[0].Status != store.RenditionFailed || m.Current.Renditions[0].Error == "" {
		t.Fatalf("after the failure: %+v", m.Current)
	}
	if r := v.do(ed, "GET", fmt.Sprintf("/media/%d/preview?w=64&h=32", m.ID), nil); r.Status != 422 || r.code() != "processing_failed" {
		t.Errorf("preview of a failed video: %d %s", r.Status, r.Body)
	}
	must(t, v.do(ed, "POST", fmt.Sprintf("/media/%d/submit", m.ID), nil), 200)
	if r := v.do(v.bearer(v.user(store.RoleApprover, v.unitA.ID)), "POST", fmt.Sprintf("/media/%d/approve", m.ID), nil); r.Status != 409 {
		t.Errorf("approving a failed video: %d %s", r.Status, r.Body)
	}
}
