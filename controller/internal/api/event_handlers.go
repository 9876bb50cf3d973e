package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pano-signage/pano/controller/internal/events"
)

// Events is the event broker as the stream handler sees it.
type Events interface {
	Subscribe() *events.Sub
	Unsubscribe(*events.Sub)
}

// eventWriteWait bounds each write to a stream: a browser that stops
// reading is dropped, not waited for.
const eventWriteWait = 10 * time.Second

// streamEvents sends changes as server-sent events (text/event-stream):
// "display" with {"type","display_id"}, "alerts", and "reload" when too
// many displays changed at once to name them, plus a comment as a
// keep-alive. Changes are coalesced while the client reads (see package
// events), so a burst never ends the stream of a client that keeps up.
// The stream ends when the client goes, stops taking what is written
// (eventWriteWait; EventSource reconnects by itself) or the server stops.
// Without a broker (tests of other routes) it ends at once.
func (a *API) streamEvents(c echo.Context, p *principal) error {
	w := c.Response()
	h := w.Header()
	h.Set(echo.HeaderContentType, "text/event-stream; charset=utf-8")
	h.Set(echo.HeaderCacheControl, "no-store")
	h.Set("X-Accel-Buffering", "no") // a reverse proxy must not hold events back
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	write := func(s string) error {
		_ = rc.SetWriteDeadline(time.Now().Add(eventWriteWait))
		if _, err := w.Write([]byte(s)); err != nil {
			return err
		}
		return rc.Flush()
	}
	if a.o.Events == nil {
		_ = write("retry: 3000\n\n")
		return nil
	}
	// Subscribed before the first line: a client that has read it misses
	// no event.
	sub := a.o.Events.Subscribe()
	defer a.o.Events.Unsubscribe(sub)
	if err := write("retry: 3000\n: pano events\n\n"); err != nil {
		return nil
	}
	keep := time.NewTicker(a.o.KeepAlive)
	defer keep.Stop()
	ctx := ctxOf(c)
	var buf bytes.Buffer
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-sub.Done:
			return nil // shutting down; the browser reconnects
		case <-sub.Ready:
			// Everything that changed since the last write goes out in one
			// write: a burst costs one flush, not one per display.
			buf.Reset()
			for _, e := range sub.Take() {
				data, err := json.Marshal(e)
				if err != nil {
					return nil
				}
				fmt.Fprintf(&buf, "event: %s\ndata: %s\n\n", e.Type, data)
			}
			if buf.Len() > 0 && write(buf.String()) != nil {
				return nil // gone, or too slow to take it within eventWriteWait
			}
		case <-keep.C:
			// A stream outlives no session: one logged out, expired or
			// whose user was disabled ends here (without keeping it alive).
			if !a.sessionLives(c, p) || write(": keep-alive\n\n") != nil {
				return nil
			}
		}
	}
}

// sessionLives tells whether the principal's session still holds, without
// touching it: an open stream must not keep an idle session alive.
func (a *API) sessionLives(c echo.Context, p *principal) bool {
	if p == nil || p.Session == nil {
		return true // a bearer token: checked when the stream opened
	}
	sess, u, err := a.o.Store.SessionUser(ctxOf(c), p.Session.TokenHash)
	return err == nil && !u.Disabled && a.o.Now().Sub(sess.LastSeen) <= a.o.IdleTimeout
}
