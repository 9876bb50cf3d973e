package cap

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func parseFixture(t *testing.T, name string) *Alert {
	t.Helper()
	a, err := ParseAlert(bytes.NewReader(fixture(t, name)), Options{})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return a
}

var ict = time.FixedZone("+07", 7*3600)

func TestParseStorm(t *testing.T) {
	a := parseFixture(t, "storm.xml")
	if a.Identifier != "VN-STORM-2026-11-30-001" || a.Sender != "canhbao@khituong.example.vn" ||
		a.Status != StatusActual || a.MsgType != MsgAlert || a.Scope != ScopePublic {
		t.Fatalf("header: %+v", a)
	}
	if want := time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC); !a.Sent.Equal(want) {
		t.Errorf("sent %v, want %v", a.Sent, want)
	}
	if len(a.Infos) != 2 || len(a.References) != 0 {
		t.Fatalf("%d infos, %d references", len(a.Infos), len(a.References))
	}
	in := PickInfo(a)
	if in != &a.Infos[1] || in.Language != "vi-VN" {
		t.Fatalf("PickInfo chose %q, want the vi-VN block", in.Language)
	}
	if in.Event != "Bão nhiệt đới" || in.Severity != SeveritySevere || in.Urgency != UrgencyExpected ||
		in.Certainty != CertaintyLikely || in.Headline == "" || in.Description == "" || in.Instruction == "" ||
		in.SenderName == "" || len(in.Categories) != 1 || in.Categories[0] != "Met" {
		t.Errorf("vi info: %+v", in)
	}
	if want := time.Date(2026, 12, 1, 20, 0, 0, 0, ict); !in.Expires.Equal(want) {
		t.Errorf("expires %v, want %v", in.Expires, want)
	}
	if in.Onset.IsZero() || in.Effective.IsZero() {
		t.Error("onset/effective not kept")
	}
	if len(in.Areas) != 1 {
		t.Fatalf("%d areas", len(in.Areas))
	}
	ar := in.Areas[0]
	if ar.Desc != "Thành phố Đà Nẵng; tỉnh Quảng Nam" || len(ar.Polygons) != 1 || len(ar.Polygons[0]) != 5 ||
		len(ar.Circles) != 1 || ar.Circles[0] != (Circle{Point{16.0544, 108.2022}, 50}) ||
		len(ar.Geocodes) != 1 || ar.Geocodes[0] != (Geocode{"province", "48"}) {
		t.Errorf("area: %+v", ar)
	}
	if PickInfo(a, "en") != &a.Infos[0] {
		t.Error(`PickInfo(a, "en") did not choose the English block`)
	}
}

func TestParseUpdateAndCancel(t *testing.T) {
	orig := parseFixture(t, "storm.xml")
	up := parseFixture(t, "storm-update.xml")
	if up.MsgType != MsgUpdate || len(up.References) != 1 {
		t.Fatalf("update: %s with %d references", up.MsgType, len(up.References))
	}
	if r := up.References[0]; r.Key() != orig.Ref().Key() || !r.Sent.Equal(orig.Sent) {
		t.Errorf("update references %v, want %v", r, orig.Ref())
	}
	if got, want := up.References[0].String(), "canhbao@khituong.example.vn,VN-STORM-2026-11-30-001,2026-11-30T08:00:00+07:00"; got != want {
		t.Errorf("reference string %q, want %q", got, want)
	}
	if in := PickInfo(up); in == nil || in.Severity != SeverityExtreme || in.Language != "vi-VN" {
		t.Errorf("update info: %+v", in)
	}
	cancel := parseFixture(t, "storm-cancel.xml")
	if cancel.MsgType != MsgCancel || len(cancel.Infos) != 0 || PickInfo(cancel) != nil {
		t.Fatalf("cancel: %+v", cancel)
	}
	keys := []string{}
	for _, r := range cancel.References {
		keys = append(keys, r.Key())
	}
	if want := []string{orig.Ref().Key(), up.Ref().Key()}; strings.Join(keys, " ") != strings.Join(want, " ") {
		t.Errorf("cancel references %v, want %v", keys, want)
	}
}

