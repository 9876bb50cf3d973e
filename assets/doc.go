// Package assets is pano's content pipeline: it accepts uploads and makes
// renditions, the exact pixels each LED panel geometry shows. It is a
// library with no HTTP, database or queue of its own; the controller's
// handlers and job workers call it. Its outside dependencies are
// ffmpeg/ffprobe (Debian package ffmpeg) for video and, in a cgo build,
// libjpeg-turbo (libjpeg62-turbo-dev) for JPEG decoding at a reduced
// scale; built with CGO_ENABLED=0 it decodes JPEGs with image/jpeg at
// full scale instead (slower, more memory, the same pictures within a
// little rounding). The agent does not import this package (only its
// subpackages, which need no cgo).
//
// # Uploads
//
// Store.Ingest streams an upload into a content-addressed Store
// (<dir>/ab/abcdef….ext, written to <dir>/tmp, fsynced, renamed), hashing
// while it writes. The type is decided by content (sniff), never by the
// name; the name is only checked (CheckFilename) and kept as metadata.
// Images: PNG, JPEG (EXIF orientation applied, by a small reader in
// exif.go), WebP, GIF (first frame only: animation is not shown). Their
// dimensions are read from the header first and more than Limits.MaxPixels
// (100 MP) is refused before any pixel memory exists; then the whole image
// is decoded, which is what tells a truncated or corrupt file. Videos are
// probed with ffprobe (container, codec, size, duration) under a timeout.
//
// Every refusal the client caused is an *Error with a stable Code and a
// message for people, and HTTPStatus for the handler; on any error no file
// is left in the store. Ingesting a 66-byte PNG that declares 30000×30000
// peaks at about 8 MiB RSS for the whole test process (23 MiB with -race);
// TestBombPeakRSS measures it in a child process and logs it.
//
// # Renditions
//
// Images are rendered with disintegration/imaging for a Geometry (W×H, fit
// contain with a background colour, cover or stretch) as an opaque 8-bit
// RGB PNG at exactly the panel size, named by its SHA-256. A big JPEG is
// decoded by libjpeg-turbo at the smallest DCT scale (1/2, 1/4 or 1/8)
// that is still ≥ 3× the largest output (jpegDenom): a 24-megapixel photo
// for LED panels becomes 750×500 pixels straight from its coefficients,
// and the full-size picture never exists (`make bench`: peak RSS about
// 16 MiB for the whole ingest). Its YCbCr is converted with Go's
// arithmetic (color.YCbCrToRGB), as image/jpeg's pictures are, so a scaled
// and a full decode differ by their scale only. Whatever is still larger is
// shrunk by an integer box filter (straight from the YCbCr planes of a
// full-scale decode) to ≥ 3× the largest output (prescale), then
// Lanczos-resized, then, when reduced a lot, sharpened with a sub-pixel
// unsharp mask so that edges and lettering survive on a 64×32 panel.
// Picture renditions are PNGs at zlib's default level (text and tickers
// at the best). Output is deterministic. The scaled decode's renditions are within 1 dB
// PSNR of the full decode's (TestScaledDecodeQuality); damaged data fails
// the decode as with image/jpeg, and a progressive JPEG of more than 500
// scans (a CPU bomb) is refused.
//
// Text notices (RenderText) are drawn with the embedded DejaVu Sans regular
// and bold (fonts/, with their licence), NFC-normalized, auto-sized with word
// wrapping by the real ink bounds of the glyphs (Vietnamese stacked marks
// included) so nothing is clipped. Below 8 px the text is refused
// (text_too_long) rather than made unreadable: a long text on a small
// panel is a ticker. A ticker is one PNG strip (a blank panel width, then
// the text on one line) plus TickerInfo: the player shows a W-wide window
// that moves PixelsPerSecond to the right and wraps around. A strip rather
// than pre-rendered frames because it is one small file whatever the
// speed, and the player can scroll it at its own frame rate, in step with
// the wall clock like every other item.
//
// # Video renditions and the trade-off
//
// TranscodeVideo runs ffmpeg (own process group, timeout, killed with its
// group on cancel, progress from -progress on fd 3) to scale and crop to the
// panel and resample to the panel's frame rate, and stores the result as a
// ZIP of PNG frames (frames/000000.png …, plus manifest.json with size, fps
// and frame count), uncompressed entries; package frames (standard library
// only) reads it. Why this form:
//
//   - The agent stays cgo-free and needs no ffmpeg: archive/zip and
//     image/png are in Go's standard library, on any board.
//   - Frame-accurate by construction: frame n of the item is the entry
//     FrameName(n), found by the ZIP's central directory; a screen that
//     joins a synchronized rotation mid-video seeks to floor(t × fps) with
//     no decoder state, no keyframes, no drift.
//   - The frames are the exact pixels the panel shows, like image
//     renditions; frame 0 is the poster/preview (PosterFrame).
//
// The cost is size: PNG frames are intra-only, several times bigger than
// H.264 at panel size (a 192×96 panel at 25 fps is roughly 0.3–1 MB/s of
// PNG for camera footage, far less for slides and graphics). At LED panel
// sizes that is acceptable for an agent's cache; a future rendition kind
// (e.g. FFV1 in Matroska, lossless and 2–3× smaller) would need ffmpeg on
// the agent and is not done. Audio is dropped: panels are silent.
package assets
