package assets

import (
	"errors"
	"fmt"
	"net/http"
)

// Codes of the errors that a client caused. A handler turns an *Error into a
// 4xx JSON body {"code": ..., "message": ...}; any other error is ours (5xx).
const (
	CodeEmpty           = "empty"            // zero bytes
	CodeTooLarge        = "too_large"        // more bytes than the limit for the kind
	CodeTooManyPixels   = "too_many_pixels"  // image declares more pixels than the limit
	CodeUnsupportedType = "unsupported_type" // content is not an image or video we take (e.g. a PDF)
	CodeCorrupt         = "corrupt"          // truncated or undecodable data
	CodeBadFilename     = "bad_filename"     // path separators, "..", control characters
	CodeNoVideoStream   = "no_video_stream"  // a container with no video in it
	CodeVideoTooLong    = "video_too_long"   // duration over the limit
	CodeVideoTooBig     = "video_too_big"    // frame dimensions over the limit
	CodeProbeTimeout    = "probe_timeout"    // ffprobe did not answer in time
	CodeBadGeometry     = "bad_geometry"     // panel size or fit mode out of range
	CodeBadNotice       = "bad_notice"       // text notice fields invalid
	CodeTextTooLong     = "text_too_long"    // text cannot be made to fit at the minimum size
	CodeTickerTooLarge  = "ticker_too_large" // a ticker strip would take more pixels than MaxTickerPixels
	CodePanelTooLow     = "panel_too_low"    // a panel lower than the smallest line in which Vietnamese stays legible
)

// Error is an error the client caused, with a stable code for programs and a
// message for people. Err, when set, is the underlying cause (kept for logs,
// not for the client).
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Err     error  `json:"-"`
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("assets: %s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("assets: %s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// HTTPStatus is the status a handler should answer with for this error.
func (e *Error) HTTPStatus() int {
	switch e.Code {
	case CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case CodeUnsupportedType:
		return http.StatusUnsupportedMediaType
	case CodeBadFilename, CodeBadGeometry, CodeBadNotice:
		return http.StatusBadRequest
	default:
		return http.StatusUnprocessableEntity
	}
}

// AsError returns the *Error in err's chain, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// ErrorCode is the code of the *Error in err's chain, or "" for an internal error.
func ErrorCode(err error) string {
	if e, ok := AsError(err); ok {
		return e.Code
	}
	return ""
}

func errorf(code string, cause error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: cause}
}