// alertWith is storm-update.xml with one substitution, for refusals too
// small to deserve a fixture.
func alertWith(t *testing.T, old, new string) string {
	t.Helper()
	s := string(fixture(t, "storm-update.xml"))
	if !strings.Contains(s, old) {
		t.Fatalf("fixture has no %q", old)
	}
	return strings.Replace(s, old, new, 1)
}

func TestParseAlertRefusals(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		want  *Error // Code, and Field when set
		words string // in the message
	}{
		{"malformed", string(fixture(t, "bad-malformed.xml")), ErrMalformed, "line"},
		{"wrong namespace", string(fixture(t, "bad-namespace.xml")), ErrNamespace, "urn:example:not-cap"},
		{"CAP 1.1", string(fixture(t, "bad-cap11.xml")), ErrNamespace, "only CAP 1.2"},
		{"missing identifier", string(fixture(t, "bad-no-identifier.xml")), &Error{Code: CodeMissing, Field: "identifier"}, "missing <identifier>"},
		{"bad severity", string(fixture(t, "bad-severity.xml")), &Error{Code: CodeBadValue, Field: "info.severity"}, `"Catastrophic"`},
		{"doctype", string(fixture(t, "bad-doctype.xml")), ErrDoctype, "DOCTYPE"},
		{"nested junk in an alert", string(fixture(t, "bad-nested.xml")), ErrTooDeep, "nested"},
		{"junk root", string(fixture(t, "bad-junk.xml")), ErrRoot, "<junk1>"},
		{"feed is not an alert", string(fixture(t, "feed-atom.xml")), ErrRoot, "<feed>"},
		{"entity declaration without DOCTYPE", `<!ENTITY x "y"><alert xmlns="` + Namespace + `"/>`, ErrDoctype, "DTD"},
		{"undeclared entity", alertWith(t, "<scope>Public</scope>", "<scope>Public</scope><note>&x;</note>"), ErrMalformed, "entity"},
		{"two roots", alertWith(t, "</alert>", "</alert><alert/>"), ErrMalformed, "more than one root"},
		{"empty", "", ErrMalformed, "no root"},
		{"text only", "hello", ErrMalformed, ""},
		{"Latin-1", strings.Replace(alertWith(t, "UTF-8", "ISO-8859-1"), "Bão", "Bao", -1), ErrMalformed, "ISO-8859-1"},
		{"time in Z", alertWith(t, "<sent>2026-11-30T14:00:00+07:00", "<sent>2026-11-30T07:00:00Z"), &Error{Code: CodeBadValue, Field: "sent"}, "offset"},
		{"time with fractional seconds", alertWith(t, "<sent>2026-11-30T14:00:00+07:00", "<sent>2026-11-30T14:00:00.5+07:00"), &Error{Code: CodeBadValue, Field: "sent"}, ""},
		{"time without offset", alertWith(t, "<sent>2026-11-30T14:00:00+07:00", "<sent>2026-11-30T14:00:00"), &Error{Code: CodeBadValue, Field: "sent"}, ""},
		{"bad expires", alertWith(t, "2026-12-01T12:00:00+07:00", "tomorrow"), &Error{Code: CodeBadValue, Field: "info.expires"}, "info 1"},
		{"bad status", alertWith(t, "<status>Actual", "<status>Real"), &Error{Code: CodeBadValue, Field: "status"}, "Actual"},
		{"bad msgType", alertWith(t, "<msgType>Update", "<msgType>Upgrade"), &Error{Code: CodeBadValue, Field: "msgType"}, ""},
		{"bad scope", alertWith(t, "<scope>Public", "<scope>Everyone"), &Error{Code: CodeBadValue, Field: "scope"}, ""},
		{"bad category", alertWith(t, "<category>Met", "<category>Weather"), &Error{Code: CodeBadValue, Field: "info.category"}, ""},
		{"bad certainty", alertWith(t, "<certainty>Observed", "<certainty>Very Likely"), &Error{Code: CodeBadValue, Field: "info.certainty"}, ""},
		{"missing event", alertWith(t, "<event>Bão nhiệt đới</event>", ""), &Error{Code: CodeMissing, Field: "info.event"}, "info 1"},
		{"empty urgency", alertWith(t, "<urgency>Immediate</urgency>", "<urgency> </urgency>"), &Error{Code: CodeMissing, Field: "info.urgency"}, ""},
		{"missing category", alertWith(t, "<category>Met</category>", ""), &Error{Code: CodeMissing, Field: "info.category"}, ""},
		{"missing areaDesc", alertWith(t, "<areaDesc>Thành phố Đà Nẵng</areaDesc>", ""), &Error{Code: CodeMissing, Field: "info.area.areaDesc"}, "area 1"},
		{"missing sent", alertWith(t, "<sent>2026-11-30T14:00:00+07:00</sent>", ""), &Error{Code: CodeMissing, Field: "sent"}, ""},
		{"identifier twice", alertWith(t, "<identifier>", "<identifier>A</identifier><identifier>"), &Error{Code: CodeBadValue, Field: "identifier"}, "2 times"},
		{"identifier with a space", alertWith(t, "VN-STORM-2026-11-30-002", "VN STORM"), &Error{Code: CodeBadValue, Field: "identifier"}, "spaces"},
		{"update without references", alertWith(t, "<references>canhbao@khituong.example.vn,VN-STORM-2026-11-30-001,2026-11-30T08:00:00+07:00</references>", ""), &Error{Code: CodeMissing, Field: "references"}, "Update"},
		{"reference of two parts", alertWith(t, "VN-STORM-2026-11-30-001,", ""), &Error{Code: CodeBadValue, Field: "references"}, "sender,identifier,sent"},
		{"open polygon", alertWith(t, "<circle>16.0544,108.2022 40</circle>", "<polygon>15.5,107.5 17.0,107.5 17.0,109.0 15.5,109.0</polygon>"), &Error{Code: CodeBadValue, Field: "info.area.polygon"}, "closed"},
		{"short polygon", alertWith(t, "<circle>16.0544,108.2022 40</circle>", "<polygon>15.5,107.5 17.0,107.5 15.5,107.5</polygon>"), &Error{Code: CodeBadValue, Field: "info.area.polygon"}, "four"},
		{"latitude out of range", alertWith(t, "<circle>16.0544,108.2022 40</circle>", "<circle>96.0544,108.2022 40</circle>"), &Error{Code: CodeBadValue, Field: "info.area.circle"}, ""},
		{"negative radius", alertWith(t, "<circle>16.0544,108.2022 40</circle>", "<circle>16.0544,108.2022 -4</circle>"), &Error{Code: CodeBadValue, Field: "info.area.circle"}, ""},
		{"geocode without value", alertWith(t, "<circle>16.0544,108.2022 40</circle>", "<geocode><valueName>province</valueName></geocode>"), &Error{Code: CodeMissing, Field: "info.area.geocode.value"}, ""},
		{"over the limit", alertWith(t, "<scope>Public</scope>", "<scope>Public</scope><note>"+strings.Repeat("x", DefaultLimit)+"</note>"), ErrTooLarge, "1048576 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := ParseAlert(strings.NewReader(tt.doc), Options{})
			if err == nil {
				t.Fatalf("accepted: %+v", a)
			}
			t.Log(err)
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v (%#v), want code %s field %q", err, err, tt.want.Code, tt.want.Field)
			}
			if !strings.Contains(err.Error(), tt.words) {
				t.Errorf("message %q does not say %q", err, tt.words)
			}
			var e *Error
			if !errors.As(err, &e) || e.Msg == "" {
				t.Errorf("not an *Error with a message: %#v", err)
			}
		})
	}
}

