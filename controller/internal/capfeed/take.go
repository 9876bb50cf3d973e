package capfeed

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pano-signage/pano/controller/internal/cap"
	"github.com/pano-signage/pano/controller/internal/store"
)

// Reasons an alert is not shown (CAPAlert.Reason).
const (
	ReasonNotActual = "not_actual"      // status Exercise, System, Test or Draft
	ReasonNotAlert  = "not_alert"       // msgType Ack or Error
	ReasonNotPublic = "not_public"      // scope Restricted or Private: not for public screens
	ReasonNoInfo    = "no_info"         // no <info> block
	ReasonBelow     = "below_threshold" // less severe, urgent or certain than the feed asks
	ReasonNoArea    = "no_area"         // no group or display of the feed matches its area
	ReasonExpired   = "expired"         // its <expires> has passed
	ReasonReplaced  = "superseded"      // an Update or Cancel of it was taken already
)

// MaxText bounds a notice made from an alert (the API's MaxTextBody).
const MaxText = 2000

// style draws CAP notices white on dark red, the title in amber.
var style = &store.NoticeStyle{Color: "#ffffff", TitleColor: "#ffd200", Background: "#8b0000", Align: "center"}

// actor is who the poller's changes are recorded as.
func actor(f store.CAPFeed) store.Actor {
	return store.Actor{Name: cut("CAP: "+f.Name, 100), Addr: cut(f.URL, 200)}
}

func (p *Poller) takeOne(ctx context.Context, f store.CAPFeed, a *cap.Alert) error {
	p.dec.Lock()
	defer p.dec.Unlock()
	return p.take(ctx, f, a)
}

// take handles one parsed alert of feed f: records it once for f, and
// sends, replaces, ends or holds its notice. Each feed takes an alert for
// its own map of areas to groups; an Update or a Cancel replaces or ends
// what its feed showed, and is handed to every other feed that took an
// alert it references, so that those end or replace theirs too (they may
// never carry it themselves).
func (p *Poller) take(ctx context.Context, f store.CAPFeed, a *cap.Alert) error {
	taken, err := p.take1(ctx, f, a)
	if !taken || len(a.References) == 0 || a.Status != cap.StatusActual || a.Scope != cap.ScopePublic {
		return err
	}
	return errors.Join(err, p.spread(ctx, f, a))
}

