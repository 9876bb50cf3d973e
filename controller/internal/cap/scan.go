package cap

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// DefaultLimit bounds a document when Options.Limit is zero. Real CAP
// alerts are a few kilobytes; a feed of a few hundred embedded alerts
// stays well under it.
const DefaultLimit = 1 << 20

// Nesting bounds. A CAP alert is at most alert/info/area/geocode/value
// (5 levels), or 7 with an XML signature; a feed adds 3 or 4 levels
// around it (feed/entry/content, rss/channel/item).
const (
	maxAlertDepth = 8
	maxDepth      = 16
)

// Options tune parsing; the zero value takes the defaults.
type Options struct {
	Limit int64 // largest document accepted, in bytes (default DefaultLimit)
}

func (o Options) limit() int64 {
	if o.Limit <= 0 {
		return DefaultLimit
	}
	return o.Limit
}

// read takes at most the limit from r, refusing a longer document without
// reading more than one byte past the limit.
func read(r io.Reader, o Options) ([]byte, error) {
	limit := o.limit()
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("cap: read: %w", err)
	}
	if int64(len(b)) > limit {
		return nil, &Error{Code: CodeTooLarge, Msg: fmt.Sprintf("document is larger than the limit of %d bytes", limit)}
	}
	return b, nil
}

func newDecoder(b []byte) *xml.Decoder {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	d.CharsetReader = charset
	return d
}

// charset is called for a declared encoding other than UTF-8: only ASCII,
// a subset of it, is read (CAP 1.2 §3.1.1 documents are UTF-8).
func charset(label string, r io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "us-ascii", "ascii":
		return r, nil
	}
	return nil, fmt.Errorf("only UTF-8 is read")
}

func malformed(err error) *Error {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return &Error{Code: CodeMalformed, Msg: fmt.Sprintf("malformed XML at line %d: %s", se.Line, se.Msg), Err: err}
	}
	return &Error{Code: CodeMalformed, Msg: "malformed XML: " + err.Error(), Err: err}
}

// scan checks the whole document before anything is decoded: well-formed,
// one root element, no DTD (so no entity declaration can ever be expanded),
// bounded nesting. It returns the root element.
func scan(b []byte) (xml.StartElement, error) {
	d := newDecoder(b)
	var root xml.StartElement
	depth, roots, alertDepth := 0, 0, 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return root, malformed(err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			what := "a DTD declaration"
			if s := strings.TrimSpace(string(t)); len(s) >= 7 && strings.EqualFold(s[:7], "DOCTYPE") {
				what = "a DOCTYPE"
			}
			return root, &Error{Code: CodeDoctype, Msg: "the document has " + what + "; DTDs and entity declarations are refused (entity expansion)"}
		case xml.StartElement:
			if depth == 0 {
				roots++
				if roots > 1 {
					return root, &Error{Code: CodeMalformed, Msg: "malformed XML: more than one root element"}
				}
				root = t.Copy()
			}
			depth++
			if depth > maxDepth {
				return root, &Error{Code: CodeTooDeep, Msg: fmt.Sprintf("elements are nested more than %d levels deep", maxDepth)}
			}
			if alertDepth == 0 && t.Name.Local == "alert" && isCAPNamespace(t.Name.Space) {
				alertDepth = depth
			}
			if alertDepth > 0 && depth-alertDepth >= maxAlertDepth {
				return root, &Error{Code: CodeTooDeep, Msg: fmt.Sprintf("elements in an alert are nested more than %d levels deep", maxAlertDepth)}
			}
		case xml.EndElement:
			if depth == alertDepth {
				alertDepth = 0
			}
			depth--
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				return root, &Error{Code: CodeMalformed, Msg: "malformed XML: text outside the root element"}
			}
		}
	}
	if roots == 0 {
		return root, &Error{Code: CodeMalformed, Msg: "malformed XML: no root element"}
	}
	return root, nil
}

// isCAPNamespace is true for every namespace a CAP alert was ever
// published in, so that an older alert is refused by name, not ignored.
func isCAPNamespace(ns string) bool {
	return ns == Namespace || strings.HasPrefix(ns, "urn:oasis:names:tc:emergency:cap:") || ns == namespace10
}

// startRoot advances d to the root element, which scan has already checked.
// open reads a document and checks it whole (size, no DTD, depth, one
// root), then returns a decoder standing just past its root element, and
// that element.
func open(r io.Reader, o Options) (*xml.Decoder, xml.StartElement, error) {
	b, err := read(r, o)
	if err != nil {
		return nil, xml.StartElement{}, err
	}
	if _, err := scan(b); err != nil {
		return nil, xml.StartElement{}, err
	}
	d := newDecoder(b)
	root, err := startRoot(d)
	return d, root, err
}

func startRoot(d *xml.Decoder) (xml.StartElement, error) {
	for {
		tok, err := d.Token()
		if err != nil {
			return xml.StartElement{}, malformed(err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			return se, nil
		}
	}
}
