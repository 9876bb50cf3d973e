package cluster

import (
	"bytes"
	"encoding/json"
	"sort"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/pano-signage/pano/controller/internal/hub"
)

// Presence: which agents are online on the whole fleet. Each replica
// publishes on pano.presence the agents linked to it: those that came up
// and the links that closed, as they happen, and all of them every
// Options.PresenceEvery. Every replica keeps the others' entries and drops
// those of a replica it has not heard for Options.PresenceTimeout (a
// replica killed says no goodbye). Agents and Changed then give the alert
// watcher, the event stream and the dashboard the fleet, not this
// replica's share of it.

const subjectPresence = "pano.presence"

// presence is the body of pano.presence.
type presence struct {
	Agents []hub.AgentInfo `json:"agents,omitempty"` // linked to the sender (all of them, in parts, or those that just came up)
	Gone   []int64         `json:"gone,omitempty"`   // displays whose link closed on the sender
	Bye    bool            `json:"bye,omitempty"`    // the sender leaves: drop all its entries
}

// remoteAgent is an agent linked to another replica.
type remoteAgent struct {
	info    hub.AgentInfo
	replica string
	heard   time.Time
}

// presencePart bounds the bytes of one message of a full announcement
// (NATS refuses messages over 1 MB by default): an agent with its health
// is about 1 KB, so 5,000 agents go in about 20 messages.
const presencePart = 256 << 10

// presencePause is the least time between two announcements of links that
// came up or closed: 5,000 agents connecting at a replica's start make a
// few messages, not 5,000.
const presencePause = 100 * time.Millisecond

