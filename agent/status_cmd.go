package main

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/pano-signage/pano/agent/internal/daemon"
	"github.com/pano-signage/pano/agent/internal/journal"
)

// status prints, for a technician on site, what the agent in a state
// directory holds and should play now — without the controller and without
// disturbing an agent that runs.
func status(args []string, stdout, stderr io.Writer) error {
	var state string
	fs := newFlagSet("status")
	fs.StringVar(&state, "state", "./agent-state", "the agent's state directory")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	cfg, _, err := daemon.LoadConfig(state)
	if err != nil {
		return usageError{err.Error()}
	}
	fmt.Fprintf(stdout, "display      %d (%s)\n", cfg.DisplayID, cfg.Name)
	_, list := cfg.Dial()
	for i, c := range list {
		label := "controllers"
		if i > 0 {
			label = ""
		}
		note := ""
		if c == cfg.LastController {
			note = " (last connected; dialled first)"
		}
		fmt.Fprintf(stdout, "%-13s%s%s\n", label, c, note)
	}
	fmt.Fprintf(stdout, "profile      %s %v\n", cfg.Profile, cfg.Settings)

	sched, err := daemon.LoadPlan(state)
	switch {
	case err != nil:
		fmt.Fprintf(stdout, "plan         unreadable: %v\n", err)
	case sched == nil:
		fmt.Fprintln(stdout, "plan         none yet (the agent has not reached the controller)")
	default:
		p := sched.Plan()
		fmt.Fprintf(stdout, "plan         revision %d, %d schedule entries, %d assets, generated %s\n",
			p.Revision, len(p.Entries), len(p.Assets), p.Generated.In(sched.Location()).Format(time.DateTime))
		cacheDir := filepath.Join(state, "cache")
		missing := 0
		for _, a := range p.Assets {
			if _, err := os.Stat(filepath.Join(cacheDir, a.SHA256[:2], a.SHA256)); err != nil {
				missing++
			}
		}
		fmt.Fprintf(stdout, "content      %d of %d assets cached\n", len(p.Assets)-missing, len(p.Assets))
		now := time.Now()
		if slot, ok := sched.At(now); ok {
			fmt.Fprintf(stdout, "now          schedule entry %d, item %d (media %d) until %s\n",
				slot.Entry, slot.Item.ID, slot.Item.Media, slot.End.In(sched.Location()).Format(time.TimeOnly))
		} else {
			fmt.Fprintf(stdout, "now          nothing scheduled: the screen shows its fallback (%s)\n", p.Fallback)
		}
		until := func(next time.Time) string {
			if next.IsZero() {
				return ""
			}
			return " until " + next.In(sched.Location()).Format(time.DateTime)
		}
		if on, next := sched.PowerAt(now); on {
			fmt.Fprintf(stdout, "power        on%s\n", until(next))
		} else {
			fmt.Fprintf(stdout, "power        off by the plan's power windows%s\n", until(next))
		}
		if pct, ok, next := sched.BrightnessAt(now); ok {
			fmt.Fprintf(stdout, "brightness   %d %% by the plan%s\n", pct, until(next))
		} else {
			fmt.Fprintln(stdout, "brightness   the profile's level (the plan sets none)")
		}
	}
	fmt.Fprintf(stdout, "cache        %s\n", mib(dirSize(filepath.Join(state, "cache"))))
	pending, dropped, err := journal.Inspect(filepath.Join(state, "journal"))
	if err != nil {
		fmt.Fprintf(stdout, "proof of play unreadable: %v\n", err)
	} else {
		fmt.Fprintf(stdout, "proof of play %d records waiting for upload, %d dropped\n", pending, dropped)
	}
	return nil
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
