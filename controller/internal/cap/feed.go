package cap

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
)

const atomNS = "http://www.w3.org/2005/Atom"

// Kinds of document a feed URL may serve.
const (
	KindAlert = "alert" // a single CAP alert document
	KindAtom  = "atom"  // an Atom 1.0 feed of alerts
	KindRSS   = "rss"   // an RSS 2.0 feed of alerts
)

// Feed is a list of alerts as a feed URL serves them.
type Feed struct {
	Kind    string // KindAlert, KindAtom or KindRSS
	Entries []Entry
}

// Entry is one alert of a feed: embedded (Alert set) or to fetch (Link
// set), or refused (Err set; the other entries still count).
type Entry struct {
	ID      string    // Atom <id>, RSS <guid> (else its <link>); for a single alert, its identifier
	Updated time.Time // Atom <updated>, RSS <pubDate>, a single alert's <sent>; zero when absent or unreadable
	Alert   *Alert    // the embedded alert, parsed and checked
	Link    string    // where to fetch the alert when not embedded: http(s), possibly relative to the feed URL
	Err     error     // an *Error: the embedded alert or the link was refused
}

// Parse reads what a CAP feed URL serves: a single CAP 1.2 alert (a feed
// of one entry), an Atom feed or an RSS 2.0 feed. Document-wide refusals
// (too large, DOCTYPE, malformed, too deep, unknown root) are an *Error;
// a refused entry only sets that entry's Err.
func Parse(r io.Reader, opts Options) (*Feed, error) {
	return parse(r, opts, true)
}

// ParseFeed is Parse for feeds only: a bare alert is refused (ErrRoot).
func ParseFeed(r io.Reader, opts Options) (*Feed, error) {
	return parse(r, opts, false)
}

func parse(r io.Reader, opts Options, alertOK bool) (*Feed, error) {
	d, se, err := open(r, opts)
	if err != nil {
		return nil, err
	}
	switch {
	case se.Name.Space == atomNS && se.Name.Local == "feed":
		return parseAtom(d)
	case se.Name.Space == "" && se.Name.Local == "rss":
		if v := attr(se, "version"); v != "2.0" {
			return nil, &Error{Code: CodeRoot, Field: "version", Value: v, Msg: fmt.Sprintf("RSS version %q; only 2.0 is supported", v)}
		}
		return parseRSS(d)
	case alertOK && se.Name.Local == "alert":
		if err := checkAlertRoot(se); err != nil {
			return nil, err
		}
		a, err := decodeAlert(d, se)
		if err != nil {
			return nil, err
		}
		return &Feed{Kind: KindAlert, Entries: []Entry{{ID: a.Identifier, Updated: a.Sent, Alert: a}}}, nil
	case se.Name.Local == "feed":
		return nil, &Error{Code: CodeNamespace, Value: se.Name.Space,
			Msg: fmt.Sprintf("feed is in namespace %q, not Atom (%s)", se.Name.Space, atomNS)}
	}
	want := "an Atom <feed> or an RSS <rss>"
	if alertOK {
		want = "a CAP <alert>, an Atom <feed> or an RSS <rss>"
	}
	return nil, &Error{Code: CodeRoot, Value: se.Name.Local, Msg: fmt.Sprintf("root element is <%s>, not %s", se.Name.Local, want)}
}

func attr(se xml.StartElement, name string) string {
	for _, a := range se.Attr {
		if a.Name.Space == "" && a.Name.Local == name {
			return strings.TrimSpace(a.Value)
		}
	}
	return ""
}