// Agents lists the agents online on every replica: this replica's from its
// hub, the others' as they last announced them (at most PresenceEvery old;
// a display linked here and announced elsewhere counts as here). Sorted by
// name, as the hub's.
func (b *Bus) Agents() []hub.AgentInfo {
	out := b.localHub().Agents()
	here := make(map[int64]bool, len(out))
	for _, a := range out {
		here[a.DisplayID] = true
	}
	b.pmu.Lock()
	for id, r := range b.remote {
		if !here[id] {
			out = append(out, r.info)
		}
	}
	b.pmu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Changed returns a channel closed at the next change of Agents: of this
// replica's hub or of another replica's announcement. Read Agents after it
// fires.
func (b *Bus) Changed() <-chan struct{} {
	b.pmu.Lock()
	defer b.pmu.Unlock()
	return b.changed
}

func (b *Bus) notify() {
	b.pmu.Lock()
	close(b.changed)
	b.changed = make(chan struct{})
	b.pmu.Unlock()
}

// linkNoted records for the next announcement that a display's link came
// up (up) or closed here. Called by LinkChanged under b.mu.
func (b *Bus) linkNoted(displayID int64, up bool) {
	b.pmu.Lock()
	if up {
		b.up[displayID] = true
		delete(b.gone, displayID)
	} else {
		b.gone[displayID] = true
		delete(b.up, displayID)
	}
	b.pmu.Unlock()
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// watchHub passes the hub's changes on to Changed's channel.
func (b *Bus) watchHub(h Hub) {
	defer b.wg.Done()
	for {
		ch := h.Changed()
		select {
		case <-b.done:
			return
		case <-ch:
			b.notify()
		}
	}
}

// announce publishes this replica's agents: links that came up or closed
// when they do, all of them every PresenceEvery; and drops the entries of
// replicas not heard for PresenceTimeout.
func (b *Bus) announce(h Hub) {
	defer b.wg.Done()
	every := time.NewTicker(b.opt.PresenceEvery)
	defer every.Stop()
	for {
		select {
		case <-b.done:
			return
		case <-every.C:
			b.publishPresence(h, true)
			b.expire(time.Now())
		case <-b.kick:
			b.publishPresence(h, false)
			select {
			case <-b.done:
				return
			case <-time.After(presencePause):
			}
		}
	}
}

// publishPresence sends every agent linked here (all) or those that came
// up and closed since the last call.
func (b *Bus) publishPresence(h Hub, all bool) {
	b.pmu.Lock()
	up, gone := b.up, b.gone
	b.up, b.gone = map[int64]bool{}, map[int64]bool{}
	b.pmu.Unlock()
	if !all && len(up) == 0 && len(gone) == 0 {
		return
	}
	// Each part is {"agents":[…],"gone":[…]} written by hand: marshalling
	// the encoded agents again would copy and check every byte twice.
	var part bytes.Buffer
	n := 0
	send := func(gone []int64) {
		if n == 0 && len(gone) == 0 {
			return
		}
		part.WriteString(`],"gone":`)
		g, _ := json.Marshal(gone) // null when none
		part.Write(g)
		part.WriteByte('}')
		b.publishRaw(subjectPresence, part.Bytes(), nil)
		part.Reset()
		n = 0
	}
	for _, a := range h.Agents() {
		if !all && !up[a.DisplayID] {
			continue
		}
		j, err := json.Marshal(a)
		if err != nil {
			b.log.Error("cluster: encode an agent's presence", "display", a.DisplayID, "err", err)
			continue
		}
		if n > 0 && part.Len()+len(j) > presencePart {
			send(nil)
		}
		if n == 0 {
			part.WriteString(`{"agents":[`)
		} else {
			part.WriteByte(',')
		}
		part.Write(j)
		n++
	}
	ids := make([]int64, 0, len(gone))
	for id := range gone {
		ids = append(ids, id)
	}
	if n == 0 && len(ids) > 0 {
		part.WriteString(`{"agents":[`)
	}
	send(ids)
}

// onPresence takes another replica's announcement.
func (b *Bus) onPresence(msg *nats.Msg) {
	from := msg.Header.Get(headerReplica)
	if from == b.id || from == "" {
		return
	}
	var p presence
	if err := json.Unmarshal(msg.Data, &p); err != nil {
		b.log.Warn("cluster: bad presence message", "from", from, "err", err)
		return
	}
	now := time.Now()
	b.pmu.Lock()
	b.heard[from] = now
	for _, a := range p.Agents {
		b.remote[a.DisplayID] = remoteAgent{info: a, replica: from, heard: now}
	}
	for _, id := range p.Gone {
		if r, ok := b.remote[id]; ok && r.replica == from { // not if it moved on since
			delete(b.remote, id)
		}
	}
	if p.Bye {
		b.dropLocked(func(r remoteAgent) bool { return r.replica == from })
		delete(b.heard, from)
	}
	f := b.presenceHook
	b.pmu.Unlock()
	b.notify()
	if f != nil {
		f(from)
	}
}

// expire drops the entries not announced again for PresenceTimeout: their
// replica was killed or cut off from NATS (its agents come back through
// another replica, which announces them).
func (b *Bus) expire(now time.Time) {
	b.pmu.Lock()
	n := b.dropLocked(func(r remoteAgent) bool { return now.Sub(r.heard) > b.opt.PresenceTimeout })
	for replica, at := range b.heard {
		if now.Sub(at) > b.opt.PresenceTimeout {
			delete(b.heard, replica)
			b.log.Warn("cluster: a replica stopped announcing its agents; they count as offline until another replica holds them",
				"other", replica, "timeout", b.opt.PresenceTimeout)
		}
	}
	b.pmu.Unlock()
	if n > 0 {
		b.notify()
	}
}

// dropLocked deletes the remote entries that drop says; b.pmu is held.
func (b *Bus) dropLocked(drop func(remoteAgent) bool) int {
	n := 0
	for id, r := range b.remote {
		if drop(r) {
			delete(b.remote, id)
			n++
		}
	}
	return n
}

// bye tells the others this replica leaves (Close): they drop its agents
// at once rather than after PresenceTimeout.
func (b *Bus) bye() {
	body, _ := json.Marshal(presence{Bye: true})
	b.publishRaw(subjectPresence, body, nil)
}
