package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"time"

	"github.com/pano-signage/pano/controller/internal/childproc"
	"github.com/pano-signage/pano/protocol"
)

// offlineDays: one agent, driving DDP to a receiver here, takes a plan of
// three rotations of solid-colour slides — days (06:00–18:00) and nights
// (21:00–06:00, across midnight) at one priority, a base rotation all day
// under them that fills 18:00–21:00 — and all its content. Then the
// controller stops and the agent's clock (PANO_CLOCK_FILE, the test-only
// clock controller/offline_week_e2e_test.go steps through a week) is set,
// day after day, to 24 random instants a day and to 5 s after each of the
// day's dayparts' edges, each moved to the middle of its item if it falls
// within 1.5 s of the item's end or start. A second later (agent time) a
// fresh frame on the wire must show the colour of the item the evaluator
// (protocol.Compile and At on the plan the controller sent) says is on at
// the agent's time when the frame arrived: wrong_items counts those that
// do not, after one more look 300 ms later (retried).
func (h *harness) offlineDays(r *result) error {
	days := h.cfg.days
	w, err := h.newWorld("offline_days")
	if err != nil {
		return err
	}
	defer func() {
		if w.ctl != nil {
			w.ctl.Stop()
		}
	}()
	const name = "faults-offline"
	display, err := w.display(name, 64, 32, "ddp-wled")
	if err != nil {
		return err
	}
	colourOf := map[int64][3]byte{}
	rot := func(title string, ms int, colours ...[3]byte) (int64, error) {
		var media []int64
		for i, c := range colours {
			id, err := w.slide(fmt.Sprintf("%s %d", title, i+1), c)
			if err != nil {
				return 0, err
			}
			colourOf[id] = c
			media = append(media, id)
		}
		return w.rotation(title, ms, media...)
	}
	day, err := rot("Ban ngày", 20_000, palette[0], palette[1])
	if err != nil {
		return err
	}
	night, err := rot("Ban đêm", 30_000, palette[2])
	if err != nil {
		return err
	}
	base, err := rot("Nền", 25_000, palette[3], palette[4], palette[5])
	if err != nil {
		return err
	}
	if _, err := w.schedule(day, display, 50, days+2, protocol.Daypart{From: "06:00", Until: "18:00"}); err != nil {
		return err
	}
	if _, err := w.schedule(night, display, 50, days+2, protocol.Daypart{From: "21:00", Until: "06:00"}); err != nil {
		return err
	}
	if _, err := w.schedule(base, display, 30, days+2); err != nil {
		return err
	}

	rx, err := newDDPReceiver()
	if err != nil {
		return err
	}
	defer rx.conn.Close()
	clk := filepath.Join(w.dir, "clock")
	setClock := func(at time.Time) error {
		if err := os.WriteFile(clk+".new", []byte(at.UTC().Format(time.RFC3339Nano)+"\n"), 0o644); err != nil {
			return err
		}
		return os.Rename(clk+".new", clk)
	}
	if err := setClock(time.Now()); err != nil {
		return err
	}
	state := filepath.Join(w.dir, "agent")
	if err := w.enrol(name, w.addr, state, "ddp-wled", "host=127.0.0.1", fmt.Sprintf("port=%d", rx.port()),
		"width=64", "height=32", "gamma=1"); err != nil {
		return err
	}
	ag, err := childproc.Start(filepath.Join(w.dir, "agent.log"), []string{"PANO_CLOCK_FILE=" + clk}, h.agentBin, "run", "--state", state)
	if err != nil {
		return err
	}
	defer ag.Stop()
	plan, err := w.converged(display, 3*time.Minute)
	if err != nil {
		return err
	}
	sched, err := protocol.Compile(&plan)
	if err != nil {
		return fmt.Errorf("the controller's plan does not compile: %v", err)
	}
	hl, err := w.tech.Health(display)
	if err != nil {
		return err
	}
	offset := time.Duration(hl.ClockOffsetMS * float64(time.Millisecond)) // controller − agent
	loc, err := time.LoadLocation(plan.TimeZone)
	if err != nil {
		return err
	}

	// Offline.
	w.ctl.Stop()
	w.ctl = nil
	if _, err := ag.WaitLine(regexp.MustCompile(`controller link down`), 30*time.Second); err != nil {
		return fmt.Errorf("agent: %v", err)
	}

	start := time.Now().Add(offset)
	var instants []time.Time
	for d := 0; d < days; d++ {
		from := start.Add(time.Duration(d) * 24 * time.Hour)
		for i := 0; i < 24; i++ {
			instants = append(instants, from.Add(h.between(0, 24*time.Hour)))
		}
		y, m, dd := from.In(loc).Date()
		for _, hh := range []int{6, 18, 21, 30} { // 30: 06:00 the next morning
			if x := time.Date(y, m, dd, hh, 0, 5, 0, loc); x.After(from) {
				instants = append(instants, x)
			}
		}
	}
	sort.Slice(instants, func(i, j int) bool { return instants[i].Before(instants[j]) })

	checks, wrong, retried := 0, 0, 0
	var last time.Time
	for _, x := range instants {
		slot, ok := sched.At(x)
		if !ok {
			wrong++
			r.fail("the evaluator has nothing on at %s", x.In(loc).Format(time.DateTime))
			continue
		}
		if x.Sub(slot.Start) < 1500*time.Millisecond || slot.End.Sub(x) < 1500*time.Millisecond {
			x = slot.Start.Add(slot.End.Sub(slot.Start) / 2)
		}
		if !x.After(last.Add(2 * time.Second)) {
			continue // the clock moves forward only
		}
		last = x
		// The agent reaches x a second after the clock is set. A frame is
		// checked against the evaluator at the agent's time when it
		// arrived (the clock file's instant and the time since it was
		// set), so a process stalled by the machine is judged on what its
		// clock said, not on the harness's expectation; a frame within
		// 200 ms of an item's edge is not judged, the next one is.
		if err := setClock(x.Add(-time.Second - offset)); err != nil {
			return err
		}
		set := time.Now()
		time.Sleep(time.Second)
		verdict := func() (bool, string) {
			before, _, _, _ := rx.snapshot()
			for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
				frames, got, _, at := rx.snapshot()
				if frames <= before {
					continue // a fresh frame
				}
				agentAt := x.Add(-time.Second).Add(at.Sub(set))
				s, ok := sched.At(agentAt)
				if !ok {
					return false, fmt.Sprintf("the evaluator has nothing on at %s", agentAt.In(loc).Format(time.DateTime))
				}
				if agentAt.Sub(s.Start) < 200*time.Millisecond || s.End.Sub(agentAt) < 200*time.Millisecond {
					before = frames
					continue
				}
				want := colourOf[s.Item.Media]
				if near(got, want) {
					return true, ""
				}
				return false, fmt.Sprintf("at %s the frames show %v; the evaluator says media %d (%v)", agentAt.In(loc).Format(time.DateTime+".000"), got, s.Item.Media, want)
			}
			return false, "no frame within 5 s"
		}
		checks++
		if ok, _ := verdict(); !ok {
			retried++
			time.Sleep(300 * time.Millisecond)
			if ok, why := verdict(); !ok {
				wrong++
				r.fail("%s", why)
			}
		}
	}
	r.add("days", days)
	r.add("checks", checks)
	r.add("wrong_items", wrong)
	r.add("retried", retried)
	r.check(wrong == 0, "%d wrong items of %d", wrong, checks)
	r.check(checks >= 20*days, "only %d checks", checks)
	return nil
}
