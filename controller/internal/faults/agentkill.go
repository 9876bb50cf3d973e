package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pano-signage/pano/controller/internal/childproc"
	"github.com/pano-signage/pano/controller/internal/cutlink"
	"github.com/pano-signage/pano/protocol"
)

// agentKill9: one agent plays a rotation of 1 s slides (a play record a
// second: the journal is written all the time) through a link that
// throttles downloads to 8 KiB/s, and is killed with SIGKILL at a random
// moment 0.1–2 s after each start, runs times, restarted each time. Every
// fourth start it begins with its cache deleted, and every 25 kills the
// content changes (new slides at a higher priority), so kills land in the
// middle of downloads as well as of journal writes.
//
// After each kill the harness reads what the dead agent left: the journal
// (every record in it is durable; those before the cursor the controller
// has acknowledged), the item on screen noted in journal.open, partial
// downloads, and the SHA-256 of every cached file. At the end the agent
// runs until it has the newest plan and all its content and has uploaded,
// and then:
//   - corrupt_cached: cached files whose hash is not their name, ever;
//     corrupt_used: the agent's "asset cannot play" (a broken file met by
//     the player) — both must be 0;
//   - records_lost: acknowledged records the controller lacks;
//     unacked_lost: durable, not yet acknowledged ones it lacks after the
//     final upload; on_screen_lost: items on screen at a kill (item 16)
//     not recorded — all 0;
//   - records_duplicated: a record ID the controller lists twice, or two
//     of the display's records overlapping in time by more than 50 ms — 0;
//   - integrity: PRAGMA integrity_check on the controller's database.
func (h *harness) agentKill9(r *result) error {
	runs := h.cfg.kills
	w, err := h.newWorld("agent_kill9")
	if err != nil {
		return err
	}
	defer w.close()
	const name = "faults-kill"
	display, err := w.display(name, 128, 64, "virtual")
	if err != nil {
		return err
	}
	change := func(k int) error {
		var media []int64
		for i := 0; i < 3; i++ {
			id, err := w.slide(fmt.Sprintf("Thông báo %d.%d", k, i+1), [3]byte{byte(60 * i), byte(40 * k % 256), 200})
			if err != nil {
				return err
			}
			media = append(media, id)
		}
		// A picture of noise: a rendition of tens of kilobytes, seconds
		// to download at 8 KiB/s.
		id, err := w.image(fmt.Sprintf("Ảnh %d", k), uint64(k+1), 128, 64)
		if err != nil {
			return err
		}
		media = append(media, id)
		pl, err := w.rotation(fmt.Sprintf("Vòng %d", k), 1000, media...)
		if err != nil {
			return err
		}
		_, err = w.schedule(pl, display, min(50+k, 100), 2)
		return err
	}
	if err := change(0); err != nil {
		return err
	}
	lnk, err := cutlink.New(w.addr)
	if err != nil {
		return err
	}
	defer lnk.Close()
	lnk.SetRate(8 << 10)
	state := filepath.Join(w.dir, "agent")
	if err := w.enrol(name, lnk.Addr(), state, "virtual", "width=128", "height=64"); err != nil {
		return err
	}
	starts := 0
	startAgent := func() (*childproc.Proc, error) {
		starts++
		return childproc.Start(filepath.Join(w.dir, fmt.Sprintf("agent-%d.log", starts)), nil, h.agentBin, "run", "--state", state)
	}
	ag, err := startAgent()
	if err != nil {
		return err
	}
	if _, err := ag.WaitLine(regexp.MustCompile(`msg="content synced"`), 3*time.Minute); err != nil {
		return fmt.Errorf("agent: %v\n%s", err, ag.Tail())
	}

	acked, journaled, onScreen := map[string]bool{}, map[string]bool{}, map[string]bool{}
	corruptCached, corruptUsed, midDownload, changes := 0, 0, 0, 0
	for i := 0; i < runs; i++ {
		if i > 0 {
			if i%25 == 12 {
				changes++
				if err := change(changes); err != nil {
					return err
				}
			}
			if i%4 == 0 {
				os.RemoveAll(filepath.Join(state, "cache"))
			}
			if ag, err = startAgent(); err != nil {
				return err
			}
		}
		time.Sleep(h.between(100*time.Millisecond, 2*time.Second)) // a random moment to die
		ag.Kill()
		corruptUsed += ag.Count("asset cannot play")
		a, all := readJournal(state)
		for _, id := range a {
			acked[id] = true
		}
		for _, id := range all {
			journaled[id] = true
		}
		if rec := readOpenItem(state); rec != "" {
			onScreen[rec] = true
		}
		if parts, _ := os.ReadDir(filepath.Join(state, "cache", "partial")); len(parts) > 0 {
			midDownload++
		}
		bad, _ := badCacheFiles(state)
		corruptCached += bad
		h.say("agent_kill9 %d: journal %d records (%d acknowledged), %d on screen, %d mid-download", i+1, len(journaled), len(acked), len(onScreen), midDownload)
	}

	// The last start runs on until it has everything and has uploaded.
	if ag, err = startAgent(); err != nil {
		return err
	}
	defer ag.Stop()
	if _, err := w.converged(display, 3*time.Minute); err != nil {
		r.fail("the agent did not converge after the last kill: %v", err)
	}
	var recs []protocol.PlayRecord
	want := func() (lost, unackedLost, screenLost int) {
		have := map[string]bool{}
		for _, x := range recs {
			have[x.ID] = true
		}
		for id := range journaled {
			switch {
			case have[id]:
			case acked[id]:
				lost++
			default:
				unackedLost++
			}
		}
		for id := range onScreen {
			if !have[id] {
				screenLost++
			}
		}
		return
	}
	var lost, unackedLost, screenLost int
	for deadline := time.Now().Add(90 * time.Second); ; {
		if recs, err = w.records(display); err != nil {
			return err
		}
		// Records closed at a restart are in the journal by now.
		a, all := readJournal(state)
		for _, id := range a {
			acked[id] = true
		}
		for _, id := range all {
			journaled[id] = true
		}
		lost, unackedLost, screenLost = want()
		if lost+unackedLost+screenLost == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond) // uploads are not told over HTTP: bounded poll
	}
	dup := duplicates(recs)
	ag.Stop()
	corruptUsed += ag.Count("asset cannot play")
	bad, files := badCacheFiles(state)
	corruptCached += bad
	w.ctl.Stop()
	integ := integrity(w.data)

	r.add("runs", runs)
	r.add("partial_download_at_kill", midDownload)
	r.add("content_changes", changes)
	r.add("corrupt_cached", corruptCached)
	r.add("corrupt_used", corruptUsed)
	r.add("cache_files", files)
	r.add("records", len(recs))
	r.add("acknowledged", len(acked))
	r.add("records_lost", lost)
	r.add("unacked_lost", unackedLost)
	r.add("on_screen_at_kill", len(onScreen))
	r.add("on_screen_lost", screenLost)
	r.add("records_duplicated", dup)
	r.add("integrity", integ)
	r.check(corruptCached == 0 && corruptUsed == 0, "%d corrupt cached files, %d met by the player", corruptCached, corruptUsed)
	r.check(lost == 0 && unackedLost == 0 && screenLost == 0, "records lost: %d acknowledged, %d durable, %d on screen at a kill", lost, unackedLost, screenLost)
	r.check(dup == 0, "%d duplicated records", dup)
	r.check(integ == "ok", "integrity_check: %s", integ)
	r.check(len(acked) > 0 && len(onScreen) > 0, "the runs journaled nothing: they did not test that")
	r.check(midDownload > 0, "no kill landed in a download: the runs did not test that")
	return nil
}

