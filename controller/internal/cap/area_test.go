package cap

import (
	"math"
	"testing"
)

var (
	hanoi     = Point{21.0285, 105.8542}
	danang    = Point{16.0544, 108.2022}
	hoian     = Point{15.8801, 108.3380} // 25 km south-east of Đà Nẵng
	hue       = Point{16.4637, 107.5909} // 80 km north-west of Đà Nẵng
	hoChiMinh = Point{10.7769, 106.7009}
)

// Around Hà Nội's centre, and a concave "L" so that the even-odd rule is
// exercised on a notch.
var (
	hanoiBox = Polygon{{20.95, 105.75}, {21.10, 105.75}, {21.10, 105.95}, {20.95, 105.95}, {20.95, 105.75}}
	ell      = Polygon{{15.0, 107.0}, {17.0, 107.0}, {17.0, 108.0}, {16.0, 108.0}, {16.0, 109.0}, {15.0, 109.0}, {15.0, 107.0}}
)

func TestPolygonContains(t *testing.T) {
	tests := []struct {
		name string
		p    Polygon
		pt   Point
		in   bool
	}{
		{"Hà Nội in its box", hanoiBox, hanoi, true},
		{"Đà Nẵng not in Hà Nội's box", hanoiBox, danang, false},
		{"just west of the box", hanoiBox, Point{21.0285, 105.7499}, false},
		{"just inside the box", hanoiBox, Point{21.0285, 105.7501}, true},
		{"Đà Nẵng in the L's notch", ell, danang, false}, // 16.05,108.20: above the foot, right of the stem
		{"Hội An in the L's foot", ell, hoian, true},
		{"Huế in the L's stem", ell, hue, true},
		{"Hồ Chí Minh City outside", ell, hoChiMinh, false},
	}
	for _, tt := range tests {
		if got := tt.p.Contains(tt.pt); got != tt.in {
			t.Errorf("%s: Contains = %v", tt.name, got)
		}
	}
}

func TestCircleContains(t *testing.T) {
	c := Circle{Center: danang, RadiusKm: 50}
	tests := []struct {
		name string
		pt   Point
		in   bool
	}{
		{"centre", danang, true},
		{"Hội An, ~25 km", hoian, true},
		{"Huế, ~80 km", hue, false},
		{"Hà Nội", hanoi, false},
	}
	for _, tt := range tests {
		if got := c.Contains(tt.pt); got != tt.in {
			t.Errorf("%s: Contains = %v (%.1f km)", tt.name, got, Distance(c.Center, tt.pt))
		}
	}
	// Hà Nội – Đà Nẵng is about 606 km as the crow flies.
	if d := Distance(hanoi, danang); math.Abs(d-606) > 10 {
		t.Errorf("Hà Nội – Đà Nẵng %.1f km", d)
	}
	if (Circle{Center: danang}).Contains(hoian) || !(Circle{Center: danang}).Contains(danang) {
		t.Error("a zero-radius circle is its centre alone")
	}
}

func TestMatcher(t *testing.T) {
	storm := parseFixture(t, "storm.xml")
	vi := &PickInfo(storm).Areas[0]
	en := &PickInfo(storm, "en").Areas[0]
	words := &Area{Desc: "Các tỉnh từ Quảng Trị đến Quảng Ngãi, thành phố Đà Nẵng"}
	tests := []struct {
		name string
		m    Matcher
		a    *Area
		want bool
	}{
		{"screen in Đà Nẵng, polygon and circle", Matcher{Points: []Point{danang}}, vi, true},
		{"screen in Hội An, polygon", Matcher{Points: []Point{hanoi, hoian}}, vi, true},
		{"screens in Hà Nội", Matcher{Points: []Point{hanoi}}, vi, false},
		{"geocode", Matcher{Geocodes: []Geocode{{"PROVINCE", " 48 "}}}, vi, true},
		{"other geocode", Matcher{Geocodes: []Geocode{{"province", "01"}}}, vi, false},
		{"geocode under another name", Matcher{Geocodes: []Geocode{{"district", "48"}}}, vi, false},
		{"name with diacritics", Matcher{Names: []string{"Đà Nẵng"}}, vi, true},
		{"name without diacritics in Vietnamese", Matcher{Names: []string{"da nang"}}, vi, true},
		{"Vietnamese name in the English block", Matcher{Names: []string{"Đà Nẵng"}}, en, true},
		{"decomposed (NFD) name", Matcher{Names: []string{"Qua\u0309ng Nam"}}, vi, true},
		{"name in a list", Matcher{Names: []string{"Quảng Ngãi"}}, words, true},
		{"other name", Matcher{Names: []string{"Hà Nội"}}, vi, false},
		{"part of a word is no match", Matcher{Names: []string{"Nan"}}, vi, false},
		{"Quảng alone matches the word", Matcher{Names: []string{"Quảng"}}, words, true},
		{"Quảng Nam is not Quảng Ngãi", Matcher{Names: []string{"Quảng Nam"}}, words, false},
		{"blank name", Matcher{Names: []string{" , "}}, words, false},
		{"nothing configured", Matcher{}, vi, false},
		{"points against a described-only area", Matcher{Points: []Point{danang}}, words, false},
	}
	for _, tt := range tests {
		if got := tt.m.Match(tt.a); got != tt.want {
			t.Errorf("%s: Match = %v", tt.name, got)
		}
	}
	hn := Matcher{Names: []string{"Hà Nội"}, Points: []Point{hanoi}}
	dn := Matcher{Names: []string{"Đà Nẵng"}}
	if hn.MatchInfo(PickInfo(storm)) || !dn.MatchInfo(PickInfo(storm)) || dn.MatchInfo(nil) {
		t.Error("MatchInfo")
	}
}

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"Thành phố Đà Nẵng":    "thanh pho da nang",
		"HÀ NỘI":               "ha noi",
		"Thu\u0300a Thiên Huế": "thua thien hue",
		"Phường Ba Đình, Q. 1": "phuong ba dinh, q. 1",
		"Bà Rịa – Vũng Tàu":    "ba ria – vung tau",
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}
