package cap

import "fmt"

// Code is the stable name of a reason a document was refused, for logs,
// the store and the API; the message beside it is for people.
type Code string

// Codes of refusal.
const (
	CodeTooLarge  Code = "too_large" // the document is larger than Options.Limit
	CodeDoctype   Code = "doctype"   // a DOCTYPE or other DTD declaration (entity expansion)
	CodeTooDeep   Code = "too_deep"  // elements nested deeper than CAP or a feed ever needs
	CodeMalformed Code = "malformed" // not well-formed XML, or not UTF-8
	CodeRoot      Code = "root"      // the root element is not a CAP alert (or a feed)
	CodeNamespace Code = "namespace" // the right element in the wrong namespace (e.g. CAP 1.1)
	CodeMissing   Code = "missing"   // a required element is absent or empty
	CodeBadValue  Code = "bad_value" // an element's value is not allowed (enumeration, time, …)
)

// Error is why a document, or one entry of a feed, was refused.
//
// Compare with errors.Is against the sentinels (ErrTooLarge, ErrMissing, …),
// which match on Code alone, or against an *Error with Field set to match a
// field as well: errors.Is(err, &cap.Error{Code: cap.CodeMissing, Field: "identifier"}).
type Error struct {
	Code  Code   // stable reason
	Field string // the CAP element concerned, as a path: "identifier", "info.severity", "info.area.polygon"
	Value string // the refused value, cut to 80 bytes
	Msg   string // what was wrong, in words
	Err   error  // the underlying cause (an XML syntax error), if any
}

// Sentinels for errors.Is.
var (
	ErrTooLarge  = &Error{Code: CodeTooLarge}
	ErrDoctype   = &Error{Code: CodeDoctype}
	ErrTooDeep   = &Error{Code: CodeTooDeep}
	ErrMalformed = &Error{Code: CodeMalformed}
	ErrRoot      = &Error{Code: CodeRoot}
	ErrNamespace = &Error{Code: CodeNamespace}
	ErrMissing   = &Error{Code: CodeMissing}
	ErrBadValue  = &Error{Code: CodeBadValue}
)

func (e *Error) Error() string {
	if e.Msg == "" {
		return "cap: " + string(e.Code)
	}
	return "cap: " + e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// Is matches an *Error of the same Code, and of the same Field when the
// target names one.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	return t.Code == e.Code && (t.Field == "" || t.Field == e.Field)
}

func missing(where, field string) *Error {
	return &Error{Code: CodeMissing, Field: field, Msg: fmt.Sprintf("%s: missing <%s>", where, last(field))}
}

func badValue(where, field, value, why string) *Error {
	if len(value) > 80 {
		value = value[:80]
	}
	return &Error{Code: CodeBadValue, Field: field, Value: value,
		Msg: fmt.Sprintf("%s: bad <%s> %q: %s", where, last(field), value, why)}
}

// last is the element name at the end of a field path.
func last(field string) string {
	for i := len(field) - 1; i >= 0; i-- {
		if field[i] == '.' {
			return field[i+1:]
		}
	}
	return field
}
