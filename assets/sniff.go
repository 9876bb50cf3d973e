package assets

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kind is what an original is.
type Kind string

const (
	KindImage Kind = "image"
	KindVideo Kind = "video"
)

// format is what sniff found in the first bytes of a file.
type format struct {
	kind Kind
	name string // "png", "jpeg", "webp", "gif", or a container family for video
	mime string
	ext  string
}

var (
	fmtPNG  = format{KindImage, "png", "image/png", ".png"}
	fmtJPEG = format{KindImage, "jpeg", "image/jpeg", ".jpg"}
	fmtWebP = format{KindImage, "webp", "image/webp", ".webp"}
	fmtGIF  = format{KindImage, "gif", "image/gif", ".gif"}
	fmtMP4  = format{KindVideo, "mp4", "video/mp4", ".mp4"} // also MOV, 3GP (ISO base media)
	fmtMKV  = format{KindVideo, "matroska", "video/x-matroska", ".mkv"}
	fmtAVI  = format{KindVideo, "avi", "video/x-msvideo", ".avi"}
	fmtTS   = format{KindVideo, "mpegts", "video/mp2t", ".ts"}
	fmtMPG  = format{KindVideo, "mpeg", "video/mpeg", ".mpg"}
	fmtOgg  = format{KindVideo, "ogg", "video/ogg", ".ogv"}
)

// sniffLen is how many leading bytes sniff wants.
const sniffLen = 512

// sniff decides the type of a file by its leading bytes, never by its name.
// It returns an *Error for anything we do not take, naming what it looks like
// when we know (a PDF renamed .png is told it is a PDF).
func sniff(b []byte) (format, error) {
	has := func(off int, magic string) bool {
		return len(b) >= off+len(magic) && string(b[off:off+len(magic)]) == magic
	}
	switch {
	case has(0, "\x89PNG\r\n\x1a\n"):
		return fmtPNG, nil
	case has(0, "\xff\xd8\xff"):
		return fmtJPEG, nil
	case has(0, "GIF87a"), has(0, "GIF89a"):
		return fmtGIF, nil
	case has(0, "RIFF") && has(8, "WEBP"):
		return fmtWebP, nil
	case has(0, "RIFF") && has(8, "AVI "):
		return fmtAVI, nil
	case has(4, "ftyp"):
		return fmtMP4, nil
	case has(0, "\x1a\x45\xdf\xa3"):
		return fmtMKV, nil
	case has(0, "OggS"):
		return fmtOgg, nil
	case has(0, "\x00\x00\x01\xba"):
		return fmtMPG, nil
	case len(b) > 188 && b[0] == 0x47 && b[188] == 0x47:
		return fmtTS, nil
	}
	what := "unknown data"
	switch {
	case has(0, "%PDF-"):
		what = "a PDF document"
	case has(0, "PK\x03\x04"):
		what = "a ZIP archive (or an Office document)"
	case has(0, "<svg"), bytes.Contains(b[:min(len(b), 256)], []byte("<svg")):
		what = "an SVG drawing"
	case has(0, "II*\x00"), has(0, "MM\x00*"):
		what = "a TIFF image"
	case has(0, "BM"):
		what = "a BMP image"
	case len(b) >= 12 && has(4, "ftypheic"):
		what = "a HEIC image"
	}
	return format{}, errorf(CodeUnsupportedType, nil,
		"the file is %s; upload a PNG, JPEG, WebP or GIF image or an MP4, MKV/WebM, AVI, MPEG or Ogg video", what)
}

// maxFilenameLen bounds the name a client sends, in bytes.
const maxFilenameLen = 255

// CheckFilename validates the name a client gave an upload. The name is only
// ever shown to people and stored as metadata, never used as a path; still, a
// name with path parts, "..", control or invisible formatting characters or
// invalid UTF-8 is refused so that it cannot mislead anyone who sees it.
// It returns the name with surrounding spaces trimmed.
func CheckFilename(name string) (string, error) {
	bad := func(why string) (string, error) {
		return "", errorf(CodeBadFilename, nil, "the file name %q %s", name, why)
	}
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return bad("is empty")
	case len(name) > maxFilenameLen:
		return bad(fmt.Sprintf("is longer than %d bytes", maxFilenameLen))
	case !utf8.ValidString(name):
		return bad("is not valid UTF-8")
	case strings.ContainsAny(name, `/\`):
		return bad("contains a path separator")
	case name == "." || name == ".." || strings.Contains(name, ".."):
		return bad(`contains ".."`)
	}
	for _, r := range name {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return bad(fmt.Sprintf("contains the control character U+%04X", r))
		}
	}
	return name, nil
}
