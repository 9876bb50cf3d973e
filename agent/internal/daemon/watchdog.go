package daemon

import (
	"context"
	"net"
	"os"
	"strconv"
	"time"
)

// notify sends a state line to systemd ($NOTIFY_SOCKET), as sd_notify(3)
// does, without cgo. Outside systemd it does nothing.
func notify(state string) error {
	addr := os.Getenv("NOTIFY_SOCKET")
	if addr == "" {
		return nil
	}
	if addr[0] == '@' {
		addr = "\x00" + addr[1:] // abstract socket
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.Write([]byte(state))
	return err
}

// watchdogInterval is half of systemd's WatchdogSec, or 0 when not asked.
func watchdogInterval() time.Duration {
	usec, err := strconv.ParseInt(os.Getenv("WATCHDOG_USEC"), 10, 64)
	if err != nil || usec <= 0 {
		return 0
	}
	if pid := os.Getenv("WATCHDOG_PID"); pid != "" && pid != strconv.Itoa(os.Getpid()) {
		return 0
	}
	return time.Duration(usec) * time.Microsecond / 2
}

// watchdog tells systemd the agent is ready, then pets the watchdog only
// while the player draws frames, so a hung player gets the agent restarted.
func (d *Daemon) watchdog(ctx context.Context) {
	_ = notify("READY=1")
	every := watchdogInterval()
	if every == 0 {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			_ = notify("STOPPING=1")
			return
		case <-t.C:
			if !d.Player.Status().Frozen {
				_ = notify("WATCHDOG=1")
			}
		}
	}
}
