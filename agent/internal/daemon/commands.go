package daemon

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/pano-signage/pano/protocol"
)

// brightnessSetter is implemented by drivers that can dim the panel.
type brightnessSetter interface {
	SetBrightness(percent int) error
}

// command runs a remote command.
func (d *Daemon) command(c protocol.Command) error {
	switch c.Name {
	case protocol.CmdIdentify:
		secs := 10
		if v, ok := c.Args["seconds"]; ok {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 300 {
				return fmt.Errorf("identify: seconds %q must be 1–300", v)
			}
			secs = n
		}
		d.Player.Identify(time.Duration(secs) * time.Second)
	case protocol.CmdBlank:
		d.Player.Blank(true)
	case protocol.CmdUnblank:
		d.Player.Blank(false)
	case protocol.CmdBrightness:
		bs, ok := d.drv.(brightnessSetter)
		if !ok {
			return errors.New("brightness: this panel's driver cannot dim")
		}
		pct, err := strconv.Atoi(c.Args["percent"])
		if err != nil || pct < 0 || pct > 100 {
			return fmt.Errorf("brightness: percent %q must be 0–100", c.Args["percent"])
		}
		return bs.SetBrightness(pct)
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
