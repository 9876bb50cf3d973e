package main

import (
	"bytes"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/pano-signage/pano/controller/internal/apiclient"
	"github.com/pano-signage/pano/controller/internal/childproc"
	"github.com/pano-signage/pano/protocol"
)

// world is one controller on a data directory of its own, with the demo's
// editor (proposes), approver (approves: the two-person rule) and
// technician logged in.
type world struct {
	h    *harness
	name string
	dir  string // the scenario's directory: logs, agent states
	data string // the controller's data directory
	ctl  *childproc.Proc
	addr string // host:port
	// restarts counts controller starts, to name the logs.
	restarts int

	author, appr, tech *apiclient.Client
}

var listening = regexp.MustCompile(`listening on http://(127\.0\.0\.1:\d+)`)

func (h *harness) newWorld(name string) (*world, error) {
	dir := filepath.Join(h.dir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	w := &world{h: h, name: name, dir: dir, data: filepath.Join(dir, "data")}
	return w, w.startController()
}

// startController starts (or restarts) the controller on the world's data
// directory and logs the three users in.
func (w *world) startController() error {
	w.restarts++
	var err error
	w.ctl, err = childproc.Start(filepath.Join(w.dir, fmt.Sprintf("controller-%d.log", w.restarts)), nil,
		w.h.ctlBin, "serve", "--demo", "--listen", "127.0.0.1:0", "--data", w.data)
	if err != nil {
		return err
	}
	line, err := w.ctl.WaitLine(listening, 60*time.Second)
	if err != nil {
		return fmt.Errorf("controller: %v\n%s", err, w.ctl.Tail())
	}
	w.addr = listening.FindStringSubmatch(line)[1]
	w.author, w.appr, w.tech = apiclient.New("http://"+w.addr, 30*time.Second), apiclient.New("http://"+w.addr, 30*time.Second), apiclient.New("http://"+w.addr, 30*time.Second)
	for _, x := range []struct {
		c    *apiclient.Client
		name string
	}{{w.author, "editor"}, {w.appr, "approver"}, {w.tech, "technician"}} {
		if err := x.c.Login(x.name); err != nil {
			return fmt.Errorf("login after start %d: %v", w.restarts, err)
		}
	}
	return nil
}

// kill ends the controller with SIGKILL.
func (w *world) kill() {
	w.ctl.Kill()
}

func (w *world) close() {
	if w.ctl != nil {
		w.ctl.Stop()
	}
}

// display creates a display.
func (w *world) display(name string, width, height int, profile string) (int64, error) {
	var d struct{ ID int64 }
	err := w.tech.Call("POST", "/displays", map[string]any{"name": name, "width": width, "height": height, "profile": profile}, &d)
	return d.ID, err
}

// slide is an approved text notice drawn in one colour on its own
// background of that colour: any LED names it.
func (w *world) slide(title string, rgb [3]byte) (int64, error) {
	hex := fmt.Sprintf("#%02x%02x%02x", rgb[0], rgb[1], rgb[2])
	var m struct {
		ID int64
	}
	if err := w.author.Call("POST", "/media", map[string]any{"title": title, "kind": "text", "body": title,
		"style": map[string]any{"color": hex, "title_color": hex, "background": hex, "hide_title": true}}, &m); err != nil {
		return 0, err
	}
	if err := w.author.Call("POST", fmt.Sprintf("/media/%d/submit", m.ID), nil, nil); err != nil {
		return 0, err
	}
	if err := w.waitReady(m.ID); err != nil {
		return 0, err
	}
	return m.ID, w.appr.Call("POST", fmt.Sprintf("/media/%d/approve", m.ID), nil, nil)
}

func (w *world) waitReady(id int64) error {
	for i := 0; i < 600; i++ {
		var m struct{ Processing string }
		if err := w.appr.Call("GET", fmt.Sprintf("/media/%d", id), nil, &m); err != nil {
			return err
		}
		if m.Processing == "ready" || m.Processing == "" {
			return nil
		}
		time.Sleep(50 * time.Millisecond) // the pipeline has no signal over HTTP: bounded poll
	}
	return fmt.Errorf("media %d never became ready", id)
}

// rotation is an approved playlist of the media, each shown ms.
func (w *world) rotation(name string, ms int, media ...int64) (int64, error) {
	var items []any
	for _, id := range media {
		items = append(items, map[string]any{"media_id": id, "duration_ms": ms})
	}
	var p struct{ ID int64 }
	if err := w.author.Call("POST", "/playlists", map[string]any{"name": name, "items": items}, &p); err != nil {
		return 0, err
	}
	if err := w.author.Call("POST", fmt.Sprintf("/playlists/%d/submit", p.ID), nil, nil); err != nil {
		return 0, err
	}
	return p.ID, w.appr.Call("POST", fmt.Sprintf("/playlists/%d/approve", p.ID), nil, nil)
}

// schedule puts a playlist on a display all day, every day, from yesterday
// to days ahead, at a priority; dayparts (from, until pairs) narrow the day.
func (w *world) schedule(playlist, display int64, priority, days int, dayparts ...protocol.Daypart) (int64, error) {
	today := time.Now().UTC()
	in := map[string]any{"playlist_id": playlist, "display_id": display,
		"starts_on": today.AddDate(0, 0, -1).Format(time.DateOnly), "ends_on": today.AddDate(0, 0, days).Format(time.DateOnly),
		"weekdays": 127, "priority": priority}
	if len(dayparts) > 0 {
		in["dayparts"] = dayparts
	} else {
		in["start_time"], in["end_time"] = "00:00", "24:00"
	}
	var s struct{ ID int64 }
	err := w.appr.Call("POST", "/schedules", in, &s)
	return s.ID, err
}

// converged waits until the display's agent says it holds the newest plan
// and all its content, and returns how long that took.
func (w *world) converged(display int64, within time.Duration) (protocol.Plan, error) {
	deadline := time.Now().Add(within)
	var last string
	for time.Now().Before(deadline) {
		p, err := w.appr.Plan(display)
		if err != nil { // no plan yet: made when the agent first connects
			last = err.Error()
			time.Sleep(100 * time.Millisecond)
			continue
		}
		var total int64
		for _, a := range p.Assets {
			total += a.Bytes
		}
		h, err := w.tech.Health(display)
		if err == nil {
			if h.PlanRevision == p.Revision && h.SyncTotal == total && h.SyncDone == total && len(h.Missing) == 0 {
				return p, nil
			}
			last = fmt.Sprintf("agent at revision %d with %d of %d bytes (plan %d, %d bytes), missing %v", h.PlanRevision, h.SyncDone, h.SyncTotal, p.Revision, total, h.Missing)
		}
		time.Sleep(100 * time.Millisecond) // health comes over HTTP with no signal: bounded poll
	}
	return protocol.Plan{}, fmt.Errorf("not converged within %v: %s", within, last)
}

// records is the controller's proof of play for a display.
func (w *world) records(display int64) ([]protocol.PlayRecord, error) {
	var out struct{ Items []protocol.PlayRecord }
	err := w.appr.Call("GET", fmt.Sprintf("/play-records?display_id=%d&limit=10000", display), nil, &out)
	return out.Items, err
}

// enrol makes an agent state directory for a display, reaching the
// controller at addr (a proxy).
func (w *world) enrol(name, addr, state, profile string, sets ...string) error {
	out, err := exec.Command(w.h.ctlBin, "enrollment-code", "--data", w.data, "--display", name).Output()
	if err != nil {
		return fmt.Errorf("enrollment-code: %v", err)
	}
	args := []string{"enroll", "--controller", "ws://" + addr, "--code", strings.TrimSpace(string(out)), "--state", state, "--profile", profile}
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	if out, err := exec.Command(w.h.agentBin, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("enroll: %v\n%s", err, out)
	}
	return nil
}

// integrity runs PRAGMA integrity_check on the controller's database (the
// controller stopped or running: WAL readers do not disturb it).
func integrity(data string) string {
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(data, "pano.db")+"?_busy_timeout=10000")
	if err != nil {
		return err.Error()
	}
	defer db.Close()
	rows, err := db.Query("PRAGMA integrity_check")
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return err.Error()
	}
	return strings.Join(out, "; ")
}

