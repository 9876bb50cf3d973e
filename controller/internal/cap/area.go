package cap

import (
	"math"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Contains is true when pt lies inside the ring (even-odd rule on the
// lat/lon plane, good for areas of a country's size that do not cross the
// antimeridian; a point exactly on an edge may fall either way).
func (p Polygon) Contains(pt Point) bool {
	in := false
	for i, j := 0, len(p)-1; i < len(p); j, i = i, i+1 {
		a, b := p[i], p[j]
		if (a.Lat > pt.Lat) != (b.Lat > pt.Lat) &&
			pt.Lon < (b.Lon-a.Lon)*(pt.Lat-a.Lat)/(b.Lat-a.Lat)+a.Lon {
			in = !in
		}
	}
	return in
}

// earthRadiusKm is the mean radius of the WGS 84 ellipsoid.
const earthRadiusKm = 6371.0088

// Distance is the great-circle distance from p to q in kilometres.
func Distance(p, q Point) float64 {
	rad := math.Pi / 180
	dLat := (q.Lat - p.Lat) * rad
	dLon := (q.Lon - p.Lon) * rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) +
		math.Cos(p.Lat*rad)*math.Cos(q.Lat*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthRadiusKm * math.Asin(math.Min(1, math.Sqrt(h)))
}

// Contains is true when pt is within the circle (boundary included).
func (c Circle) Contains(pt Point) bool { return Distance(c.Center, pt) <= c.RadiusKm }

// Contains is true when pt lies in any polygon or circle of the area. An
// area described only by words or geocodes contains no point.
func (a *Area) Contains(pt Point) bool {
	for _, p := range a.Polygons {
		if p.Contains(pt) {
			return true
		}
	}
	for _, c := range a.Circles {
		if c.Contains(pt) {
			return true
		}
	}
	return false
}

// Matcher says whether an alert's area concerns one target (a group of
// screens): by the coordinates of its displays, by geocodes, or by place
// names compared with <areaDesc>.
type Matcher struct {
	Points   []Point   // where the target's screens are
	Geocodes []Geocode // e.g. {Name: "province", Value: "01"}; names compare case-insensitively, values exactly
	Names    []string  // place names, e.g. "Hà Nội", "Phường Ba Đình"
}

// Match is true when any of the target's points lies in the area, any of
// its geocodes is one of the area's, or any of its names appears in the
// area's description as whole words, ignoring case and Vietnamese
// diacritics ("Ha Noi" matches "Thành phố Hà Nội; Hải Phòng").
func (m *Matcher) Match(a *Area) bool {
	for _, pt := range m.Points {
		if a.Contains(pt) {
			return true
		}
	}
	for _, want := range m.Geocodes {
		for _, g := range a.Geocodes {
			if strings.EqualFold(strings.TrimSpace(want.Name), g.Name) && strings.TrimSpace(want.Value) == g.Value {
				return true
			}
		}
	}
	if len(m.Names) > 0 {
		desc := words(a.Desc)
		for _, n := range m.Names {
			if w := words(n); len(w) > 0 && containsRun(desc, w) {
				return true
			}
		}
	}
	return false
}

// MatchInfo is true when any area of info matches.
func (m *Matcher) MatchInfo(info *Info) bool {
	if info == nil {
		return false
	}
	for i := range info.Areas {
		if m.Match(&info.Areas[i]) {
			return true
		}
	}
	return false
}

// Fold makes s comparable regardless of case, Unicode normalization and
// diacritics: "Thành phố Đà Nẵng" → "thanh pho da nang".
func Fold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == 'đ' || r == 'Đ':
			r = 'd' // a letter of its own, not d with a mark: NFD leaves it whole
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// words splits the folded s into runs of letters and digits.
func words(s string) []string {
	return strings.FieldsFunc(Fold(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
}

// containsRun is true when want appears in have as consecutive words.
func containsRun(have, want []string) bool {
	for i := 0; i+len(want) <= len(have); i++ {
		ok := true
		for j := range want {
			if have[i+j] != want[j] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}
