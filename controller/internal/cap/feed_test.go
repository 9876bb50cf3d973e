package cap

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseAtomFeed(t *testing.T) {
	f, err := ParseFeed(bytes.NewReader(fixture(t, "feed-atom.xml")), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if f.Kind != KindAtom || len(f.Entries) != 3 {
		t.Fatalf("%s feed of %d entries", f.Kind, len(f.Entries))
	}
	flood, storm, heat := f.Entries[0], f.Entries[1], f.Entries[2]
	if flood.ID != "urn:example:flood-hn-1" || !flood.Updated.Equal(time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)) {
		t.Errorf("flood entry id %q updated %v", flood.ID, flood.Updated)
	}
	// Prefixed (cap:alert, namespace declared on the feed) and default-namespace embeddings.
	if flood.Alert == nil || flood.Alert.Identifier != "VN-FLOOD-HN-001" || flood.Link != "" || flood.Err != nil {
		t.Fatalf("flood entry: %+v", flood)
	}
	if in := PickInfo(flood.Alert); in == nil || len(in.Categories) != 2 || in.Areas[0].Geocodes[0].Value != "01" {
		t.Errorf("flood info: %+v", in)
	}
	if storm.Alert == nil || storm.Alert.Identifier != "VN-STORM-2026-11-30-001" || storm.Err != nil {
		t.Fatalf("storm entry: %+v", storm)
	}
	if in := PickInfo(storm.Alert); in.Language != "en-US" {
		t.Errorf("info without <language> is %q, want en-US", in.Language)
	}
	// The linked entry: its CAP link, not the HTML page.
	if heat.Alert != nil || heat.Err != nil || heat.Link != "https://canhbao.example.vn/cap/heat-1.xml" || heat.ID != "urn:example:heat-1" || heat.Updated.IsZero() {
		t.Errorf("linked entry: %+v", heat)
	}
}

func TestParseRSSFeed(t *testing.T) {
	f, err := Parse(bytes.NewReader(fixture(t, "feed-rss.xml")), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if f.Kind != KindRSS || len(f.Entries) != 2 {
		t.Fatalf("%s feed of %d entries", f.Kind, len(f.Entries))
	}
	linked, cancel := f.Entries[0], f.Entries[1]
	if linked.Alert != nil || linked.Link != "https://canhbao.example.vn/cap/storm-1.xml" || linked.ID != linked.Link ||
		!linked.Updated.Equal(time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC)) {
		t.Errorf("linked item: %+v", linked)
	}
	if cancel.Alert == nil || cancel.Alert.MsgType != MsgCancel || cancel.Link != "" || cancel.Err != nil {
		t.Fatalf("embedded item: %+v", cancel)
	}
	if cancel.ID != "https://canhbao.example.vn/cap/storm-3.xml" || cancel.Updated.IsZero() {
		t.Errorf("item without guid: id %q updated %v", cancel.ID, cancel.Updated)
	}
}

func TestParseSingleAlertAsFeed(t *testing.T) {
	f, err := Parse(bytes.NewReader(fixture(t, "storm.xml")), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if f.Kind != KindAlert || len(f.Entries) != 1 || f.Entries[0].Alert == nil ||
		f.Entries[0].ID != "VN-STORM-2026-11-30-001" || f.Entries[0].Updated.IsZero() {
		t.Fatalf("%+v", f)
	}
	if _, err := ParseFeed(bytes.NewReader(fixture(t, "storm.xml")), Options{}); !errors.Is(err, ErrRoot) {
		t.Errorf("ParseFeed of a bare alert: %v", err)
	}
}

const atomHead = `<feed xmlns="http://www.w3.org/2005/Atom">`

// TestFeedEntryRefusals: one bad entry is refused on its own, the rest of
// the feed still counts.
func TestFeedEntryRefusals(t *testing.T) {
	good := `<entry><id>good</id><link href="https://x.example/a.xml"/></entry>`
	cap11 := strings.Replace(string(fixture(t, "bad-cap11.xml")), `<?xml version="1.0" encoding="UTF-8"?>`, "", 1)
	sev := strings.Replace(string(fixture(t, "bad-severity.xml")), `<?xml version="1.0" encoding="UTF-8"?>`, "", 1)
	tests := []struct {
		name  string
		entry string
		want  *Error
	}{
		{"CAP 1.1 embedded", `<entry><id>bad</id><content type="text/xml">` + cap11 + `</content></entry>`, ErrNamespace},
		{"bad severity embedded", `<entry><id>bad</id><content type="text/xml">` + sev + `</content></entry>`, &Error{Code: CodeBadValue, Field: "info.severity"}},
		{"no alert, no link", `<entry><id>bad</id><title>nothing</title></entry>`, &Error{Code: CodeMissing, Field: "link"}},
		{"file link", `<entry><id>bad</id><link href="file:///etc/passwd"/></entry>`, &Error{Code: CodeBadValue, Field: "link"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := atomHead + good + tt.entry + good + `</feed>`
			f, err := Parse(strings.NewReader(doc), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Entries) != 3 || f.Entries[0].Link == "" || f.Entries[2].Link == "" {
				t.Fatalf("entries: %+v", f.Entries)
			}
			bad := f.Entries[1]
			if bad.ID != "bad" || bad.Alert != nil || !errors.Is(bad.Err, tt.want) {
				t.Errorf("entry %+v, want error %s %q", bad, tt.want.Code, tt.want.Field)
			}
		})
	}
}

func TestFeedRefusals(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want *Error
	}{
		{"Atom in another namespace", `<feed xmlns="http://purl.org/atom/ns#"><entry/></feed>`, ErrNamespace},
		{"RSS 0.91", `<rss version="0.91"><channel/></rss>`, ErrRoot},
		{"HTML", `<html><body>Not found</body></html>`, ErrRoot},
		{"doctype", `<!DOCTYPE feed [<!ENTITY a "b">]>` + atomHead + `</feed>`, ErrDoctype},
		{"unclosed entry", atomHead + `<entry><id>x</id></feed>`, ErrMalformed},
		{"too deep", atomHead + strings.Repeat("<x>", 20) + strings.Repeat("</x>", 20) + `</feed>`, ErrTooDeep},
		{"CAP 1.1 alert", string(fixture(t, "bad-cap11.xml")), ErrNamespace},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse(strings.NewReader(tt.doc), Options{})
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %+v, %v; want %s", f, err, tt.want.Code)
			}
			t.Log(err)
		})
	}
}

func TestEntryResolve(t *testing.T) {
	tests := []struct {
		link, feed, want string
		err              bool
	}{
		{"https://a.example/cap/1.xml", "https://feeds.example/atom", "https://a.example/cap/1.xml", false},
		{"cap/1.xml", "https://feeds.example/vn/atom.xml", "https://feeds.example/vn/cap/1.xml", false},
		{"/cap/1.xml", "http://feeds.example/vn/atom.xml", "http://feeds.example/cap/1.xml", false},
		{"//other.example/1.xml", "https://feeds.example/atom", "https://other.example/1.xml", false},
		{"cap/1.xml", "file:///srv/atom.xml", "", true},
		{"cap/1.xml", "atom.xml", "", true},
		{"", "https://feeds.example/atom", "", true},
	}
	for _, tt := range tests {
		e := Entry{Link: tt.link}
		got, err := e.Resolve(tt.feed)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("Resolve(%q against %q) = %q, %v", tt.link, tt.feed, got, err)
		}
	}
}
