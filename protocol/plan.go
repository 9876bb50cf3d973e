package protocol

import (
	"errors"
	"fmt"
	"regexp"
	"time"
)

// PlanSchema is the newest version of the plan document this build reads
// and writes. A plan of a newer schema is refused by an older agent, which
// keeps playing the plan it has and says so in its health. The controller
// writes the oldest schema that can say what a plan says (NeededSchema), so
// agents in the field keep working until a ward uses what they lack.
//
// Schema 2 added: entry dayparts (several daily windows) and weights (share
// of voice), item validity (not_before/not_after), power and brightness
// windows, day/night brightness by the sun and the display's site.
//
// Schema 3 added program assets (AssetProgram): a layout of windows with
// live clocks, dates, countdowns and tickers (Program).
const PlanSchema = 3

// MinPlanSchema is the oldest schema this build reads.
const MinPlanSchema = 1

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

	// Site is where the display stands, for sunrise and sunset (schema 2).
	Site *Site `json:"site,omitempty"`
	// Power lists the windows in which the screen is on; outside all of
	// them it is off (blank, and told so where the protocol can say it).
	// Empty: always on (schema 2).
	Power []Window `json:"power,omitempty"`
	// Brightness sets levels by time of day: the first window that holds
	// at an instant gives the level (schema 2).
	Brightness []BrightnessWindow `json:"brightness,omitempty"`
	// DayNight gives the level where no brightness window holds: Day from
	// sunrise to sunset at Site, Night otherwise (schema 2; needs Site).
	// Without it (and no window) the panel keeps its profile's level.
	DayNight *DayNight `json:"day_night,omitempty"`
}

// Site is a point on Earth, in decimal degrees (WGS 84).
type Site struct {
	Latitude  float64 `json:"latitude"`  // −90 … 90, north positive
	Longitude float64 `json:"longitude"` // −180 … 180, east positive
}

// Window is a daily window of time on some weekdays. Until ≤ From crosses
// midnight: the window opens on a listed weekday and ends the next day.
type Window struct {
	Weekdays []int  `json:"weekdays,omitempty"` // ISO 1 = Monday … 7 = Sunday; empty: every day
	From     string `json:"from"`               // HH:MM
	Until    string `json:"until"`              // HH:MM, exclusive; 24:00 = midnight
}

// BrightnessWindow is a fixed brightness level within a window.
type BrightnessWindow struct {
	Window
	Percent int `json:"percent"` // 0–100 of the panel's full level
}

// DayNight is a brightness level by day and another by night, switched at
// sunrise and sunset computed from the plan's Site and the date.
type DayNight struct {
	Day   int `json:"day"`   // percent, sunrise to sunset
	Night int `json:"night"` // percent, sunset to sunrise
}

// Daypart is one daily window of an entry: [From, Until) in the plan's
// zone; Until ≤ From crosses midnight.
type Daypart struct {
	From  string `json:"from"`  // HH:MM
	Until string `json:"until"` // HH:MM, exclusive; 24:00 = midnight
}

// Fallbacks.
const (
	FallbackBlack     = "black"
	FallbackLastFrame = "last_frame"
	FallbackIdleCard  = "idle_card"
)

// Entry schedules a playlist: on which dates, weekdays and hours, and with
// which priority. Where entries overlap, the highest priority wins; entries
// of equal priority open at the same instant share it by weight, loop by
// loop (share of voice), in an order every evaluator agrees on.
type Entry struct {
	ID       int64 `json:"id"`
	Playlist int64 `json:"playlist"`
	Priority int   `json:"priority"`
	// Weight is the entry's share among equal-priority entries open at
	// once: 2 against 1 plays two loops of this rotation for one of the
	// other, interleaved. 0 means 1 (schema 2 for any other value).
	Weight    int    `json:"weight,omitempty"`
	StartDate string `json:"start_date,omitempty"` // YYYY-MM-DD, inclusive; empty: no start
	EndDate   string `json:"end_date,omitempty"`   // YYYY-MM-DD, inclusive; empty: no end
	Weekdays  []int  `json:"weekdays,omitempty"`   // ISO: 1 = Monday … 7 = Sunday; empty: every day
	From      string `json:"from,omitempty"`       // HH:MM daypart start; empty: 00:00
	Until     string `json:"until,omitempty"`      // HH:MM daypart end, exclusive; empty: 24:00
	// Dayparts lists several daily windows (schema 2); with it, From and
	// Until stay empty. A window that crosses midnight belongs to the day
	// it opens on (its weekday and dates).
	Dayparts []Daypart `json:"dayparts,omitempty"`
	// NotBefore and NotAfter bound the entry to an interval of instants (an
	// urgent notice: from when it is sent until it expires). The rotation
	// is then anchored at NotBefore.
	NotBefore *time.Time `json:"not_before,omitempty"`
	NotAfter  *time.Time `json:"not_after,omitempty"`
	// Wake lights the screen while the entry is open even where the power
	// windows have it off: an urgent notice at night (schema 2). It needs
	// NotBefore and NotAfter and no daily windows.
	Wake bool `json:"wake,omitempty"`
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
	// NotBefore and NotAfter bound when the item may play (its media's
	// validity and its campaign's dates); outside them the rotation plays
	// as if the item were not in it (schema 2).
	NotBefore *time.Time `json:"not_before,omitempty"`
	NotAfter  *time.Time `json:"not_after,omitempty"`
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
	// Needs lists the assets a program's media windows show (AssetProgram
	// only, schema 3): the program plays only when all are at hand.
	Needs []string `json:"needs,omitempty"`
}

