package cap

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Namespace is the XML namespace of CAP 1.2 alerts, the only version parsed.
const Namespace = "urn:oasis:names:tc:emergency:cap:1.2"

const namespace10 = "http://www.incident.com/cap/1.0"

// TimeLayout is CAP's dateTime (§3.3.2): local time with an explicit
// offset; "Z" and other letters are not allowed.
const TimeLayout = "2006-01-02T15:04:05-07:00"

// Status is <status>: who the alert is for.
type Status string

// Values of Status.
const (
	StatusActual   Status = "Actual"
	StatusExercise Status = "Exercise"
	StatusSystem   Status = "System"
	StatusTest     Status = "Test"
	StatusDraft    Status = "Draft"
)

// MsgType is <msgType>.
type MsgType string

// Values of MsgType.
const (
	MsgAlert  MsgType = "Alert"
	MsgUpdate MsgType = "Update" // replaces the alerts in References
	MsgCancel MsgType = "Cancel" // ends the alerts in References
	MsgAck    MsgType = "Ack"
	MsgError  MsgType = "Error"
)

// Scope is <scope>.
type Scope string

// Values of Scope.
const (
	ScopePublic     Scope = "Public"
	ScopeRestricted Scope = "Restricted"
	ScopePrivate    Scope = "Private"
)

// Alert is a CAP 1.2 <alert>, checked: every required element present,
// every enumeration and time valid.
type Alert struct {
	Identifier string
	Sender     string
	Sent       time.Time
	Status     Status
	MsgType    MsgType
	Scope      Scope
	Note       string
	References []Reference // the earlier alerts an Update replaces or a Cancel ends
	Infos      []Info      // may be empty (a Cancel often has none)
}

// Ref is the alert as another alert's <references> names it.
func (a *Alert) Ref() Reference {
	return Reference{Sender: a.Sender, Identifier: a.Identifier, Sent: a.Sent}
}

// Reference names an earlier alert: "sender,identifier,sent" in <references>.
type Reference struct {
	Sender     string
	Identifier string
	Sent       time.Time
}

// Key identifies the referenced alert: CAP makes an identifier unique per
// sender, so sender and identifier are enough to find it in a store.
func (r Reference) Key() string { return r.Sender + "," + r.Identifier }

// String is the reference in CAP's own form.
func (r Reference) String() string {
	return r.Sender + "," + r.Identifier + "," + r.Sent.Format(TimeLayout)
}

// Info is one <info> block: the alert in one language.
type Info struct {
	Language    string // RFC 3066 tag, "en-US" when absent (§3.2.2)
	Categories  []string
	Event       string
	Urgency     Urgency
	Severity    Severity
	Certainty   Certainty
	Effective   time.Time // zero when absent (then: Sent)
	Onset       time.Time // zero when absent
	Expires     time.Time // zero when absent (then: no expiry given)
	SenderName  string
	Headline    string
	Description string
	Instruction string
	Areas       []Area
}

// Area is one <area>: a description and any of polygons, circles, geocodes.
type Area struct {
	Desc     string
	Polygons []Polygon
	Circles  []Circle
	Geocodes []Geocode
}

// Point is a WGS 84 position in degrees.
type Point struct{ Lat, Lon float64 }

// Polygon is a closed ring: the first and last points are the same.
type Polygon []Point

// Circle is a centre and a radius in kilometres.
type Circle struct {
	Center   Point
	RadiusKm float64
}

// Geocode is one <geocode> valueName/value pair (e.g. a province code).
type Geocode struct{ Name, Value string }

// The XML as written, every element a slice so that repeated single
// elements can be refused rather than silently overwritten.
type rawAlert struct {
	Identifier []string  `xml:"urn:oasis:names:tc:emergency:cap:1.2 identifier"`
	Sender     []string  `xml:"urn:oasis:names:tc:emergency:cap:1.2 sender"`
	Sent       []string  `xml:"urn:oasis:names:tc:emergency:cap:1.2 sent"`
	Status     []string  `xml:"urn:oasis:names:tc:emergency:cap:1.2 status"`
	MsgType    []string  `xml:"urn:oasis:names:tc:emergency:cap:1.2 msgType"`
	Scope      []string  `xml:"urn:oasis:names:tc:emergency:cap:1.2 scope"`
	Note       []string  `xml:"urn:oasis:names:tc:emergency:cap:1.2 note"`
	References []string  `xml:"urn:oasis:names:tc:emergency:cap:1.2 references"`
	Infos      []rawInfo `xml:"urn:oasis:names:tc:emergency:cap:1.2 info"`
}

