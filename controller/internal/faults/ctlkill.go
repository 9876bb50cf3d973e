package main

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"image"
	"image/png"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pano-signage/pano/controller/internal/apiclient"
)

// controllerKill9: runs times, the controller takes a burst of API writes
// from four writers at once — an editor uploading pictures, two at a time (sent slowly,
// 16 KiB every 10 ms, so a kill lands in the middle of one), an editor
// creating and submitting playlists of three items, an approver creating
// schedules (one in ten stays) — and is killed with SIGKILL 0.3–2 s into
// it, at the first moment after that an upload is in the store's tmp/
// (within 3 s). Then, before
// the restart:
//   - integrity: PRAGMA integrity_check on its database;
//
// and after it:
//   - orphan_tmp: files left in the asset store's tmp/ after its startup
//     cleanup; torn_files: stored files whose hash is not their name;
//   - half_rows: what the API shows half-written — a playlist of the burst
//     without its three items, a picture whose file is not in the store, a
//     schedule whose playlist is not there;
//   - acked_lost: writes the controller answered 2xx before the kill that
//     the API no longer shows;
//   - audit: `pano-controller audit verify` (the keyed chain) passes.
func (h *harness) controllerKill9(r *result) error {
	runs := h.cfg.ctlKills
	w, err := h.newWorld("controller_kill9")
	if err != nil {
		return err
	}
	defer func() {
		if w.ctl != nil {
			w.ctl.Stop()
		}
	}()
	display, err := w.display("faults-ctl", 64, 32, "virtual")
	if err != nil {
		return err
	}
	var slides []int64
	for i := 0; i < 3; i++ {
		id, err := w.slide(fmt.Sprintf("Mẫu %d", i+1), palette[i])
		if err != nil {
			return err
		}
		slides = append(slides, id)
	}
	base, err := w.rotation("Vòng gốc", 2000, slides...)
	if err != nil {
		return err
	}

	integ, audit := "ok", "ok"
	orphans, torn, halfRows, ackedLost, tmpAtKill, uploadsAcked, writesAcked := 0, 0, 0, 0, 0, 0, 0
	for k := 1; k <= runs; k++ {
		// The burst.
		var (
			mu       sync.Mutex
			acked    []string // API paths that answered 2xx for a write
			deleting = map[string]bool{}
			stop     = make(chan struct{})
			wg       sync.WaitGroup
		)
		ack := func(path string) {
			mu.Lock()
			acked = append(acked, path)
			mu.Unlock()
		}
		stopped := func() bool {
			select {
			case <-stop:
				return true
			default:
				return false
			}
		}
		seed := h.rnd.Uint64()
		wg.Add(4)
		for u := 0; u < 2; u++ {
			go func() { // uploads, two at a time
				defer wg.Done()
				for j := 0; !stopped(); j++ {
					id, err := slowUpload(w.author, fmt.Sprintf("burst-%d-%d-%d", k, u, j), seed+uint64(1000*u+j))
					if err == nil {
						ack(fmt.Sprintf("/media/%d", id))
					}
				}
			}()
		}
		go func() { // playlists
			defer wg.Done()
			for j := 0; !stopped(); j++ {
				var items []any
				for _, id := range slides {
					items = append(items, map[string]any{"media_id": id, "duration_ms": 1000})
				}
				var p struct{ ID int64 }
				if w.author.Call("POST", "/playlists", map[string]any{"name": fmt.Sprintf("burst-%d-%d", k, j), "items": items}, &p) != nil {
					continue
				}
				ack(fmt.Sprintf("/playlists/%d", p.ID))
				w.author.Call("POST", fmt.Sprintf("/playlists/%d/submit", p.ID), nil, nil)
			}
		}()
		go func() { // schedules: created, changed, and every other one deleted
			defer wg.Done()
			for j := 0; !stopped(); j++ {
				id, err := w.schedule(base, display, 10+j%80, 2)
				if err != nil {
					continue
				}
				path := fmt.Sprintf("/schedules/%d", id)
				ack(path)
				w.appr.Call("PATCH", path, map[string]any{"priority": 10 + (j+1)%80}, nil)
				if j%10 == 0 {
					continue // one in ten stays: a display's entries grow slowly
				}
				mu.Lock()
				deleting[path] = true // in flight at the kill: either way is right
				mu.Unlock()
				if w.appr.Call("DELETE", path, nil, nil) == nil {
					mu.Lock()
					delete(deleting, path)
					acked = slices.DeleteFunc(acked, func(p string) bool { return p == path })
					mu.Unlock()
				}
			}
		}()
		time.Sleep(h.between(300*time.Millisecond, 2*time.Second))
		// Then at the first moment an upload is being written to the
		// store (within 3 s): every kill lands in one.
		for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
			if ents, _ := os.ReadDir(filepath.Join(w.data, "assets", "tmp")); len(ents) > 0 {
				break
			}
		}
		w.kill()
		close(stop)
		wg.Wait() // the writers fail fast on the closed port
		if ents, _ := os.ReadDir(filepath.Join(w.data, "assets", "tmp")); len(ents) > 0 {
			tmpAtKill++
		}
		if s := integrity(w.data); s != "ok" {
			integ = s
		}
		if err := w.startController(); err != nil {
			return fmt.Errorf("restart after kill %d: %v", k, err)
		}
		ents, _ := os.ReadDir(filepath.Join(w.data, "assets", "tmp"))
		orphans += len(ents)
		torn += tornFiles(filepath.Join(w.data, "assets"))
		halfRows += w.halfRows(k)
		for _, path := range acked {
			if deleting[path] {
				continue
			}
			if w.appr.Call("GET", path, nil, nil) != nil {
				ackedLost++
			}
			if strings.HasPrefix(path, "/media/") {
				uploadsAcked++
			}
		}
		writesAcked += len(acked)
		if out, err := exec.Command(h.ctlBin, "audit", "verify", "--data", w.data).CombinedOutput(); err != nil {
			audit = strings.TrimSpace(string(out))
		}
		h.say("controller_kill9 %d: %d writes answered before the kill; orphans %d, torn %d, half rows %d, lost %d, audit %s",
			k, len(acked), orphans, torn, halfRows, ackedLost, audit)
		// The next burst goes to this controller, restarted after a kill.
	}
	w.ctl.Stop()
	w.ctl = nil
	if s := integrity(w.data); s != "ok" {
		integ = s
	}
	r.add("runs", runs)
	r.add("writes_acked", writesAcked)
	r.add("uploads_acked", uploadsAcked)
	r.add("kills_mid_upload", tmpAtKill)
	r.add("integrity", integ)
	r.add("orphan_tmp", orphans)
	r.add("torn_files", torn)
	r.add("half_rows", halfRows)
	r.add("acked_lost", ackedLost)
	r.add("audit", map[bool]string{true: "ok", false: "broken"}[audit == "ok"])
	r.check(integ == "ok", "integrity_check: %s", integ)
	r.check(orphans == 0 && torn == 0, "%d orphan temp files, %d torn files in the asset store", orphans, torn)
	r.check(halfRows == 0, "%d half-written rows through the API", halfRows)
	r.check(ackedLost == 0, "%d acknowledged writes lost", ackedLost)
	r.check(audit == "ok", "audit verify: %s", audit)
	r.check(tmpAtKill > 0, "no kill landed in an upload: the runs did not test that")
	return nil
}