// spread hands an Update or a Cancel taken by feed f to the other feeds
// that took an alert it references.
func (p *Poller) spread(ctx context.Context, f store.CAPFeed, a *cap.Alert) error {
	var feeds []int64
	for _, r := range a.References {
		old, err := p.st.CAPAlertsOf(ctx, r.Sender, r.Identifier)
		if err != nil {
			return err
		}
		for _, o := range old {
			if o.FeedID != nil && *o.FeedID != f.ID && !slices.Contains(feeds, *o.FeedID) {
				feeds = append(feeds, *o.FeedID)
			}
		}
	}
	var errs []error
	for _, id := range feeds {
		g, err := p.st.CAPFeed(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err == nil {
			err = p.take(ctx, g, a)
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// take1 is take for feed f alone; taken is true when it stored the alert
// (it had not seen it).
func (p *Poller) take1(ctx context.Context, f store.CAPFeed, a *cap.Alert) (taken bool, err error) {
	seen, err := p.st.CAPAlertSeen(ctx, f.ID, a.Sender, a.Identifier, a.Sent)
	if err != nil || seen {
		return false, err
	}
	taken, err = p.record(ctx, f, a)
	return taken, err
}

func (p *Poller) record(ctx context.Context, f store.CAPFeed, a *cap.Alert) (bool, error) {
	rec := store.CAPAlert{FeedID: &f.ID, Identifier: a.Identifier, Sender: a.Sender, Sent: a.Sent, MsgType: string(a.MsgType)}
	who := actor(f)
	if a.Status != cap.StatusActual {
		rec.State, rec.Reason = store.CAPSkipped, ReasonNotActual
		_, seen, err := p.st.RecordCAPAlert(ctx, rec)
		return !seen && err == nil, err
	}
	if a.Scope != cap.ScopePublic {
		// Meant for some people only (even a Cancel or an Update: it
		// neither ends nor replaces what the public saw).
		rec.State, rec.Reason = store.CAPSkipped, ReasonNotPublic
		_, seen, err := p.st.RecordCAPAlert(ctx, rec)
		return !seen && err == nil, err
	}
	refs := make([]string, len(a.References))
	for i, r := range a.References {
		refs[i] = r.Key() // sender,identifier
	}
	switch a.MsgType {
	case cap.MsgCancel:
		rec.State, rec.References = store.CAPCancel, refs
		if _, seen, err := p.st.RecordCAPAlert(ctx, rec); err != nil || seen {
			return false, err
		}
		return true, p.end(ctx, who, &f.ID, refs, store.CAPCancelled, true)
	case cap.MsgAlert, cap.MsgUpdate:
		rec.References = refs
	default:
		rec.State, rec.Reason = store.CAPSkipped, ReasonNotAlert
		_, seen, err := p.st.RecordCAPAlert(ctx, rec)
		return !seen && err == nil, err
	}
	info := cap.PickInfo(a, f.Languages...)
	if info == nil {
		rec.State, rec.Reason = store.CAPSkipped, ReasonNoInfo
		if _, seen, err := p.st.RecordCAPAlert(ctx, rec); err != nil || seen {
			return false, err
		}
		return true, p.end(ctx, who, &f.ID, refs, store.CAPReplaced, true)
	}
	rec.Event, rec.Language = info.Event, info.Language
	rec.Severity, rec.Urgency, rec.Certainty = string(info.Severity), string(info.Urgency), string(info.Certainty)
	rec.Title, rec.Body = text(info)
	now := p.o.Now()
	expires := info.Expires
	if expires.IsZero() {
		expires = now.Add(time.Duration(f.DefaultMinutes) * time.Minute)
	}
	rec.ExpiresAt = &expires
	groups, displays, err := p.targets(ctx, f, info)
	if err != nil {
		return false, err
	}
	rec.GroupIDs, rec.DisplayIDs = groups, displays
	late, err := p.st.CAPAlertReplaced(ctx, a.Sender, a.Identifier)
	if err != nil {
		return false, err
	}
	switch {
	case late:
		rec.State, rec.Reason = store.CAPSkipped, ReasonReplaced
	case !cap.Passes(info, cap.Severity(f.MinSeverity), cap.Urgency(f.MinUrgency)) || info.Certainty.Rank() < cap.Certainty(f.MinCertainty).Rank():
		rec.State, rec.Reason = store.CAPSkipped, ReasonBelow
	case len(groups)+len(displays) == 0:
		rec.State, rec.Reason = store.CAPSkipped, ReasonNoArea
	case !expires.After(now):
		rec.State, rec.Reason = store.CAPSkipped, ReasonExpired
	default:
		rec.State = store.CAPWaiting
	}
	stored, seen, err := p.st.RecordCAPAlert(ctx, rec)
	if err != nil || seen {
		return false, err
	}
	// An Update replaces what it references: at once, unless it waits for
	// an approver — then the notices it replaces stay on screens until the
	// approver publishes or dismisses it (only alerts still waiting are
	// closed now, so that nobody publishes a stale one).
	waits := rec.State == store.CAPWaiting && !f.AutoPublish
	if err := p.end(ctx, who, &f.ID, refs, store.CAPReplaced, !waits); err != nil {
		return true, err
	}
	if rec.State != store.CAPWaiting || !f.AutoPublish {
		return true, nil
	}
	_, err = p.publish(ctx, who, stored, f.UnitID, "cap_alert.publish")
	return true, err
}

// retry sends the notices of an automatic feed's alerts that wait (their
// send failed when they were taken), or skips those expired meanwhile; it
// says which failed again.
func (p *Poller) retry(ctx context.Context, f store.CAPFeed) (failed []string) {
	if !f.AutoPublish {
		return nil
	}
	p.dec.Lock()
	defer p.dec.Unlock()
	as, err := p.st.CAPAlertsWaiting(ctx, f.ID)
	if err != nil {
		return []string{err.Error()}
	}
	for _, a := range as {
		if a.ExpiresAt == nil || !a.ExpiresAt.After(p.o.Now()) {
			if _, err := p.st.SkipCAPAlert(ctx, a.ID, ReasonExpired); err != nil {
				failed = append(failed, err.Error())
			}
			continue
		}
		if _, err := p.publish(ctx, actor(f), a, f.UnitID, "cap_alert.publish"); err != nil {
			p.o.Log.Warn("cap: alert not sent again", "feed", f.Name, "alert", a.Identifier, "err", err)
			failed = append(failed, err.Error())
		}
	}
	return failed
}

// text is the notice made from an info block: its headline as the title
// (else its event) and its description as the body (else the headline,
// else the event), then what to do (its instruction) on a line of its
// own, cut to MaxText.
func text(info *cap.Info) (title, body string) {
	title = strings.TrimSpace(info.Headline)
	body = strings.TrimSpace(info.Description)
	if title == "" {
		title = strings.TrimSpace(info.Event)
	}
	if body == "" {
		body, title = title, strings.TrimSpace(info.Event)
		if body == title {
			title = ""
		}
	}
	if do := strings.TrimSpace(info.Instruction); do != "" {
		body += "\n" + do
	}
	return cut(title, 200), cut(body, MaxText)
}

// targets are the groups an info's areas map to (by place name or
// geocode) and, when the feed asks, the displays outside those groups
// whose coordinates lie in one of its polygons or circles.
func (p *Poller) targets(ctx context.Context, f store.CAPFeed, info *cap.Info) (groups, displays []int64, err error) {
	byGroup := map[int64]*cap.Matcher{}
	var order []int64
	for _, a := range f.Areas {
		m := byGroup[a.GroupID]
		if m == nil {
			m = &cap.Matcher{}
			byGroup[a.GroupID] = m
			order = append(order, a.GroupID)
		}
		if a.Kind == "geocode" {
			m.Geocodes = append(m.Geocodes, cap.Geocode{Name: a.Name, Value: a.Value})
		} else {
			m.Names = append(m.Names, a.Value)
		}
	}
	in := map[int64]bool{}
	for _, g := range order {
		if byGroup[g].MatchInfo(info) {
			groups = append(groups, g)
			in[g] = true
		}
	}
	if !f.MatchPoints {
		return groups, nil, nil
	}
	ds, err := p.st.DisplaysWithSite(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, d := range ds {
		if d.GroupID != nil && in[*d.GroupID] {
			continue
		}
		m := cap.Matcher{Points: []cap.Point{{Lat: d.Lat, Lon: d.Lon}}}
		if m.MatchInfo(info) {
			displays = append(displays, d.ID)
		}
	}
	return groups, displays, nil
}

// end ends the notices of the alerts refs name ("sender,identifier": an
// Update replaces them, a Cancel ends them) and closes those still
// waiting for an approver; with published false, it closes only those.
// It ends what feed took (and what feeds since deleted took), or all
// when feed is nil.
func (p *Poller) end(ctx context.Context, who store.Actor, feed *int64, refs []string, state string, published bool) error {
	action := "cap_alert.cancel"
	if state == store.CAPReplaced {
		action = "cap_alert.replace"
	}
	for _, ref := range refs {
		sender, ident, ok := strings.Cut(ref, ",")
		if !ok {
			continue
		}
		old, err := p.st.CAPAlertsOf(ctx, sender, ident)
		if err != nil {
			return err
		}
		for _, o := range old {
			if feed != nil && o.FeedID != nil && *o.FeedID != *feed {
				continue
			}
			if o.State != store.CAPWaiting && (o.State != store.CAPPublished || !published) {
				continue
			}
			if o.UrgentID != nil && o.State == store.CAPPublished {
				if _, err := p.st.CancelUrgentNotice(ctx, who, *o.UrgentID); err != nil && !errors.Is(err, store.ErrNotFound) {
					return err
				}
			}
			if _, err := p.st.SetCAPAlertState(ctx, who, o.ID, action, []string{store.CAPPublished, store.CAPWaiting}, state, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// ErrExpired refuses to publish an alert whose time has passed.
var ErrExpired = &store.StateError{Code: "alert_expired", Msg: "the alert has expired"}

// Publish sends a waiting alert as an urgent notice, by an approver's
// decision, in the unit of the feed it came from (else the approver's).
func (p *Poller) Publish(ctx context.Context, who store.Actor, id, unitID int64) (store.CAPAlert, error) {
	p.dec.Lock()
	defer p.dec.Unlock()
	a, err := p.st.CAPAlert(ctx, id)
	if err != nil {
		return a, err
	}
	if a.FeedID != nil {
		if f, err := p.st.CAPFeed(ctx, *a.FeedID); err == nil {
			unitID = f.UnitID
		}
	}
	return p.publish(ctx, who, a, unitID, "cap_alert.publish")
}

// publish sends alert a (read under dec) as a notice and then marks it
// published; a send that fails leaves it waiting. What an Update replaces
// ends once its own notice is on.
func (p *Poller) publish(ctx context.Context, who store.Actor, a store.CAPAlert, unitID int64, action string) (store.CAPAlert, error) {
	if a.State != store.CAPWaiting {
		return a, fmt.Errorf("capfeed: publish alert %d: %w", a.ID,
			&store.StateError{Code: "wrong_state", Msg: fmt.Sprintf("the alert is %s", a.State), Params: map[string]any{"status": a.State, "to": store.CAPPublished}})
	}
	if a.ExpiresAt == nil || !a.ExpiresAt.After(p.o.Now()) {
		return a, fmt.Errorf("capfeed: publish alert %d: %w", a.ID, ErrExpired)
	}
	// The same alert through another feed may be on some of these
	// screens already: those do not get it twice.
	to := store.UrgentTarget{GroupIDs: a.GroupIDs, DisplayIDs: a.DisplayIDs}
	copies, err := p.st.CAPAlertCopies(ctx, a.Sender, a.Identifier, a.Sent)
	if err != nil {
		return a, fmt.Errorf("capfeed: publish alert %d: %w", a.ID, err)
	}
	for _, c := range copies {
		if c.ID != a.ID && c.State == store.CAPPublished && c.UrgentID != nil {
			to.GroupIDs = slices.DeleteFunc(slices.Clone(to.GroupIDs), func(g int64) bool { return slices.Contains(c.GroupIDs, g) })
			to.DisplayIDs = slices.DeleteFunc(slices.Clone(to.DisplayIDs), func(d int64) bool { return slices.Contains(c.DisplayIDs, d) })
		}
	}
	var urgent *int64
	if len(to.GroupIDs)+len(to.DisplayIDs) > 0 {
		n, err := p.send.SendText(ctx, who, store.UrgentNew{
			Text: &store.NewMedia{UnitID: unitID, CreatedBy: who.UserID, Title: a.Title, Body: a.Body, Notice: style},
			To:   to, EndsAt: *a.ExpiresAt,
			Detail: map[string]any{"cap_alert_id": a.ID, "cap_identifier": a.Identifier, "cap_sender": a.Sender},
		})
		if err != nil {
			return a, fmt.Errorf("capfeed: publish alert %d: %w", a.ID, err)
		}
		urgent = &n.ID
	}
	out, err := p.st.SetCAPAlertState(ctx, who, a.ID, action, []string{store.CAPWaiting}, store.CAPPublished, urgent)
	if err != nil {
		return out, err
	}
	// What an Update replaces ends as it is published.
	if err := p.end(ctx, who, a.FeedID, a.References, store.CAPReplaced, true); err != nil {
		return out, fmt.Errorf("capfeed: publish alert %d: %w", a.ID, err)
	}
	return out, nil
}

// Dismiss closes a waiting alert without showing it, by an approver's
// decision. What a dismissed Update replaces ends too: the sender said it
// no longer holds.
func (p *Poller) Dismiss(ctx context.Context, who store.Actor, id int64) (store.CAPAlert, error) {
	p.dec.Lock()
	defer p.dec.Unlock()
	a, err := p.st.SetCAPAlertState(ctx, who, id, "cap_alert.dismiss", []string{store.CAPWaiting}, store.CAPDismissed, nil)
	if err != nil {
		return a, err
	}
	return a, p.end(ctx, who, a.FeedID, a.References, store.CAPReplaced, true)
}
