package daemon

import (
	"fmt"
	"image"
	"strconv"
	"time"

	"github.com/pano-signage/pano/agent/internal/pattern"
	"github.com/pano-signage/pano/protocol"
)

// seconds reads a duration argument in whole seconds within [1, max].
func seconds(args map[string]string, name string, def, max int) (time.Duration, error) {
	v, ok := args[name]
	if !ok {
		return time.Duration(def) * time.Second, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		return 0, fmt.Errorf("%s %q must be 1–%d", name, v, max)
	}
	return time.Duration(n) * time.Second, nil
}

// command runs a remote command.
func (d *Daemon) command(c protocol.Command) error {
	switch c.Name {
	case protocol.CmdIdentify:
		dur, err := seconds(c.Args, "seconds", 10, 300)
		if err != nil {
			return fmt.Errorf("identify: %w", err)
		}
		d.Player.Identify(dur)
		d.healthAfter(dur)
	case protocol.CmdTestPattern:
		if c.Args["seconds"] == "0" {
			// Stop a test pattern (or an identify flash) now.
			d.Player.ShowPattern("", 0, nil)
			return nil
		}
		dur, err := seconds(c.Args, "seconds", 30, 3600)
		if err != nil {
			return fmt.Errorf("test pattern: %w", err)
		}
		spec := c.Args["pattern"]
		if spec == "" {
			spec = "bars"
		}
		pat, err := pattern.Parse(spec)
		if err != nil {
			return fmt.Errorf("test pattern: %w", err)
		}
		d.Player.ShowPattern(protocol.DriverTestPattern, dur, func(dst *image.RGBA, n int, _ time.Time) { pat.Draw(dst, n) })
		d.healthAfter(dur)
	case protocol.CmdBlank:
		d.Player.Blank(true)
	case protocol.CmdUnblank:
		d.Player.Blank(false)
	case protocol.CmdBrightness:
		pct, err := strconv.Atoi(c.Args["percent"])
		if err != nil || pct < 0 || pct > 100 {
			return fmt.Errorf("brightness: percent %q must be 0–100", c.Args["percent"])
		}
		dur, err := seconds(c.Args, "seconds", 3600, 7*24*3600)
		if err != nil {
			return fmt.Errorf("brightness: %w", err)
		}
		return d.overrideBrightness(pct, dur)
	case protocol.CmdResync:
		if bad, _ := d.Cache.Verify(); len(bad) > 0 {
			d.log.Warn("resync removed corrupt files", "count", len(bad))
		}
		select {
		case d.kick <- struct{}{}:
		default:
		}
	case protocol.CmdRestart:
		d.Player.Restart()
	case protocol.CmdScreenshot:
		// Sent before the command's result, on the same link: when the
		// result arrives, the controller has stored the picture.
		d.sendScreenshot()
	default:
		return fmt.Errorf("command %q is not supported by this agent", c.Name)
	}
	return nil
}

// overrideBrightness drives the panel at pct for dur, above the plan's
// level, then back to the plan's or the profile's; a newer override
// replaces an older one. The player applies it and ends it on its own
// clock, at the first frame at or after the end.
func (d *Daemon) overrideBrightness(pct int, dur time.Duration) error {
	d.Player.OverrideBrightness(pct, d.Clock.Now().Add(dur))
	d.healthAfter(dur)
	d.log.Info("brightness override", "percent", pct, "for", dur)
	return nil
}

// healthAfter reports health soon after an override of dur ends, so the
// dashboard sees the screen back to its schedule then, not at the next
// report.
func (d *Daemon) healthAfter(dur time.Duration) {
	d.reportSoon(dur+500*time.Millisecond, false)
}