func TestLimit(t *testing.T) {
	b := fixture(t, "storm.xml")
	if _, err := ParseAlert(bytes.NewReader(b), Options{Limit: int64(len(b))}); err != nil {
		t.Errorf("a document exactly at the limit: %v", err)
	}
	_, err := ParseAlert(bytes.NewReader(b), Options{Limit: int64(len(b)) - 1})
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("one byte over the limit: %v", err)
	}
	// An endless body is cut at the limit, not read to its end.
	r := &countingReader{}
	_, err = Parse(r, Options{Limit: 4096})
	if !errors.Is(err, ErrTooLarge) || r.n > 4096+32*1024 {
		t.Errorf("endless body: %v after %d bytes", err, r.n)
	}
}

// countingReader is an endless stream of "<a>".
type countingReader struct{ n int }

func (r *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = "<a>"[(r.n+i)%3]
	}
	r.n += len(p)
	return len(p), nil
}

func TestDoctypeRefusedFast(t *testing.T) {
	b := fixture(t, "bad-doctype.xml")
	start := time.Now()
	for range 100 {
		if _, err := ParseAlert(bytes.NewReader(b), Options{}); !errors.Is(err, ErrDoctype) {
			t.Fatalf("%v", err)
		}
		if _, err := Parse(bytes.NewReader(b), Options{}); !errors.Is(err, ErrDoctype) {
			t.Fatalf("Parse: %v", err)
		}
	}
	// 200 refusals of a "billion laughs" in well under a second: nothing is expanded.
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("200 refusals took %v", d)
	}
}