// badCacheFiles counts files of an agent's cache (partial downloads aside)
// whose SHA-256 is not their name.
func badCacheFiles(state string) (bad, files int) {
	filepath.WalkDir(filepath.Join(state, "cache"), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(path, string(filepath.Separator)+"partial") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		files++
		if fmt.Sprintf("%x", sha256.Sum256(b)) != strings.TrimSuffix(d.Name(), filepath.Ext(d.Name())) {
			bad++
		}
		return nil
	})
	return
}

// ddpReceiver takes an agent's DDP frames (written from the DDP spec at
// 3waylabs.com/ddp, not from the agent's driver): the first pixel of each
// frame and the gaps between frames.
type ddpReceiver struct {
	conn *net.UDPConn

	mu      sync.Mutex
	frames  int
	first   [3]byte // the newest frame's first pixel
	last    time.Time
	maxGap  time.Duration
	gapAt   time.Time
	measure bool
}

func newDDPReceiver() (*ddpReceiver, error) {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	c.SetReadBuffer(4 << 20)
	r := &ddpReceiver{conn: c}
	go r.loop()
	return r, nil
}

func (r *ddpReceiver) port() int { return r.conn.LocalAddr().(*net.UDPAddr).Port }

func (r *ddpReceiver) loop() {
	buf := make([]byte, 2048)
	for {
		n, err := r.conn.Read(buf)
		if err != nil {
			return
		}
		at := time.Now()
		p := buf[:n]
		if n < 10 || p[0]&0xC0 != 0x40 || p[0]&0x06 != 0 { // version 1; no query or reply
			continue
		}
		hdr := 10
		if p[0]&0x10 != 0 {
			hdr = 14
		}
		off := binary.BigEndian.Uint32(p[4:8])
		length := int(binary.BigEndian.Uint16(p[8:10]))
		if len(p) < hdr+length {
			continue
		}
		r.mu.Lock()
		if off == 0 && length >= 3 {
			copy(r.first[:], p[hdr:hdr+3])
		}
		if p[0]&0x01 != 0 { // PUSH: the frame is complete
			r.frames++
			if r.measure && !r.last.IsZero() {
				if g := at.Sub(r.last); g > r.maxGap {
					r.maxGap, r.gapAt = g, at
				}
			}
			r.last = at
		}
		r.mu.Unlock()
	}
}

