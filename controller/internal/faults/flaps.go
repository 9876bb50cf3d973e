package main

import (
	"fmt"
	"path/filepath"
	"regexp"
	"time"

	"github.com/pano-signage/pano/controller/internal/childproc"
	"github.com/pano-signage/pano/controller/internal/cutlink"
)

// palette: solid slide colours far apart, consecutive ones different.
var palette = [][3]byte{{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 0}, {0, 255, 255}, {255, 0, 255}}

// linkFlaps: one agent drives DDP to a receiver here (its frames are the
// picture) and reaches the controller through a proxy. runs times: the
// content changes (a new slide of a new colour in a new rotation replaces
// the last one; every fifth time with a picture of noise beside it, to
// download at 32 KiB/s) and, at a random moment 0–1.5 s into the change,
// the proxy cuts every connection and refuses new ones for 0.2–3 s. Then:
//   - the agent must report the newest plan revision and all its bytes
//     (health through the API) within 60 s of the link's return
//     (converged; max_converge_ms is the slowest), and its frames must show
//     the new slide's colour within 10 s more (shown);
//   - no gap between two frames on the wire longer than -gap-bound
//     (max_frame_gap_ms) over the whole run, beyond the longest stall of
//     the machine itself (max_host_stall_ms: how late a 10 ms sleep of
//     this process woke up, measured beside; on a machine shared with
//     other work, processes stall for hundreds of ms);
//   - integrity: PRAGMA integrity_check on the controller's database.
func (h *harness) linkFlaps(r *result) error {
	runs := h.cfg.flaps
	w, err := h.newWorld("link_flaps")
	if err != nil {
		return err
	}
	defer w.close()
	const name = "faults-flaps"
	display, err := w.display(name, 64, 32, "ddp-wled")
	if err != nil {
		return err
	}
	rx, err := newDDPReceiver()
	if err != nil {
		return err
	}
	defer rx.conn.Close()
	var prev int64
	change := func(k int) (want [3]byte, err error) {
		want = palette[k%len(palette)]
		id, err := w.slide(fmt.Sprintf("Tin %d", k), want)
		if err != nil {
			return want, err
		}
		media := []int64{id}
		if k%5 == 1 {
			img, err := w.image(fmt.Sprintf("Ảnh %d", k), uint64(1000+k), 64, 32)
			if err != nil {
				return want, err
			}
			media = append(media, img)
		}
		pl, err := w.rotation(fmt.Sprintf("Vòng %d", k), 3000, media...)
		if err != nil {
			return want, err
		}
		s, err := w.schedule(pl, display, 60+k%2, 2)
		if err != nil {
			return want, err
		}
		if prev != 0 {
			if err := w.appr.Call("DELETE", fmt.Sprintf("/schedules/%d", prev), nil, nil); err != nil {
				return want, err
			}
		}
		prev = s
		return want, nil
	}
	want, err := change(0)
	if err != nil {
		return err
	}
	lnk, err := cutlink.New(w.addr)
	if err != nil {
		return err
	}
	defer lnk.Close()
	lnk.SetRate(32 << 10)
	state := filepath.Join(w.dir, "agent")
	if err := w.enrol(name, lnk.Addr(), state, "ddp-wled", "host=127.0.0.1", fmt.Sprintf("port=%d", rx.port()),
		"width=64", "height=32", "gamma=1"); err != nil {
		return err
	}
	ag, err := childproc.Start(filepath.Join(w.dir, "agent.log"), nil, h.agentBin, "run", "--state", state)
	if err != nil {
		return err
	}
	defer ag.Stop()
	if _, err := ag.WaitLine(regexp.MustCompile(`msg="content synced"`), 3*time.Minute); err != nil {
		return fmt.Errorf("agent: %v\n%s", err, ag.Tail())
	}
	if err := waitColour(rx, want, 10*time.Second); err != nil {
		return err
	}
	rx.start()
	stall := watchStalls()
	defer stall.stop()

	converged, shown := 0, 0
	var maxConverge time.Duration
	for i := 1; i <= runs; i++ {
		type done struct {
			want [3]byte
			err  error
		}
		ch := make(chan done, 1)
		go func() {
			c, err := change(i)
			ch <- done{c, err}
		}()
		time.Sleep(h.between(0, 1500*time.Millisecond))
		lnk.Cut()
		time.Sleep(h.between(200*time.Millisecond, 3*time.Second))
		lnk.Restore()
		back := time.Now()
		d := <-ch
		if d.err != nil {
			return d.err
		}
		if _, err := w.converged(display, 60*time.Second); err != nil {
			r.fail("flap %d: %v", i, err)
			continue
		}
		took := time.Since(back)
		maxConverge = max(maxConverge, took)
		converged++
		if err := waitColour(rx, d.want, 10*time.Second); err != nil {
			r.fail("flap %d: %v", i, err)
		} else {
			shown++
		}
		_, _, gap, _ := rx.snapshot()
		rx.mu.Lock()
		gapAt := rx.gapAt
		rx.mu.Unlock()
		h.say("link_flaps %d: converged %v after the link came back; longest frame gap so far %v, ending %s", i, took.Round(time.Millisecond), gap, gapAt.UTC().Format("15:04:05.000"))
	}
	frames, _, gap, _ := rx.snapshot()
	hostStall := stall.stop()
	ag.Stop()
	w.ctl.Stop()
	integ := integrity(w.data)
	r.add("runs", runs)
	r.add("converged", converged)
	r.add("shown", shown)
	r.add("max_converge_ms", maxConverge.Milliseconds())
	r.add("frames", frames)
	r.add("max_frame_gap_ms", gap.Milliseconds())
	r.add("gap_bound_ms", h.cfg.gapBound.Milliseconds())
	r.add("max_host_stall_ms", hostStall.Milliseconds())
	r.add("integrity", integ)
	// A machine that stalls this process for a while stalls the agent too:
	// the bound is on what the agent adds to the longest stall seen here.
	r.check(gap <= h.cfg.gapBound+hostStall, "a frame gap of %v, over the bound %v and the longest host stall %v", gap, h.cfg.gapBound, hostStall)
	r.check(integ == "ok", "integrity_check: %s", integ)
	return nil
}

// waitColour waits until the receiver's newest frame shows rgb.
func waitColour(rx *ddpReceiver, rgb [3]byte, within time.Duration) error {
	deadline := time.Now().Add(within)
	var got [3]byte
	for time.Now().Before(deadline) {
		_, got, _, _ = rx.snapshot()
		if near(got, rgb) {
			return nil
		}
		time.Sleep(20 * time.Millisecond) // frames come 25 a second; bounded poll
	}
	return fmt.Errorf("the frames showed %v, not %v, for %v", got, rgb, within)
}

// stalls measures how late a 10 ms sleep of this process wakes up: the
// machine's own stalls, beside which an agent's frame gaps are read.
type stalls struct {
	done chan struct{}
	max  chan time.Duration
}

func watchStalls() *stalls {
	s := &stalls{done: make(chan struct{}), max: make(chan time.Duration, 1)}
	go func() {
		var worst time.Duration
		for {
			t := time.Now()
			select {
			case <-s.done:
				s.max <- worst
				return
			case <-time.After(10 * time.Millisecond):
			}
			worst = max(worst, time.Since(t)-10*time.Millisecond)
		}
	}()
	return s
}

// stop ends the watch and returns the longest stall (once; later calls 0).
func (s *stalls) stop() time.Duration {
	select {
	case <-s.done:
		return 0
	default:
	}
	close(s.done)
	return <-s.max
}