// Asset kinds.
const (
	AssetImage = "image"
	AssetVideo = "video"
	// AssetProgram is a Program as JSON: its media windows name assets of
	// the plan, fitted to the windows (schema 3).
	AssetProgram = "program"
)

var (
	sha256Re = regexp.MustCompile(`^[0-9a-f]{64}$`)
	hhmmRe   = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$`)
)

// Validate checks a plan before an agent accepts it: a plan that fails keeps
// the agent on the plan it has.
func (p *Plan) Validate() error {
	if p.Schema < MinPlanSchema || p.Schema > PlanSchema {
		return &SchemaError{Schema: p.Schema}
	}
	if need := p.NeededSchema(); need > p.Schema {
		return fmt.Errorf("plan says schema %d but uses what schema %d added", p.Schema, need)
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
		if a.Kind != AssetImage && a.Kind != AssetVideo && a.Kind != AssetProgram {
			return fmt.Errorf("asset %s: kind %q must be %s, %s or %s", a.SHA256[:12], a.Kind, AssetImage, AssetVideo, AssetProgram)
		}
		if len(a.Needs) > 0 && a.Kind != AssetProgram {
			return fmt.Errorf("asset %s: only a program needs other assets", a.SHA256[:12])
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
	kinds := make(map[string]string, len(p.Assets))
	for _, a := range p.Assets {
		kinds[a.SHA256] = a.Kind
	}
	for _, a := range p.Assets {
		for _, n := range a.Needs {
			if !assets[n] {
				return fmt.Errorf("program %s needs asset %q, which the plan does not list", a.SHA256[:12], n)
			}
			if kinds[n] == AssetProgram { // and so no program needs itself, nor one that needs it
				return fmt.Errorf("program %s needs program %s; a window shows an image or a video", a.SHA256[:12], n[:12])
			}
		}
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
			if it.NotBefore != nil && it.NotAfter != nil && !it.NotAfter.After(*it.NotBefore) {
				return fmt.Errorf("playlist %d item %d: not_after must be after not_before", pl.ID, it.ID)
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
		if len(e.Dayparts) > 0 && (e.From != "" || e.Until != "") {
			return fmt.Errorf("schedule entry %d: give dayparts or from/until, not both", e.ID)
		}
		if len(e.Dayparts) > MaxDayparts {
			return fmt.Errorf("schedule entry %d: %d dayparts; at most %d", e.ID, len(e.Dayparts), MaxDayparts)
		}
		for _, dp := range e.Dayparts {
			if !hhmmRe.MatchString(dp.From) || !hhmmRe.MatchString(dp.Until) || dp.From == "24:00" {
				return fmt.Errorf("schedule entry %d: daypart %q–%q is not HH:MM–HH:MM", e.ID, dp.From, dp.Until)
			}
			if dp.From == dp.Until {
				return fmt.Errorf("schedule entry %d: daypart %s–%s is empty", e.ID, dp.From, dp.Until)
			}
		}
		if e.Wake && (e.NotBefore == nil || e.NotAfter == nil || e.From != "" || e.Until != "" || len(e.Dayparts) > 0) {
			return fmt.Errorf("schedule entry %d: a waking entry needs not_before and not_after, and no daily windows", e.ID)
		}
		if e.Weight < 0 || e.Weight > MaxWeight {
			return fmt.Errorf("schedule entry %d: weight %d must be 1–%d (0 means 1)", e.ID, e.Weight, MaxWeight)
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
	return p.validateDevice()
}

// validateDevice checks the site, power and brightness rules.
func (p *Plan) validateDevice() error {
	if s := p.Site; s != nil {
		if !(s.Latitude >= -90 && s.Latitude <= 90) || !(s.Longitude >= -180 && s.Longitude <= 180) {
			return fmt.Errorf("site %v, %v is not a latitude −90…90 and longitude −180…180", s.Latitude, s.Longitude)
		}
	}
	checkWindow := func(what string, w Window) error {
		if !hhmmRe.MatchString(w.From) || !hhmmRe.MatchString(w.Until) || w.From == "24:00" || w.From == w.Until {
			return fmt.Errorf("%s window %q–%q is not HH:MM–HH:MM (and not empty)", what, w.From, w.Until)
		}
		for _, wd := range w.Weekdays {
			if wd < 1 || wd > 7 {
				return fmt.Errorf("%s window: weekday %d is not 1 (Monday) to 7 (Sunday)", what, wd)
			}
		}
		return nil
	}
	for _, w := range p.Power {
		if err := checkWindow("power", w); err != nil {
			return err
		}
	}
	for _, b := range p.Brightness {
		if err := checkWindow("brightness", b.Window); err != nil {
			return err
		}
		if b.Percent < 0 || b.Percent > 100 {
			return fmt.Errorf("brightness window %s–%s: %d %% is not 0–100", b.From, b.Until, b.Percent)
		}
	}
	if dn := p.DayNight; dn != nil {
		if p.Site == nil {
			return errors.New("day/night brightness needs the display's site (latitude and longitude)")
		}
		if dn.Day < 0 || dn.Day > 100 || dn.Night < 0 || dn.Night > 100 {
			return fmt.Errorf("day/night brightness %d/%d %% must be 0–100", dn.Day, dn.Night)
		}
	}
	return nil
}

// Bounds of schema 2's rules.
const (
	MaxDayparts = 8   // dayparts per entry
	MaxWeight   = 100 // share of voice
)

// NeededSchema is the oldest schema that can say what p says.
func (p *Plan) NeededSchema() int {
	for _, a := range p.Assets {
		if a.Kind == AssetProgram {
			return 3
		}
	}
	if p.Site != nil || len(p.Power) > 0 || len(p.Brightness) > 0 || p.DayNight != nil {
		return 2
	}
	for i, e := range p.Entries {
		if len(e.Dayparts) > 0 || (e.Weight != 0 && e.Weight != 1) || e.Wake {
			return 2
		}
		for _, f := range p.Entries[i+1:] {
			if mayShare(e, f) {
				return 2
			}
		}
	}
	for _, pl := range p.Playlists {
		for _, it := range pl.Items {
			if it.NotBefore != nil || it.NotAfter != nil {
				return 2
			}
		}
	}
	return 1
}

// mayShare reports whether two entries of equal priority may be open at
// once: schema 1 agents gave such an overlap to the lower id alone, schema
// 2 agents share it by weight, so the plan must say schema 2. Dates and
// intervals are compared (a day of slack for windows across midnight);
// weekdays and times of day are not, which errs towards schema 2.
func mayShare(a, b Entry) bool {
	if a.Priority != b.Priority {
		return false
	}
	before := func(end, start string) bool { // end's day (and the night after) is before start's day
		e, err1 := time.Parse(time.DateOnly, end)
		s, err2 := time.Parse(time.DateOnly, start)
		return err1 == nil && err2 == nil && e.AddDate(0, 0, 1).Before(s)
	}
	if before(a.EndDate, b.StartDate) || before(b.EndDate, a.StartDate) {
		return false
	}
	ends := func(x, y Entry) bool {
		return x.NotAfter != nil && y.NotBefore != nil && !x.NotAfter.After(*y.NotBefore)
	}
	return !ends(a, b) && !ends(b, a)
}

// SchemaError is a plan of a schema this build does not read: the agent
// keeps the plan it has and reports this in its health until updated.
type SchemaError struct{ Schema int }

func (e *SchemaError) Error() string {
	return fmt.Sprintf("plan schema %d is not supported (this build reads schemas %d–%d); update the agent", e.Schema, MinPlanSchema, PlanSchema)
}
