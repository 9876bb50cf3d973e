package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/pano-signage/pano/controller/internal/hub"
	"github.com/pano-signage/pano/protocol"
)

// cmdAnswer is the answer to pano.display.<id>.cmd.
type cmdAnswer struct {
	ID      string `json:"id,omitempty"`      // the command's message id
	Offline bool   `json:"offline,omitempty"` // the link closed meanwhile
	Error   string `json:"error,omitempty"`   // the hub refused the command
}

// revoke is the body of pano.revoke.
type revoke struct {
	Display int64 `json:"display"`
}

// result is the body of pano.replica.<id>.result.
type result struct {
	Display int64                  `json:"display"`
	Result  protocol.CommandResult `json:"result"`
}

// Attach gives the bus the local hub. Call it once, before the hub takes
// agents (LinkChanged needs it) and before the bus is used as the hub.
// From then on the bus announces the hub's agents to the other replicas.
func (b *Bus) Attach(h Hub) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.hub = h
	if b.closed {
		return
	}
	b.wg.Add(2)
	go b.watchHub(h)
	go b.announce(h)
}

// LinkChanged is the hub's OnLink: a display's link came up or closed
// here. While the display is online on this hub the bus listens on its
// subjects, so that the other replicas reach it. It asks the hub for the
// state now, under the bus's lock: whichever call runs last sees the last
// change, whatever order the hub's calls came in.
func (b *Bus) LinkChanged(displayID int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed || b.hub == nil {
		return
	}
	here := b.hub.Online(displayID)
	sub, held := b.held[displayID]
	switch {
	case here && !held:
		s, err := b.nc.ChanSubscribe(displaySubject(displayID, "*"), b.in)
		if err != nil {
			b.log.Error("cluster: cannot listen for a display's commands; other replicas will find it offline", "display", displayID, "err", err)
			return
		}
		b.held[displayID] = s
		b.linkNoted(displayID, true)
	case !here && held:
		if err := sub.Unsubscribe(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
			b.log.Warn("cluster: unsubscribe", "display", displayID, "err", err)
		}
		delete(b.held, displayID)
		b.linkNoted(displayID, false)
	}
}

// Command sends a remote command to a display's agent, whichever replica
// holds it: this one's hub first, else by a NATS request to the replica
// that listens for the display. hub.ErrOffline means no replica answered
// for it within Options.RequestTimeout (none holds it, or NATS is away).
func (b *Bus) Command(displayID int64, cmd protocol.Command) (string, error) {
	ref, err := b.localHub().Command(displayID, cmd)
	if !errors.Is(err, hub.ErrOffline) {
		return ref, err
	}
	data, err := json.Marshal(cmd)
	if err != nil {
		return "", fmt.Errorf("cluster: encode command: %w", err)
	}
	msg := &nats.Msg{Subject: displaySubject(displayID, "cmd"), Data: data, Header: nats.Header{}}
	msg.Header.Set(headerReplica, b.id)
	reply, err := b.nc.RequestMsg(msg, b.opt.RequestTimeout)
	switch {
	case errors.Is(err, nats.ErrNoResponders):
		return "", hub.ErrOffline // no replica holds it
	case errors.Is(err, nats.ErrTimeout):
		b.log.Warn("cluster: no replica answered for a display in time; taking it as offline",
			"display", displayID, "timeout", b.opt.RequestTimeout, "nats_connected", b.nc.IsConnected())
		return "", hub.ErrOffline
	case err != nil:
		return "", fmt.Errorf("cluster: forward a command to display %d: %w", displayID, err)
	}
	b.m.published.Inc()
	var a cmdAnswer
	if err := json.Unmarshal(reply.Data, &a); err != nil {
		return "", fmt.Errorf("cluster: bad answer from display %d's replica: %w", displayID, err)
	}
	switch {
	case a.Offline:
		return "", hub.ErrOffline
	case a.Error != "":
		return "", fmt.Errorf("cluster: display %d's replica refused the command: %s", displayID, a.Error)
	}
	b.m.forwarded.Inc()
	return a.ID, nil
}

// PushPlan sends a display's new plan to its agent: through this
// replica's hub, else published for the replica that holds the display.
// It still answers hub.ErrOffline then (the plan service ignores it): the
// bus does not wait to learn whether any replica held it. The agent gets
// its stored plan at its next hello in any case.
func (b *Bus) PushPlan(ctx context.Context, displayID int64, p hub.Plan) error {
	err := b.localHub().PushPlan(ctx, displayID, p)
	if !errors.Is(err, hub.ErrOffline) {
		return err
	}
	h := nats.Header{}
	h.Set(headerPlanRev, strconv.FormatInt(p.Revision, 10))
	b.publishRaw(displaySubject(displayID, "plan"), p.JSON, h)
	return err
}

