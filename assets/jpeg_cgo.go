//go:build cgo

package assets

/*
#cgo LDFLAGS: -ljpeg
#include <errno.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jpeglib.h>
#include <jerror.h>

// The decoder's state lives in C memory between the header call and the
// decode call; every entry point sets its own longjmp target, since
// libjpeg reports errors by calling error_exit, which must not return.
typedef struct {
	struct jpeg_decompress_struct d;
	struct jpeg_error_mgr err;
	struct jpeg_source_mgr src;
	struct jpeg_progress_mgr progress;
	jmp_buf jb;
	char msg[JMSG_LENGTH_MAX];
	int fd;
	off_t off;
	JOCTET buf[64 * 1024];
} pano_jpeg;

static void pano_error_exit(j_common_ptr c) {
	pano_jpeg *p = (pano_jpeg *)c->client_data;
	(*c->err->format_message)(c, p->msg);
	longjmp(p->jb, 1);
}

// Warnings that say the data is damaged fail the decode, as Go's decoder
// does: libjpeg would fill a truncated picture with grey and go on. The
// harmless ones (unknown JFIF revision, bytes between markers, a bad ICC
// profile, an unknown Adobe transform) are ignored.
static void pano_emit_message(j_common_ptr c, int level) {
	if (level != -1) {
		return;
	}
	switch (c->err->msg_code) {
	case JWRN_ADOBE_XFORM:
	case JWRN_EXTRANEOUS_DATA:
	case JWRN_JFIF_MAJOR:
	case JWRN_BOGUS_ICC:
		return;
	}
	pano_error_exit(c);
}

// A progressive JPEG of many tiny scans costs decode time out of all
// proportion to its size (a CPU bomb); libjpeg-turbo's TurboJPEG API limits
// scans to 500 for that reason, and so do we.
#define PANO_MAX_SCANS 500

static void pano_progress(j_common_ptr c) {
	j_decompress_ptr d = (j_decompress_ptr)c;
	if (d->input_scan_number > PANO_MAX_SCANS) {
		pano_jpeg *p = (pano_jpeg *)c->client_data;
		snprintf(p->msg, sizeof p->msg, "more than %d progressive scans", PANO_MAX_SCANS);
		longjmp(p->jb, 1);
	}
}

// The source reads the file with pread, so that Go's *os.File offset is
// neither used nor moved.
static void pano_init_source(j_decompress_ptr d) {}
static void pano_term_source(j_decompress_ptr d) {}

static boolean pano_fill(j_decompress_ptr d) {
	pano_jpeg *p = (pano_jpeg *)d->client_data;
	ssize_t n;
	do {
		n = pread(p->fd, p->buf, sizeof p->buf, p->off);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		ERREXIT(d, JERR_FILE_READ);
	}
	if (n == 0) {
		// As libjpeg's own sources do: warn (which fails, see
		// pano_emit_message) and insert an EOI marker.
		WARNMS(d, JWRN_JPEG_EOF);
		p->buf[0] = 0xFF;
		p->buf[1] = JPEG_EOI;
		n = 2;
	}
	p->off += n;
	d->src->next_input_byte = p->buf;
	d->src->bytes_in_buffer = (size_t)n;
	return TRUE;
}

static void pano_skip(j_decompress_ptr d, long n) {
	pano_jpeg *p = (pano_jpeg *)d->client_data;
	if (n <= 0) {
		return;
	}
	if ((size_t)n <= d->src->bytes_in_buffer) {
		d->src->next_input_byte += n;
		d->src->bytes_in_buffer -= (size_t)n;
		return;
	}
	p->off += (off_t)(n - (long)d->src->bytes_in_buffer);
	d->src->bytes_in_buffer = 0;
}

// pano_jpeg_open reads the header of the JPEG in fd. On error it returns
// NULL with the message in msg.
static pano_jpeg *pano_jpeg_open(int fd, char *msg, size_t msglen) {
	pano_jpeg *p = calloc(1, sizeof *p);
	if (p == NULL) {
		snprintf(msg, msglen, "out of memory");
		return NULL;
	}
	p->fd = fd;
	p->d.err = jpeg_std_error(&p->err);
	p->err.error_exit = pano_error_exit;
	p->err.emit_message = pano_emit_message;
	p->d.client_data = p;
	if (setjmp(p->jb)) {
		snprintf(msg, msglen, "%s", p->msg);
		jpeg_destroy_decompress(&p->d);
		free(p);
		return NULL;
	}
	jpeg_create_decompress(&p->d);
	p->src.init_source = pano_init_source;
	p->src.fill_input_buffer = pano_fill;
	p->src.skip_input_data = pano_skip;
	p->src.resync_to_restart = jpeg_resync_to_restart;
	p->src.term_source = pano_term_source;
	p->d.src = &p->src;
	p->progress.progress_monitor = pano_progress;
	p->d.progress = &p->progress;
	jpeg_read_header(&p->d, TRUE);
	return p;
}

static void pano_jpeg_close(pano_jpeg *p) {
	jpeg_destroy_decompress(&p->d);
	free(p);
}

// pano_jpeg_scale sets the output scale 1/denom and the output colour
// space, and returns the output size and the number of channels (1 gray,
// 3 YCbCr, 4 RGBA or CMYK), or 0 with msg set.
static int pano_jpeg_scale(pano_jpeg *p, int denom, int *w, int *h) {
	if (setjmp(p->jb)) {
		return 0;
	}
	p->d.scale_num = 1;
	p->d.scale_denom = denom;
	switch (p->d.jpeg_color_space) {
	case JCS_GRAYSCALE:
		p->d.out_color_space = JCS_GRAYSCALE;
		break;
	case JCS_CMYK:
	case JCS_YCCK:
		p->d.out_color_space = JCS_CMYK;
		break;
	case JCS_YCbCr:
		p->d.out_color_space = JCS_YCbCr; // see pano_jpeg_decode_ycc
		break;
	default:
		p->d.out_color_space = JCS_EXT_RGBA; // alpha is set to 0xFF
	}
	jpeg_calc_output_dimensions(&p->d);
	*w = (int)p->d.output_width;
	*h = (int)p->d.output_height;
	return p->d.out_color_components;
}

// pano_jpeg_coef_bytes is what a progressive (or multi-scan) decode holds
// besides its output: every DCT coefficient of the picture.
static long long pano_jpeg_coef_bytes(pano_jpeg *p) {
	long long n = 0;
	if (!jpeg_has_multiple_scans(&p->d)) {
		return 0;
	}
	for (int i = 0; i < p->d.num_components; i++) {
		jpeg_component_info *c = &p->d.comp_info[i];
		n += (long long)c->width_in_blocks * c->height_in_blocks * DCTSIZE2 * sizeof(JCOEF);
	}
	return n;
}

// pano_ycc_channel finishes one channel of Go's color.YCbCrToRGB: v is
// 16.16 fixed point; out of range clamps to 0 or 255.
static inline unsigned char pano_ycc_channel(int32_t v) {
	if ((uint32_t)v & 0xff000000) {
		return (unsigned char)(~(v >> 31));
	}
	return (unsigned char)(v >> 16);
}

// pano_ycc_rgba converts n interleaved YCbCr pixels to opaque RGBA.
static void pano_ycc_rgba(const unsigned char *in, unsigned char *o, size_t n) {
	for (size_t x = 0; x < n; x++, in += 3, o += 4) {
		int32_t yy = (int32_t)in[0] * 0x10101, cb = (int32_t)in[1] - 128, cr = (int32_t)in[2] - 128;
		o[0] = pano_ycc_channel(yy + 91881 * cr);
		o[1] = pano_ycc_channel(yy - 22554 * cb - 46802 * cr);
		o[2] = pano_ycc_channel(yy + 116130 * cb);
		o[3] = 0xFF;
	}
}

// pano_jpeg_decode_ycc decodes a YCbCr picture into out as opaque RGBA
// (rows of stride bytes), converting each pixel with the arithmetic of
// Go's color.YCbCrToRGB (which image/jpeg's pictures are drawn with)
// rather than libjpeg's own tables: a scaled and a full decode then differ
// by their scale only, not by the rounding of two colour conversions. It
// returns 1, or 0 with msg set.
static int pano_jpeg_decode_ycc(pano_jpeg *p, unsigned char *out, int stride) {
	if (setjmp(p->jb)) {
		return 0;
	}
	jpeg_start_decompress(&p->d);
	// Freed with the decompressor.
	JSAMPARRAY rows = (*p->d.mem->alloc_sarray)((j_common_ptr)&p->d, JPOOL_IMAGE, p->d.output_width * 3, 4);
	while (p->d.output_scanline < p->d.output_height) {
		size_t first = p->d.output_scanline;
		JDIMENSION n = jpeg_read_scanlines(&p->d, rows, 4);
		for (JDIMENSION r = 0; r < n; r++) {
			pano_ycc_rgba(rows[r], out + (first + r) * (size_t)stride, p->d.output_width);
		}
	}
	jpeg_finish_decompress(&p->d);
	return 1;
}

// pano_jpeg_decode decodes the whole picture into out (rows of stride
// bytes). It returns 1, or 0 with msg set.
static int pano_jpeg_decode(pano_jpeg *p, unsigned char *out, int stride) {
	if (setjmp(p->jb)) {
		return 0;
	}
	jpeg_start_decompress(&p->d);
	while (p->d.output_scanline < p->d.output_height) {
		JSAMPROW rows[4];
		int n = 0;
		for (; n < 4 && p->d.output_scanline + n < p->d.output_height; n++) {
			rows[n] = out + (size_t)(p->d.output_scanline + n) * stride;
		}
		jpeg_read_scanlines(&p->d, rows, n);
	}
	jpeg_finish_decompress(&p->d);
	return 1;
}
*/
import "C"

