package api

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/pano-signage/pano/assets"
	"github.com/pano-signage/pano/controller/internal/cap"
	"github.com/pano-signage/pano/controller/internal/store"
)

// CAPFeeds is the CAP poller as the handlers see it.
type CAPFeeds interface {
	Poll(ctx context.Context, id int64) (store.CAPFeed, error)
	Publish(ctx context.Context, who store.Actor, id, unitID int64) (store.CAPAlert, error)
	Dismiss(ctx context.Context, who store.Actor, id int64) (store.CAPAlert, error)
	PrivateAllowed() bool
	Kick()
}

type capFeedIn struct {
	Name string `json:"name"`
	URL  string `json:"url"` // http(s): a CAP 1.2 alert, or an Atom or RSS 2.0 feed of alerts
	// Seconds between polls, 30–86400 (default 300).
	Interval int `json:"interval_s"`
	// Thresholds: Extreme, Severe, Moderate, Minor; Immediate, Expected,
	// Future, Past; Observed, Likely, Possible, Unlikely; "" or Unknown:
	// anything.
	MinSeverity  string `json:"min_severity"`
	MinUrgency   string `json:"min_urgency"`
	MinCertainty string `json:"min_certainty"`
	AutoPublish  bool   `json:"auto_publish"` // send at once; else an approver publishes or dismisses
	// Languages of the info block to prefer, in order (default ["vi"]).
	Languages []string `json:"languages"`
	// MatchPoints: also send to the displays whose coordinates lie in the
	// alert's polygons or circles (default true).
	MatchPoints *bool `json:"match_points"`
	// DefaultMinutes: how long a notice lasts when the alert has no
	// <expires>, 1–10080 (default 120).
	DefaultMinutes int             `json:"default_minutes"`
	Areas          []store.CAPArea `json:"areas"` // kind desc (value: a place name) or geocode (name, value) → group_id
}

type capFeedList struct {
	Items []store.CAPFeed `json:"items"`
	// PrivateAllowed: feeds on loopback and private addresses are fetched
	// (the controller's --cap-private).
	PrivateAllowed bool `json:"private_allowed"`
}

var langTag = regexp.MustCompile(`^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$`)

const maxCAPAreas = 500

