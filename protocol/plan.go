package protocol

import (
	"errors"
	"fmt"
	"regexp"
	"time"
)

// PlanSchema is the version of the plan document. A plan of a newer schema
// is refused by an older agent, which keeps playing the plan it has.
const PlanSchema = 1

// Plan is the contract between the controller and one display: the rules that
// say what the display shows at any instant, and the content they need, by
// hash. It is declarative: Evaluate answers "what is on at t?" from the plan
// alone, with no clock and no I/O, on the agent (to play) and on the
// controller (to preview) alike.
type Plan struct {
	Schema    int       `json:"schema"`
	Revision  int64     `json:"revision"` // grows with every change for this display
	DisplayID int64     `json:"display_id"`
	Generated time.Time `json:"generated"`
	TimeZone  string    `json:"time_zone"` // IANA name; dates and dayparts are in this zone
	Panel     Panel     `json:"panel"`
	Fallback  string    `json:"fallback"` // what to show when nothing is playable: FallbackBlack, …

	Entries   []Entry    `json:"entries"`   // schedule entries that apply to this display
	Playlists []Playlist `json:"playlists"` // referenced by Entry.Playlist
	Assets    []Asset    `json:"assets"`    // every file the plan needs
}

// Fallbacks.
const (
	FallbackBlack     = "black"
	FallbackLastFrame = "last_frame"
	FallbackIdleCard  = "idle_card"
)

// Entry schedules a playlist: on which dates, weekdays and hours, and with
// which priority. Where entries overlap, the highest priority wins; equal
// priorities go to the lower ID, so every evaluator agrees.
type Entry struct {
	ID        int64  `json:"id"`
	Playlist  int64  `json:"playlist"`
	Priority  int    `json:"priority"`
	StartDate string `json:"start_date,omitempty"` // YYYY-MM-DD, inclusive; empty: no start
	EndDate   string `json:"end_date,omitempty"`   // YYYY-MM-DD, inclusive; empty: no end
	Weekdays  []int  `json:"weekdays,omitempty"`   // ISO: 1 = Monday … 7 = Sunday; empty: every day
	From      string `json:"from,omitempty"`       // HH:MM daypart start; empty: 00:00
	Until     string `json:"until,omitempty"`      // HH:MM daypart end, exclusive; empty: 24:00
	// NotBefore and NotAfter bound the entry to an interval of instants (an
	// urgent notice: from when it is sent until it expires). The rotation
	// is then anchored at NotBefore.
	NotBefore *time.Time `json:"not_before,omitempty"`
	NotAfter  *time.Time `json:"not_after,omitempty"`
}

// Playlist is a rotation: items played in order, in a loop.
type Playlist struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Items []Item `json:"items"`
}

// Item is one slide of a rotation.
type Item struct {
	ID         int64  `json:"id"`
	Media      int64  `json:"media"`
	Campaign   int64  `json:"campaign,omitempty"`
	Asset      string `json:"asset"` // SHA-256 of the rendition for this display's panel
	DurationMS int64  `json:"duration_ms"`
}

// Asset is a file the plan needs.
type Asset struct {
	SHA256 string `json:"sha256"`
	Kind   string `json:"kind"` // AssetImage or AssetVideo
	Bytes  int64  `json:"bytes"`
	FPS    int    `json:"fps,omitempty"` // video only
	// TickerPPS > 0 makes an image a ticker: a strip as tall as the panel
	// and wider, scrolled right to left at this many pixels per second and
	// wrapping around (columns [o, o+W) with o = ⌊t·pps⌋ mod strip width).
	TickerPPS int `json:"ticker_pps,omitempty"`
}

// Asset kinds.
const (
	AssetImage = "image"
	AssetVideo = "video"
)

var (
	sha256Re = regexp.MustCompile(`^[0-9a-f]{64}$`)
	hhmmRe   = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$`)
)

// Validate checks a plan before an agent accepts it: a plan that fails keeps
// the agent on the plan it has.
func (p *Plan) Validate() error {
	if p.Schema != PlanSchema {
		return fmt.Errorf("plan schema %d is not supported (this build reads schema %d)", p.Schema, PlanSchema)
	}
	if p.Revision < 1 {
		return errors.New("plan revision must be at least 1")
	}
	if _, err := time.LoadLocation(p.TimeZone); err != nil || p.TimeZone == "" {
		return fmt.Errorf("plan time zone %q is not an IANA zone name", p.TimeZone)
	}
	if err := p.Panel.Validate(); err != nil {
		return err
	}
	switch p.Fallback {
	case FallbackBlack, FallbackLastFrame, FallbackIdleCard:
	default:
		return fmt.Errorf("plan fallback %q: use %s, %s or %s", p.Fallback, FallbackBlack, FallbackLastFrame, FallbackIdleCard)
	}
	assets := make(map[string]bool, len(p.Assets))
	for _, a := range p.Assets {
		if !sha256Re.MatchString(a.SHA256) {
			return fmt.Errorf("asset %q is not a lowercase hex SHA-256", a.SHA256)
		}
		if a.Kind != AssetImage && a.Kind != AssetVideo {
			return fmt.Errorf("asset %s: kind %q must be %s or %s", a.SHA256[:12], a.Kind, AssetImage, AssetVideo)
		}
		if a.Bytes < 1 {
			return fmt.Errorf("asset %s: size must be positive", a.SHA256[:12])
		}
		if a.Kind == AssetVideo && (a.FPS < 1 || a.FPS > 120) {
			return fmt.Errorf("asset %s: video fps %d must be 1–120", a.SHA256[:12], a.FPS)
		}
		if a.TickerPPS < 0 || a.TickerPPS > 10000 || (a.TickerPPS > 0 && a.Kind != AssetImage) {
			return fmt.Errorf("asset %s: ticker speed %d must be 0–10000 pixels per second, on an image", a.SHA256[:12], a.TickerPPS)
		}
		assets[a.SHA256] = true
	}
	playlists := make(map[int64]bool, len(p.Playlists))
	for _, pl := range p.Playlists {
		for _, it := range pl.Items {
			if !assets[it.Asset] {
				return fmt.Errorf("playlist %d item %d refers to asset %q, which the plan does not list", pl.ID, it.ID, it.Asset)
			}
			if it.DurationMS < 100 {
				return fmt.Errorf("playlist %d item %d: duration %d ms is shorter than 100 ms", pl.ID, it.ID, it.DurationMS)
			}
		}
		playlists[pl.ID] = true
	}
	for _, e := range p.Entries {
		if !playlists[e.Playlist] {
			return fmt.Errorf("schedule entry %d refers to playlist %d, which the plan does not hold", e.ID, e.Playlist)
		}
		for _, d := range []string{e.StartDate, e.EndDate} {
			if d == "" {
				continue
			}
			if _, err := time.Parse(time.DateOnly, d); err != nil {
				return fmt.Errorf("schedule entry %d: date %q is not YYYY-MM-DD", e.ID, d)
			}
		}
		for _, hm := range []string{e.From, e.Until} {
			if hm != "" && !hhmmRe.MatchString(hm) {
				return fmt.Errorf("schedule entry %d: time %q is not HH:MM", e.ID, hm)
			}
		}
		if e.NotBefore != nil && e.NotAfter != nil && !e.NotAfter.After(*e.NotBefore) {
			return fmt.Errorf("schedule entry %d: not_after must be after not_before", e.ID)
		}
		for _, wd := range e.Weekdays {
			if wd < 1 || wd > 7 {
				return fmt.Errorf("schedule entry %d: weekday %d is not 1 (Monday) to 7 (Sunday)", e.ID, wd)
			}
		}
	}
	return nil
}