import (
	"errors"
	"image"
	"os"
	"runtime"
	"unsafe"
)

// scaledJPEGs says whether this build decodes JPEGs at a reduced DCT scale
// with libjpeg-turbo (cgo), or only at full scale with image/jpeg.
const scaledJPEGs = true

// scaledJPEG is a JPEG whose header libjpeg-turbo has read; Decode decodes
// it at 1/denom of its size (denom 1, 2, 4 or 8) straight from the DCT
// coefficients, which is what makes a 24-megapixel photo cheap to turn
// into panel-sized pictures: at 1/8 the inverse DCT is one coefficient per
// block and no full-size pixels ever exist.
type scaledJPEG struct {
	p *C.pano_jpeg
	f *os.File // kept alive while p reads its descriptor
}

// openScaledJPEG reads the JPEG header of f (from its start, whatever f's
// offset). Close it.
func openScaledJPEG(f *os.File) (*scaledJPEG, error) {
	var msg [C.JMSG_LENGTH_MAX]C.char
	p := C.pano_jpeg_open(C.int(f.Fd()), &msg[0], C.size_t(len(msg)))
	runtime.KeepAlive(f)
	if p == nil {
		return nil, errors.New(C.GoString(&msg[0]))
	}
	return &scaledJPEG{p: p, f: f}, nil
}