func FuzzParseAlert(f *testing.F) {
	names, err := filepath.Glob(filepath.Join("testdata", "*.xml"))
	if err != nil || len(names) == 0 {
		f.Fatalf("no fixtures: %v", err)
	}
	for _, n := range names {
		f.Add(fixture(f, filepath.Base(n)))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ParseAlert(bytes.NewReader(b), Options{Limit: 64 << 10})
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code == "" || e.Msg == "" {
				t.Fatalf("refusal is not a coded *Error: %#v", err)
			}
		} else if a.Identifier == "" || a.Sender == "" || a.Sent.IsZero() || a.Status == "" || a.MsgType == "" || a.Scope == "" {
			t.Fatalf("accepted an alert without a required field: %+v", a)
		} else {
			for _, in := range a.Infos {
				if in.Event == "" || len(in.Categories) == 0 || !in.Severity.Valid() || !in.Urgency.Valid() || in.Language == "" {
					t.Fatalf("accepted an info without a required field: %+v", in)
				}
			}
		}
		feed, err := Parse(bytes.NewReader(b), Options{Limit: 64 << 10})
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code == "" {
				t.Fatalf("feed refusal is not a coded *Error: %#v", err)
			}
			return
		}
		for _, e := range feed.Entries {
			if e.Alert == nil && e.Link == "" && e.Err == nil {
				t.Fatalf("entry with neither alert, link nor error: %+v", e)
			}
			var ce *Error
			if e.Err != nil && !errors.As(e.Err, &ce) {
				t.Fatalf("entry refusal is not an *Error: %#v", e.Err)
			}
		}
	})
}

// TestParseOASISExamples: the specification's own examples (Appendix A.2
// and A.3) parse, with what pano uses of them.
func TestParseOASISExamples(t *testing.T) {
	a, err := ParseAlert(bytes.NewReader(fixture(t, "oasis-a2-thunderstorm.xml")), Options{})
	if err != nil {
		t.Fatal(err)
	}
	in := a.Infos[0]
	if a.Identifier != "KSTO1055887203" || in.Severity != SeveritySevere || in.Urgency != UrgencyImmediate || in.Certainty != CertaintyObserved ||
		len(in.Areas[0].Polygons) != 1 || len(in.Areas[0].Geocodes) != 3 || in.Expires.IsZero() || in.Language != "en-US" {
		t.Fatalf("A.2: %+v", a)
	}
	u, err := ParseAlert(bytes.NewReader(fixture(t, "oasis-a3-earthquake-update.xml")), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if u.MsgType != MsgUpdate || len(u.References) != 1 || u.References[0].Identifier != "TRI13970876.1" || u.Infos[0].Areas[0].Circles[0].RadiusKm != 0 {
		t.Fatalf("A.3: %+v", u)
	}
}