type rawInfo struct {
	Language    []string  `xml:"urn:oasis:names:tc:emergency:cap:1.2 language"`
	Category    []string  `xml:"urn:oasis:names:tc:emergency:cap:1.2 category"`
	Event       []string  `xml:"urn:oasis:names:tc:emergency:cap:1.2 event"`
	Urgency     []string  `xml:"urn:oasis:names:tc:emergency:cap:1.2 urgency"`
	Severity    []string  `xml:"urn:oasis:names:tc:emergency:cap:1.2 severity"`
	Certainty   []string  `xml:"urn:oasis:names:tc:emergency:cap:1.2 certainty"`
	Effective   []string  `xml:"urn:oasis:names:tc:emergency:cap:1.2 effective"`
	Onset       []string  `xml:"urn:oasis:names:tc:emergency:cap:1.2 onset"`
	Expires     []string  `xml:"urn:oasis:names:tc:emergency:cap:1.2 expires"`
	SenderName  []string  `xml:"urn:oasis:names:tc:emergency:cap:1.2 senderName"`
	Headline    []string  `xml:"urn:oasis:names:tc:emergency:cap:1.2 headline"`
	Description []string  `xml:"urn:oasis:names:tc:emergency:cap:1.2 description"`
	Instruction []string  `xml:"urn:oasis:names:tc:emergency:cap:1.2 instruction"`
	Areas       []rawArea `xml:"urn:oasis:names:tc:emergency:cap:1.2 area"`
}

type rawArea struct {
	Desc     []string   `xml:"urn:oasis:names:tc:emergency:cap:1.2 areaDesc"`
	Polygons []string   `xml:"urn:oasis:names:tc:emergency:cap:1.2 polygon"`
	Circles  []string   `xml:"urn:oasis:names:tc:emergency:cap:1.2 circle"`
	Geocodes []rawValue `xml:"urn:oasis:names:tc:emergency:cap:1.2 geocode"`
}

type rawValue struct {
	Name  []string `xml:"urn:oasis:names:tc:emergency:cap:1.2 valueName"`
	Value []string `xml:"urn:oasis:names:tc:emergency:cap:1.2 value"`
}

// ParseAlert reads one CAP 1.2 alert document from r, at most opts.Limit
// bytes, and checks it. Every refusal is an *Error.
func ParseAlert(r io.Reader, opts Options) (*Alert, error) {
	d, root, err := open(r, opts)
	if err != nil {
		return nil, err
	}
	if err := checkAlertRoot(root); err != nil {
		return nil, err
	}
	return decodeAlert(d, root)
}

func checkAlertRoot(se xml.StartElement) error {
	switch {
	case se.Name.Local == "alert" && se.Name.Space == Namespace:
		return nil
	case se.Name.Local == "alert" && isCAPNamespace(se.Name.Space):
		return &Error{Code: CodeNamespace, Value: se.Name.Space,
			Msg: fmt.Sprintf("alert is in namespace %q; only CAP 1.2 (%s) is supported", se.Name.Space, Namespace)}
	case se.Name.Local == "alert":
		return &Error{Code: CodeNamespace, Value: se.Name.Space,
			Msg: fmt.Sprintf("alert is in namespace %q, not CAP 1.2 (%s)", se.Name.Space, Namespace)}
	}
	return &Error{Code: CodeRoot, Value: se.Name.Local,
		Msg: fmt.Sprintf("root element is <%s>, not a CAP <alert>", se.Name.Local)}
}

// decodeAlert decodes the alert element se (already checked to be a CAP
// 1.2 alert) and checks it.
func decodeAlert(d *xml.Decoder, se xml.StartElement) (*Alert, error) {
	var raw rawAlert
	if err := d.DecodeElement(&raw, &se); err != nil {
		return nil, malformed(err)
	}
	return raw.check()
}

// one is the single value of an element that may appear at most once.
func one(where, field string, v []string, required bool) (string, error) {
	if len(v) > 1 {
		return "", &Error{Code: CodeBadValue, Field: field, Msg: fmt.Sprintf("%s: <%s> appears %d times", where, last(field), len(v))}
	}
	s := ""
	if len(v) == 1 {
		s = strings.TrimSpace(v[0])
	}
	if s == "" && required {
		return "", missing(where, field)
	}
	return s, nil
}