// readJournal returns the record IDs of an agent's journal: those the
// controller acknowledged (before the cursor) and all.
func readJournal(state string) (acked, all []string) {
	b, err := os.ReadFile(filepath.Join(state, "journal", "journal.jsonl"))
	if err != nil {
		return nil, nil
	}
	var cursor int64
	if c, err := os.ReadFile(filepath.Join(state, "journal", "journal.cursor")); err == nil {
		if f := strings.Fields(string(c)); len(f) == 2 {
			cursor, _ = strconv.ParseInt(f[0], 10, 64)
		}
	}
	var off int64
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		end := off + int64(len(line)) + 1
		var rec protocol.PlayRecord
		if json.Unmarshal(line, &rec) == nil && rec.ID != "" && end <= int64(len(b)) {
			all = append(all, rec.ID)
			if end <= cursor {
				acked = append(acked, rec.ID)
			}
		}
		off = end
	}
	return acked, all
}

// readOpenItem is the ID of the item a dead agent had on screen, or "".
func readOpenItem(state string) string {
	b, err := os.ReadFile(filepath.Join(state, "journal", "journal.open"))
	var rec protocol.PlayRecord
	if err != nil || len(bytes.TrimSpace(b)) == 0 || json.Unmarshal(b, &rec) != nil {
		return ""
	}
	return rec.ID
}

// duplicates counts record IDs listed more than once and pairs of records
// overlapping in time by more than 50 ms (one display shows one item at a
// time).
func duplicates(recs []protocol.PlayRecord) int {
	n := 0
	seen := map[string]bool{}
	for _, x := range recs {
		if seen[x.ID] {
			n++
		}
		seen[x.ID] = true
	}
	s := append([]protocol.PlayRecord(nil), recs...)
	sort.Slice(s, func(i, j int) bool { return s[i].Start.Before(s[j].Start) })
	for i := 1; i < len(s); i++ {
		if s[i-1].End.Sub(s[i].Start) > 50*time.Millisecond {
			n++
		}
	}
	return n
}