// yccToRGBA converts interleaved YCbCr pixels to opaque RGBA as the
// scaled decode does (for the test that it is color.YCbCrToRGB).
func yccToRGBA(in, out []byte) {
	if n := min(len(in)/3, len(out)/4); n > 0 {
		C.pano_ycc_rgba((*C.uchar)(unsafe.Pointer(&in[0])), (*C.uchar)(unsafe.Pointer(&out[0])), C.size_t(n))
	}
}

// Close frees libjpeg's memory.
func (j *scaledJPEG) Close() {
	if j.p != nil {
		C.pano_jpeg_close(j.p)
		j.p = nil
	}
}

// fullSize is the picture's size as libjpeg read it from the header.
func (j *scaledJPEG) fullSize() (w, h int) {
	return int(j.p.d.image_width), int(j.p.d.image_height)
}

// size returns the output size at 1/denom and its channels.
func (j *scaledJPEG) size(denom int) (w, h, channels int, err error) {
	var cw, ch C.int
	n := C.pano_jpeg_scale(j.p, C.int(denom), &cw, &ch)
	if n == 0 {
		return 0, 0, 0, errors.New(C.GoString(&j.p.msg[0]))
	}
	return int(cw), int(ch), int(n), nil
}

// Cost is what decoding at 1/denom takes from a Budget (pixel units of 4
// bytes): the output picture, plus the coefficients a progressive JPEG
// holds for the whole picture while its scans arrive.
func (j *scaledJPEG) Cost(denom int) (int64, error) {
	w, h, _, err := j.size(denom)
	if err != nil {
		return 0, err
	}
	return int64(w)*int64(h) + int64(C.pano_jpeg_coef_bytes(j.p))/4, nil
}

// Decode decodes the whole picture at 1/denom: an *image.NRGBA (opaque)
// for colour, *image.Gray for grayscale, *image.CMYK for CMYK and YCCK
// (inverted as Adobe writes them, as image/jpeg does). Damaged data is an
// error, as with image/jpeg.
func (j *scaledJPEG) Decode(denom int) (image.Image, error) {
	w, h, channels, err := j.size(denom)
	if err != nil {
		return nil, err
	}
	r := image.Rect(0, 0, w, h)
	if channels == 3 { // YCbCr, see pano_jpeg_decode_ycc
		img := image.NewNRGBA(r)
		ok := C.pano_jpeg_decode_ycc(j.p, (*C.uchar)(unsafe.Pointer(&img.Pix[0])), C.int(img.Stride))
		runtime.KeepAlive(j.f)
		if ok == 0 {
			return nil, errors.New(C.GoString(&j.p.msg[0]))
		}
		return img, nil
	}
	var img image.Image
	var pix []byte
	var stride int
	switch {
	case channels == 1:
		g := image.NewGray(r)
		img, pix, stride = g, g.Pix, g.Stride
	case j.p.d.out_color_space == C.JCS_CMYK:
		c := image.NewCMYK(r)
		img, pix, stride = c, c.Pix, c.Stride
	default:
		n := image.NewNRGBA(r)
		img, pix, stride = n, n.Pix, n.Stride
	}
	ok := C.pano_jpeg_decode(j.p, (*C.uchar)(unsafe.Pointer(&pix[0])), C.int(stride))
	runtime.KeepAlive(j.f)
	if ok == 0 {
		return nil, errors.New(C.GoString(&j.p.msg[0]))
	}
	if c, isCMYK := img.(*image.CMYK); isCMYK {
		// Adobe stores ink inverted (255 = none); image.CMYK counts ink.
		for i := range c.Pix {
			c.Pix[i] = 255 - c.Pix[i]
		}
	}
	return img, nil
}