func enum[T ~string](where, field, s string, allowed ...T) (T, error) {
	for _, a := range allowed {
		if string(a) == s {
			return a, nil
		}
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	return "", badValue(where, field, s, "want one of "+strings.Join(names, ", "))
}

func parseTime(where, field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(TimeLayout, s)
	if err != nil || len(s) != len(TimeLayout) {
		return time.Time{}, badValue(where, field, s, "want a CAP dateTime with an offset, e.g. 2026-11-30T08:00:00+07:00")
	}
	return t, nil
}

// checkID follows §3.2.1: identifier and sender have no spaces, commas or
// restricted characters.
func checkID(where, field, s string) error {
	if strings.ContainsAny(s, " \t\r\n,<&") {
		return badValue(where, field, s, "must not contain spaces, commas, < or &")
	}
	return nil
}

func (raw *rawAlert) check() (*Alert, error) {
	const where = "alert"
	var a Alert
	var err error
	get := func(field string, v []string, required bool) string {
		if err != nil {
			return ""
		}
		var s string
		s, err = one(where, field, v, required)
		return s
	}
	a.Identifier = get("identifier", raw.Identifier, true)
	a.Sender = get("sender", raw.Sender, true)
	sent := get("sent", raw.Sent, true)
	status := get("status", raw.Status, true)
	msgType := get("msgType", raw.MsgType, true)
	scope := get("scope", raw.Scope, true)
	a.Note = get("note", raw.Note, false)
	refs := get("references", raw.References, false)
	if err != nil {
		return nil, err
	}
	if err := checkID(where, "identifier", a.Identifier); err != nil {
		return nil, err
	}
	if err := checkID(where, "sender", a.Sender); err != nil {
		return nil, err
	}
	if a.Sent, err = parseTime(where, "sent", sent); err != nil {
		return nil, err
	}
	if a.Status, err = enum(where, "status", status, StatusActual, StatusExercise, StatusSystem, StatusTest, StatusDraft); err != nil {
		return nil, err
	}
	if a.MsgType, err = enum(where, "msgType", msgType, MsgAlert, MsgUpdate, MsgCancel, MsgAck, MsgError); err != nil {
		return nil, err
	}
	if a.Scope, err = enum(where, "scope", scope, ScopePublic, ScopeRestricted, ScopePrivate); err != nil {
		return nil, err
	}
	for _, f := range strings.Fields(refs) {
		parts := strings.Split(f, ",")
		if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
			return nil, badValue(where, "references", f, "want sender,identifier,sent")
		}
		t, err := parseTime(where, "references", parts[2])
		if err != nil {
			return nil, err
		}
		a.References = append(a.References, Reference{Sender: parts[0], Identifier: parts[1], Sent: t})
	}
	// An Update or a Cancel that names nothing cannot replace or end anything.
	if (a.MsgType == MsgUpdate || a.MsgType == MsgCancel) && len(a.References) == 0 {
		return nil, missing("alert ("+string(a.MsgType)+")", "references")
	}
	for i := range raw.Infos {
		info, err := raw.Infos[i].check(fmt.Sprintf("info %d", i+1))
		if err != nil {
			return nil, err
		}
		a.Infos = append(a.Infos, info)
	}
	return &a, nil
}