// Revoke closes a display's links on this replica and on the others.
func (b *Bus) Revoke(displayID int64) {
	b.localHub().Revoke(displayID)
	b.publish(subjectRevoke, revoke{Display: displayID}, nil)
}

// onDisplayMessage serves pano.display.<id>.cmd and .plan for a display
// whose link is here.
func (b *Bus) onDisplayMessage(msg *nats.Msg) {
	rest, ok := strings.CutPrefix(msg.Subject, "pano.display.")
	idText, what, ok2 := strings.Cut(rest, ".")
	displayID, err := strconv.ParseInt(idText, 10, 64)
	if !ok || !ok2 || err != nil {
		b.log.Warn("cluster: message on an unknown subject", "subject", msg.Subject)
		return
	}
	h := b.localHub()
	if h == nil {
		return
	}
	switch what {
	case "cmd":
		b.serveCommand(h, displayID, msg)
	case "plan":
		rev, err := strconv.ParseInt(msg.Header.Get(headerPlanRev), 10, 64)
		if err != nil {
			b.log.Warn("cluster: plan message without a revision", "display", displayID)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := h.PushPlan(ctx, displayID, hub.Plan{Revision: rev, JSON: msg.Data}); err != nil && !errors.Is(err, hub.ErrOffline) {
			b.log.Warn("cluster: push a plan from another replica", "display", displayID, "err", err)
		}
	}
}

func (b *Bus) serveCommand(h Hub, displayID int64, msg *nats.Msg) {
	var a cmdAnswer
	var cmd protocol.Command
	if err := json.Unmarshal(msg.Data, &cmd); err != nil {
		a.Error = "bad command message: " + err.Error()
	} else {
		// Under fmu, so that the command's result, which may come back on
		// the agent's link before Command returns, waits for the
		// bookkeeping that sends it to the asking replica.
		b.fmu.Lock()
		ref, err := h.Command(displayID, cmd)
		switch {
		case errors.Is(err, hub.ErrOffline):
			a.Offline = true
		case err != nil:
			a.Error = err.Error()
		default:
			a.ID = ref
			if from := msg.Header.Get(headerReplica); from != "" {
				b.rememberLocked(ref, from)
			}
		}
		b.fmu.Unlock()
	}
	data, _ := json.Marshal(a) // a struct of strings and a bool: cannot fail
	if err := msg.Respond(data); err != nil {
		b.log.Warn("cluster: answer a forwarded command", "display", displayID, "err", err)
		return
	}
	b.m.published.Inc()
}

// rememberLocked records where a forwarded command's result goes; the
// oldest are forgotten past maxForwarded. b.fmu is held.
func (b *Bus) rememberLocked(ref, replica string) {
	b.forwarded[ref] = replica
	b.order = append(b.order, ref)
	for len(b.order) > maxForwarded {
		delete(b.forwarded, b.order[0])
		b.order = b.order[1:]
	}
}

// Relay wraps the report sink the hub is given: a command's result that
// arrives here for a command another replica forwarded is also sent to
// that replica, whose API waits for it in its own sink; results sent here
// by other replicas go into sink.
func (b *Bus) Relay(sink hub.Reports) hub.Reports {
	b.mu.Lock()
	b.sink = sink
	b.mu.Unlock()
	return relay{Reports: sink, b: b}
}

type relay struct {
	hub.Reports
	b *Bus
}

func (r relay) CommandResult(ctx context.Context, displayID int64, res protocol.CommandResult) {
	r.Reports.CommandResult(ctx, displayID, res)
	r.b.fmu.Lock()
	replica, ok := r.b.forwarded[res.Ref]
	delete(r.b.forwarded, res.Ref) // its place in order goes with the oldest
	r.b.fmu.Unlock()
	if ok {
		r.b.publish(resultSubject(replica), result{Display: displayID, Result: res}, nil)
	}
}

// onResult takes the result of a command this replica forwarded.
func (b *Bus) onResult(msg *nats.Msg) {
	var r result
	if err := json.Unmarshal(msg.Data, &r); err != nil {
		b.log.Warn("cluster: bad result message", "from", msg.Header.Get(headerReplica), "err", err)
		return
	}
	b.mu.Lock()
	sink := b.sink
	b.mu.Unlock()
	if sink != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		sink.CommandResult(ctx, r.Display, r.Result)
	}
}