// halfRows counts what the API shows half-written after kill k: a burst
// playlist without its three items, a picture whose file is missing, a
// schedule whose playlist is gone.
func (w *world) halfRows(k int) int {
	n := 0
	type rev struct {
		SHA256 string
		Items  []struct {
			MediaID int64 `json:"media_id"`
		}
	}
	var pls []struct {
		ID      int64
		Name    string
		Current rev
	}
	pageAll(w.appr, "/playlists", &pls)
	have := map[int64]bool{}
	for _, p := range pls {
		have[p.ID] = true
		if strings.HasPrefix(p.Name, fmt.Sprintf("burst-%d-", k)) && len(p.Current.Items) != 3 {
			n++
		}
	}
	var media []struct {
		ID      int64
		Kind    string
		Current rev
	}
	pageAll(w.appr, "/media", &media)
	for _, m := range media {
		if m.Kind != "image" {
			continue
		}
		sha := m.Current.SHA256
		if len(sha) != 64 {
			n++
			continue
		}
		if found, _ := filepath.Glob(filepath.Join(w.data, "assets", sha[:2], sha+"*")); len(found) == 0 {
			n++
		}
	}
	var scheds struct {
		Items []struct {
			ID         int64
			PlaylistID int64 `json:"playlist_id"`
		}
	}
	w.appr.Call("GET", "/schedules", nil, &scheds)
	for _, s := range scheds.Items {
		if !have[s.PlaylistID] {
			n++
		}
	}
	return n
}

// pageAll reads every page of a list into out (a pointer to a slice).
func pageAll[T any](c *apiclient.Client, path string, out *[]T) error {
	for off := 0; ; off += 500 {
		var p struct{ Items []T }
		if err := c.Call("GET", fmt.Sprintf("%s?limit=500&offset=%d", path, off), nil, &p); err != nil {
			return err
		}
		*out = append(*out, p.Items...)
		if len(p.Items) < 500 {
			return nil
		}
	}
}

// tornFiles counts files of the asset store (tmp/ aside) whose SHA-256 is
// not their name.
func tornFiles(dir string) int {
	n := 0
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			if d.Name() == "tmp" {
				return filepath.SkipDir
			}
			return nil
		}
		name := strings.SplitN(d.Name(), ".", 2)[0]
		if len(name) != 64 {
			return nil // not a stored file (the store names files by hash)
		}
		b, err := os.ReadFile(path)
		if err == nil && fmt.Sprintf("%x", sha256.Sum256(b)) != name {
			n++
		}
		return nil
	})
	return n
}

// slowUpload uploads a 400×200 picture of noise (about 300 KB), its body
// sent 16 KiB every 10 ms.
func slowUpload(c *apiclient.Client, title string, seed uint64) (int64, error) {
	img := image.NewRGBA(image.Rect(0, 0, 400, 200))
	rnd := rand.New(rand.NewPCG(seed, 7))
	for i := range img.Pix {
		img.Pix[i] = byte(rnd.UintN(256))
		if i%4 == 3 {
			img.Pix[i] = 255
		}
	}
	var pngData bytes.Buffer
	png.Encode(&pngData, img)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("title", title)
	fw, _ := mw.CreateFormFile("file", title+".png")
	fw.Write(pngData.Bytes())
	mw.Close()
	var m struct{ ID int64 }
	err := c.Do("POST", "/media", mw.FormDataContentType(), &slowReader{r: &body}, &m)
	return m.ID, err
}

type slowReader struct {
	r    io.Reader
	sent bool
}

func (s *slowReader) Read(p []byte) (int, error) {
	if s.sent {
		time.Sleep(10 * time.Millisecond)
	}
	s.sent = true
	return s.r.Read(p[:min(len(p), 16<<10)])
}