func (raw *rawInfo) check(where string) (Info, error) {
	var in Info
	var err error
	get := func(field string, v []string, required bool) string {
		if err != nil {
			return ""
		}
		var s string
		s, err = one(where, "info."+field, v, required)
		return s
	}
	in.Language = get("language", raw.Language, false)
	in.Event = get("event", raw.Event, true)
	urgency := get("urgency", raw.Urgency, true)
	severity := get("severity", raw.Severity, true)
	certainty := get("certainty", raw.Certainty, true)
	effective := get("effective", raw.Effective, false)
	onset := get("onset", raw.Onset, false)
	expires := get("expires", raw.Expires, false)
	in.SenderName = get("senderName", raw.SenderName, false)
	in.Headline = get("headline", raw.Headline, false)
	in.Description = get("description", raw.Description, false)
	in.Instruction = get("instruction", raw.Instruction, false)
	if err != nil {
		return in, err
	}
	if in.Language == "" {
		in.Language = "en-US"
	}
	for _, c := range raw.Category {
		c, err := enum(where, "info.category", strings.TrimSpace(c),
			"Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra", "CBRNE", "Other")
		if err != nil {
			return in, err
		}
		in.Categories = append(in.Categories, c)
	}
	if len(in.Categories) == 0 {
		return in, missing(where, "info.category")
	}
	if in.Urgency, err = enum(where, "info.urgency", urgency, urgencies...); err != nil {
		return in, err
	}
	if in.Severity, err = enum(where, "info.severity", severity, severities...); err != nil {
		return in, err
	}
	if in.Certainty, err = enum(where, "info.certainty", certainty, certainties...); err != nil {
		return in, err
	}
	if in.Effective, err = parseTime(where, "info.effective", effective); err != nil {
		return in, err
	}
	if in.Onset, err = parseTime(where, "info.onset", onset); err != nil {
		return in, err
	}
	if in.Expires, err = parseTime(where, "info.expires", expires); err != nil {
		return in, err
	}
	for j := range raw.Areas {
		ar, err := raw.Areas[j].check(fmt.Sprintf("%s, area %d", where, j+1))
		if err != nil {
			return in, err
		}
		in.Areas = append(in.Areas, ar)
	}
	return in, nil
}

func (raw *rawArea) check(where string) (Area, error) {
	var ar Area
	var err error
	if ar.Desc, err = one(where, "info.area.areaDesc", raw.Desc, true); err != nil {
		return ar, err
	}
	for _, s := range raw.Polygons {
		p, err := parsePolygon(where, s)
		if err != nil {
			return ar, err
		}
		ar.Polygons = append(ar.Polygons, p)
	}
	for _, s := range raw.Circles {
		c, err := parseCircle(where, s)
		if err != nil {
			return ar, err
		}
		ar.Circles = append(ar.Circles, c)
	}
	for _, g := range raw.Geocodes {
		name, err := one(where, "info.area.geocode.valueName", g.Name, true)
		if err != nil {
			return ar, err
		}
		value, err := one(where, "info.area.geocode.value", g.Value, true)
		if err != nil {
			return ar, err
		}
		ar.Geocodes = append(ar.Geocodes, Geocode{Name: name, Value: value})
	}
	return ar, nil
}

// parsePoint reads "lat,lon" (WGS 84 degrees).
func parsePoint(s string) (Point, bool) {
	lat, lon, ok := strings.Cut(s, ",")
	if !ok {
		return Point{}, false
	}
	la, err1 := strconv.ParseFloat(lat, 64)
	lo, err2 := strconv.ParseFloat(lon, 64)
	if err1 != nil || err2 != nil || !(la >= -90 && la <= 90) || !(lo >= -180 && lo <= 180) {
		return Point{}, false
	}
	return Point{Lat: la, Lon: lo}, true
}

// parsePolygon reads §3.2.4's "lat,lon lat,lon …": at least four pairs,
// the first and the last the same.
func parsePolygon(where, s string) (Polygon, error) {
	const field = "info.area.polygon"
	f := strings.Fields(s)
	if len(f) < 4 {
		return nil, badValue(where, field, s, "want at least four lat,lon pairs")
	}
	p := make(Polygon, 0, len(f))
	for _, pair := range f {
		pt, ok := parsePoint(pair)
		if !ok {
			return nil, badValue(where, field, s, fmt.Sprintf("%q is not a lat,lon pair in degrees", pair))
		}
		p = append(p, pt)
	}
	if p[0] != p[len(p)-1] {
		return nil, badValue(where, field, s, "the first and last pairs must be the same (a closed ring)")
	}
	return p, nil
}

// parseCircle reads §3.2.4's "lat,lon radius" (radius in kilometres).
func parseCircle(where, s string) (Circle, error) {
	const field = "info.area.circle"
	f := strings.Fields(s)
	if len(f) != 2 {
		return Circle{}, badValue(where, field, s, "want lat,lon radius_km")
	}
	pt, ok := parsePoint(f[0])
	if !ok {
		return Circle{}, badValue(where, field, s, fmt.Sprintf("%q is not a lat,lon pair in degrees", f[0]))
	}
	r, err := strconv.ParseFloat(f[1], 64)
	if err != nil || !(r >= 0 && r <= 20040) { // half the Earth's circumference
		return Circle{}, badValue(where, field, s, "radius must be kilometres between 0 and 20040")
	}
	return Circle{Center: pt, RadiusKm: r}, nil
}