// start begins measuring gaps between frames.
func (r *ddpReceiver) start() {
	r.mu.Lock()
	r.measure, r.maxGap, r.last = true, 0, time.Time{}
	r.mu.Unlock()
}

func (r *ddpReceiver) snapshot() (frames int, first [3]byte, maxGap time.Duration, last time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.frames, r.first, r.maxGap, r.last
}

// near is whether two colours are within a small distance.
func near(a, b [3]byte) bool {
	d := 0
	for k := 0; k < 3; k++ {
		x := int(a[k]) - int(b[k])
		d += x * x
	}
	return d <= 3*8*8
}

// image is an approved picture of noise (so its renditions do not
// compress: a download takes a while on a throttled link), uploaded as a
// file.
func (w *world) image(title string, seed uint64, width, height int) (int64, error) {
	id, err := w.upload(w.author, title, seed, width, height)
	if err != nil {
		return 0, err
	}
	if err := w.author.Call("POST", fmt.Sprintf("/media/%d/submit", id), nil, nil); err != nil {
		return 0, err
	}
	if err := w.waitReady(id); err != nil {
		return 0, err
	}
	return id, w.appr.Call("POST", fmt.Sprintf("/media/%d/approve", id), nil, nil)
}

// upload posts a noise PNG as a new draft.
func (w *world) upload(c *apiclient.Client, title string, seed uint64, width, height int) (int64, error) {
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	rnd := rand.New(rand.NewPCG(seed, 99))
	for i := range img.Pix {
		img.Pix[i] = byte(rnd.UintN(256))
		if i%4 == 3 {
			img.Pix[i] = 255
		}
	}
	var pngData bytes.Buffer
	if err := png.Encode(&pngData, img); err != nil {
		return 0, err
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("title", title)
	fw, _ := mw.CreateFormFile("file", fmt.Sprintf("noise-%d.png", seed))
	fw.Write(pngData.Bytes())
	mw.Close()
	var m struct{ ID int64 }
	err := c.Do("POST", "/media", mw.FormDataContentType(), &body, &m)
	return m.ID, err
}