// children calls f for each child element of the element just opened,
// until its end; f must consume the child (decode or Skip it).
func children(d *xml.Decoder, f func(se xml.StartElement) error) error {
	for {
		tok, err := d.Token()
		if err != nil {
			return malformed(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if err := f(t); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

func text(d *xml.Decoder, se xml.StartElement) (string, error) {
	var s string
	if err := d.DecodeElement(&s, &se); err != nil {
		return "", malformed(err)
	}
	return strings.TrimSpace(s), nil
}

// embedded decodes an <alert> found in an entry into e: a CAP 1.2 alert is
// parsed and checked, any other version refused for this entry only.
func embedded(d *xml.Decoder, se xml.StartElement, e *Entry) error {
	if err := checkAlertRoot(se); err != nil {
		e.Err = err
		return d.Skip()
	}
	a, err := decodeAlert(d, se)
	if err != nil {
		if ce, ok := err.(*Error); ok && ce.Code == CodeMalformed {
			return err // the document itself is broken
		}
		e.Err = err
		return nil
	}
	if e.Alert == nil {
		e.Alert = a
	}
	return nil
}

func parseAtom(d *xml.Decoder) (*Feed, error) {
	f := &Feed{Kind: KindAtom}
	err := children(d, func(se xml.StartElement) error {
		if se.Name.Space != atomNS || se.Name.Local != "entry" {
			return d.Skip()
		}
		var e Entry
		var links []xml.StartElement
		err := children(d, func(se xml.StartElement) error {
			switch {
			case se.Name.Space == atomNS && se.Name.Local == "id":
				s, err := text(d, se)
				e.ID = s
				return err
			case se.Name.Space == atomNS && se.Name.Local == "updated":
				s, err := text(d, se)
				e.Updated, _ = time.Parse(time.RFC3339, s)
				return err
			case se.Name.Space == atomNS && se.Name.Local == "link":
				links = append(links, se.Copy())
				return d.Skip()
			case se.Name.Space == atomNS && se.Name.Local == "content":
				return children(d, func(se xml.StartElement) error {
					if se.Name.Local == "alert" {
						return embedded(d, se, &e)
					}
					return d.Skip()
				})
			case se.Name.Local == "alert":
				return embedded(d, se, &e)
			}
			return d.Skip()
		})
		if err != nil {
			return err
		}
		if e.Alert == nil && e.Err == nil {
			e.Link, e.Err = checkLink(atomLink(links))
		}
		f.Entries = append(f.Entries, e)
		return nil
	})
	if err != nil {
		return nil, asError(err)
	}
	return f, nil
}

// atomLink picks the entry's link to its alert: one typed as CAP, else the
// alternate (rel absent or "alternate"), else the first with an href.
func atomLink(links []xml.StartElement) string {
	for _, l := range links {
		if strings.Contains(strings.ToLower(attr(l, "type")), "cap+xml") && attr(l, "href") != "" {
			return attr(l, "href")
		}
	}
	for _, l := range links {
		if rel := attr(l, "rel"); (rel == "" || rel == "alternate") && attr(l, "href") != "" {
			return attr(l, "href")
		}
	}
	for _, l := range links {
		if h := attr(l, "href"); h != "" {
			return h
		}
	}
	return ""
}

// checkLink refuses a link a poller must not follow: nothing, or another
// scheme than http(s) (file:, ftp:, javascript:, …).
func checkLink(s string) (string, error) {
	if s == "" {
		return "", &Error{Code: CodeMissing, Field: "link", Msg: "entry: neither an embedded CAP alert nor a link to one"}
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", badValue("entry", "link", s, "not a URL")
	}
	if u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https" {
		return "", badValue("entry", "link", s, "only http and https links are fetched")
	}
	return s, nil
}

// Resolve is the absolute URL to fetch the entry's alert from: its Link
// resolved against the URL the feed was fetched from (after redirects).
// The result is again http or https only.
func (e *Entry) Resolve(feedURL string) (string, error) {
	if e.Link == "" {
		return "", &Error{Code: CodeMissing, Field: "link", Msg: "entry: no link to resolve"}
	}
	base, err := url.Parse(feedURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return "", badValue("feed", "url", feedURL, "not an absolute http(s) URL")
	}
	ref, err := url.Parse(e.Link)
	if err != nil {
		return "", badValue("entry", "link", e.Link, "not a URL")
	}
	u := base.ResolveReference(ref)
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", badValue("entry", "link", e.Link, "only http and https links are fetched")
	}
	return u.String(), nil
}

// RSS dates are RFC 822 in practice written many ways.
var rssLayouts = []string{time.RFC1123Z, time.RFC1123, "Mon, 2 Jan 2006 15:04:05 -0700", "Mon, 2 Jan 2006 15:04:05 MST", "2 Jan 2006 15:04:05 -0700", time.RFC3339}

func parseRSS(d *xml.Decoder) (*Feed, error) {
	f := &Feed{Kind: KindRSS}
	err := children(d, func(se xml.StartElement) error {
		if se.Name.Space != "" || se.Name.Local != "channel" {
			return d.Skip()
		}
		return children(d, func(se xml.StartElement) error {
			if se.Name.Space != "" || se.Name.Local != "item" {
				return d.Skip()
			}
			var e Entry
			var link string
			err := children(d, func(se xml.StartElement) error {
				var err error
				switch {
				case se.Name.Space == "" && se.Name.Local == "guid":
					e.ID, err = text(d, se)
				case se.Name.Space == "" && se.Name.Local == "link":
					link, err = text(d, se)
				case se.Name.Space == "" && se.Name.Local == "pubDate":
					var s string
					s, err = text(d, se)
					for _, l := range rssLayouts {
						if t, perr := time.Parse(l, s); perr == nil {
							e.Updated = t
							break
						}
					}
				case se.Name.Local == "alert":
					err = embedded(d, se, &e)
				default:
					err = d.Skip()
				}
				return err
			})
			if err != nil {
				return err
			}
			if e.ID == "" {
				e.ID = link
			}
			if e.Alert == nil && e.Err == nil {
				e.Link, e.Err = checkLink(link)
			}
			f.Entries = append(f.Entries, e)
			return nil
		})
	})
	if err != nil {
		return nil, asError(err)
	}
	return f, nil
}

// asError makes sure a refusal is an *Error, even one the decoder raised
// past scan's checks.
func asError(err error) error {
	if _, ok := err.(*Error); ok {
		return err
	}
	return malformed(err)
}