func (in *capFeedIn) feed() (store.CAPFeed, error) {
	nm, err := name("name", in.Name)
	if err != nil {
		return store.CAPFeed{}, err
	}
	u, err := url.Parse(strings.TrimSpace(in.URL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(in.URL) > 2000 || u.User != nil {
		return store.CAPFeed{}, invalid("bad_url", "url must be an absolute http or https URL without a password").at("url")
	}
	f := store.CAPFeed{Name: nm, URL: u.String(), Interval: in.Interval, MinSeverity: in.MinSeverity, MinUrgency: in.MinUrgency,
		MinCertainty: in.MinCertainty, AutoPublish: in.AutoPublish, Languages: in.Languages, MatchPoints: in.MatchPoints == nil || *in.MatchPoints,
		DefaultMinutes: in.DefaultMinutes, Areas: in.Areas}
	if f.Interval == 0 {
		f.Interval = 300
	}
	if f.Interval < 30 || f.Interval > 86400 {
		return f, invalid("interval_range", "interval_s must be from 30 to 86400").at("interval_s").with("min", 30).with("max", 86400)
	}
	if f.DefaultMinutes == 0 {
		f.DefaultMinutes = 120
	}
	if f.DefaultMinutes < 1 || f.DefaultMinutes > 10080 {
		return f, invalid("minutes_range", "default_minutes must be from 1 to 10080").at("default_minutes").with("min", 1).with("max", 10080)
	}
	if f.MinSeverity != "" && !cap.Severity(f.MinSeverity).Valid() {
		return f, badRequest("min_severity must be Extreme, Severe, Moderate, Minor, Unknown or empty")
	}
	if f.MinUrgency != "" && !cap.Urgency(f.MinUrgency).Valid() {
		return f, badRequest("min_urgency must be Immediate, Expected, Future, Past, Unknown or empty")
	}
	if c := cap.Certainty(f.MinCertainty); c != "" && c != cap.CertaintyUnknown && c.Rank() == 0 {
		return f, badRequest("min_certainty must be Observed, Likely, Possible, Unlikely, Unknown or empty")
	}
	if len(f.Languages) == 0 {
		f.Languages = []string{"vi"}
	}
	if len(f.Languages) > 10 {
		return f, badRequest("at most 10 languages")
	}
	for _, l := range f.Languages {
		if !langTag.MatchString(l) {
			return f, invalid("bad_language", "%q is not a language tag (vi, vi-VN, en)", l).at("languages")
		}
	}
	if len(f.Areas) > maxCAPAreas {
		return f, badRequest("at most %d areas", maxCAPAreas)
	}
	if f.Areas == nil {
		f.Areas = []store.CAPArea{}
	}
	for i, a := range f.Areas {
		a.Name, a.Value = strings.TrimSpace(a.Name), strings.TrimSpace(a.Value)
		switch {
		case a.Kind != "desc" && a.Kind != "geocode":
			return f, badRequest("areas[%d].kind must be desc or geocode", i)
		case a.Value == "" || len(a.Value) > 200 || len(a.Name) > 100:
			return f, invalid("required", "each area needs a place name or a geocode value").at("areas")
		case a.Kind == "geocode" && a.Name == "":
			return f, invalid("required", "a geocode area needs its valueName (e.g. province)").at("areas")
		case a.GroupID < 1:
			return f, invalid("required", "each area needs a group").at("areas")
		}
		if a.Kind == "desc" {
			a.Name = ""
		}
		f.Areas[i] = a
	}
	return f, nil
}

func (a *API) listCAPFeeds(c echo.Context, _ *principal) error {
	fs, err := a.o.Store.CAPFeeds(ctxOf(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, capFeedList{Items: fs, PrivateAllowed: a.o.CAP != nil && a.o.CAP.PrivateAllowed()})
}

func (a *API) getCAPFeed(c echo.Context, _ *principal) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	f, err := a.o.Store.CAPFeed(ctxOf(c), id)
	if err != nil {
		return storeErr(err, "cap feed", id)
	}
	return c.JSON(http.StatusOK, f)
}

func (a *API) createCAPFeed(c echo.Context, p *principal) error {
	var in capFeedIn
	if err := a.decode(c, &in); err != nil {
		return err
	}
	f, err := in.feed()
	if err != nil {
		return err
	}
	f.UnitID, f.CreatedBy = p.User.UnitID, &p.User.ID
	f, err = a.o.Store.CreateCAPFeed(ctxOf(c), p.actor(), f)
	if err != nil {
		return storeErr(err, "cap feed", 0)
	}
	if a.o.CAP != nil {
		a.o.CAP.Kick() // due at once
	}
	return c.JSON(http.StatusCreated, f)
}

func (a *API) updateCAPFeed(c echo.Context, p *principal) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var in capFeedIn
	if err := a.decode(c, &in); err != nil {
		return err
	}
	f, err := in.feed()
	if err != nil {
		return err
	}
	f.ID = id
	f, err = a.o.Store.UpdateCAPFeed(ctxOf(c), p.actor(), f)
	if err != nil {
		return storeErr(err, "cap feed", id)
	}
	if a.o.CAP != nil {
		a.o.CAP.Kick()
	}
	return c.JSON(http.StatusOK, f)
}

func (a *API) deleteCAPFeed(c echo.Context, p *principal) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := a.o.Store.DeleteCAPFeed(ctxOf(c), p.actor(), id); err != nil {
		return storeErr(err, "cap feed", id)
	}
	return c.NoContent(http.StatusNoContent)
}

func (a *API) capPoller() (CAPFeeds, error) {
	if a.o.CAP == nil {
		return nil, errf(http.StatusServiceUnavailable, "unavailable", "the CAP poller is not running")
	}
	return a.o.CAP, nil
}

func (a *API) pollCAPFeed(c echo.Context, _ *principal) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	cp, err := a.capPoller()
	if err != nil {
		return err
	}
	f, err := cp.Poll(ctxOf(c), id)
	if err != nil {
		return storeErr(err, "cap feed", id)
	}
	return c.JSON(http.StatusOK, f)
}

func (a *API) listCAPAlerts(c echo.Context, _ *principal) error {
	q := &query{c: c}
	state := q.oneOf("state", store.CAPPublished, store.CAPWaiting, store.CAPDismissed, store.CAPSkipped, store.CAPReplaced, store.CAPCancelled, store.CAPCancel)
	if q.err != nil {
		return q.err
	}
	as, err := a.o.Store.CAPAlerts(ctxOf(c), state)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list[store.CAPAlert]{Items: as})
}

func (a *API) publishCAPAlert(c echo.Context, p *principal) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	cp, err := a.capPoller()
	if err != nil {
		return err
	}
	al, err := cp.Publish(ctxOf(c), p.actor(), id, p.User.UnitID)
	if err != nil {
		if _, ok := assets.AsError(err); ok {
			return assetErr(err)
		}
		return storeErr(err, "cap alert", id)
	}
	return c.JSON(http.StatusOK, al)
}

func (a *API) dismissCAPAlert(c echo.Context, p *principal) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	cp, err := a.capPoller()
	if err != nil {
		return err
	}
	al, err := cp.Dismiss(ctxOf(c), p.actor(), id)
	if err != nil {
		return storeErr(err, "cap alert", id)
	}
	return c.JSON(http.StatusOK, al)
}
