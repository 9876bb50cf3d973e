package api

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/pano-signage/pano/assets"
	"github.com/pano-signage/pano/controller/internal/pipeline"
	"github.com/pano-signage/pano/controller/internal/server"
	"github.com/pano-signage/pano/controller/internal/store"
)

// uploadFields are the form fields an upload may carry before its file
// part (a field after the file is not read: the file is streamed).
var uploadFields = []Param{
	{Name: "title", Type: "string", Desc: "default: the file name"},
	{Name: "unit_id", Type: "integer", Desc: "default: your unit"},
	{Name: "campaign_id", Type: "integer"},
	{Name: "theme_id", Type: "integer"},
	{Name: "valid_from", Type: "string", Desc: "YYYY-MM-DD, first day it may play"},
	{Name: "valid_until", Type: "string", Desc: "YYYY-MM-DD, last day it may play"},
	{Name: "file", Type: "binary", Desc: "the image (PNG, JPEG, WebP, GIF) or video; the last part"},
}

var replaceFields = []Param{uploadFields[0], uploadFields[6]}

// multipartSlack is what a multipart body may hold beyond its file: the
// boundaries, part headers and the small fields.
const multipartSlack = 1 << 20

// upload is a multipart upload read up to its file part.
type upload struct {
	fields   map[string]string
	ids      map[string]*int64
	title    string // "" when not given
	part     *multipart.Part
	filename string // raw, as sent: Ingest checks it
}

// readUpload reads the fields of a multipart/form-data body up to its file
// part, which it leaves unread for Ingest to stream. allowed are the
// field names the route takes besides "file".
func (a *API) readUpload(c echo.Context, allowed ...string) (*upload, error) {
	req := c.Request()
	lim := a.o.Limits
	req.Body = http.MaxBytesReader(c.Response(), req.Body, max(lim.MaxImageBytes, lim.MaxVideoBytes)+multipartSlack)
	mr, err := req.MultipartReader() // streams; never ParseMultipartForm
	if err != nil {
		return nil, badRequest("send the upload as multipart/form-data: %v", err)
	}
	u := &upload{fields: map[string]string{}, ids: map[string]*int64{}}
	for u.part == nil {
		pt, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, badRequest("the upload has no file: send it in a part named \"file\", after the other fields")
		}
		if err != nil {
			if e := uploadReadErr(err, lim); e != err {
				return nil, e
			}
			return nil, badRequest("the multipart body is malformed: %v", err)
		}
		name := pt.FormName()
		switch {
		case name == "file":
			u.part = pt
		case slices.Contains(allowed, name):
			b, err := io.ReadAll(io.LimitReader(pt, 1025))
			if err != nil {
				return nil, uploadReadErr(err, lim)
			}
			if len(b) > 1024 {
				return nil, badRequest("form field %q is longer than 1024 bytes", name)
			}
			u.fields[name] = string(b)
		default:
			return nil, badRequest("unknown form field %q; send %s and then file", name, strings.Join(allowed, ", "))
		}
	}
	for _, k := range []string{"unit_id", "campaign_id", "theme_id"} {
		if s, ok := u.fields[k]; ok && s != "" {
			n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
			if err != nil || n <= 0 {
				return nil, badRequest("form field %s=%q is not a positive integer", k, s)
			}
			u.ids[k] = &n
		}
	}
	if t, ok := u.fields["title"]; ok && strings.TrimSpace(t) != "" {
		if u.title, err = name("title", t); err != nil {
			return nil, err
		}
	}
	// Not part.FileName(): it runs the name through filepath.Base, which
	// would quietly turn "../../x.png" into "x.png". Ingest checks the raw
	// name and refuses it.
	_, params, err := mime.ParseMediaType(u.part.Header.Get("Content-Disposition"))
	if err != nil {
		return nil, errf(http.StatusBadRequest, assets.CodeBadFilename, "the file part's Content-Disposition cannot be read (%v); send a plain file name", err)
	}
	u.filename = params["filename"]
	return u, nil
}

// ingest streams the file part into the asset store; an image is rendered
// for every geometry in use on the way. It returns how many geometries
// are in use.
func (a *API) ingest(ctx context.Context, u *upload) (*assets.Original, int, error) {
	geoms, err := a.o.Store.Geometries(ctx)
	if err != nil {
		return nil, 0, err
	}
	var ag []assets.Geometry
	for _, sg := range geoms {
		if g := pipeline.Geometry(sg.Width, sg.Height, sg.Fit); g.Validate() == nil {
			ag = append(ag, g) // the pipeline records why it cannot render the others
		}
	}
	o, err := a.o.Assets.Ingest(ctx, u.part, assets.IngestRequest{Filename: u.filename, Limits: a.o.Limits, Tools: a.o.Tools, Renditions: ag, Budget: a.decoding})
	if err != nil {
		if _, ok := assets.AsError(err); ok || errors.Is(err, assets.ErrDecodeBusy) {
			return nil, 0, assetErr(err)
		}
		return nil, 0, uploadReadErr(err, a.o.Limits)
	}
	return o, len(geoms), nil
}

// uploadMedia is POST /media with a multipart/form-data body: the file is
// streamed into the asset store (hashed, typed by content, checked before
// it is decoded) and becomes a draft media. An image is rendered for every
// geometry in use while the request waits; a video is processing until the
// pipeline has made its renditions. A refused file leaves no row and no
// file behind.
func (a *API) uploadMedia(c echo.Context, p *principal) error {
	ctx := ctxOf(c)
	u, err := a.readUpload(c, "title", "unit_id", "campaign_id", "theme_id", "valid_from", "valid_until")
	if err != nil {
		return err
	}
	validFrom, validUntil := strings.TrimSpace(u.fields["valid_from"]), strings.TrimSpace(u.fields["valid_until"])
	if err := checkValidity(validFrom, validUntil); err != nil {
		return err
	}
	unit, err := targetUnit(p, u.ids["unit_id"])
	if err != nil {
		return err
	}
	if err := a.checkQuota(ctx, unit, nil); err != nil {
		return err
	}
	o, ngeoms, err := a.ingest(ctx, u)
	if err != nil {
		return err
	}
	if err := a.checkQuota(ctx, unit, o); err != nil {
		return err
	}
	title := u.title
	if title == "" {
		title = strings.TrimSuffix(o.Filename, filepath.Ext(o.Filename))
		if t, err := name("title", title); err == nil {
			title = t
		} else {
			title = "Tệp tải lên"
		}
	}
	nm := store.NewMedia{
		UnitID: unit, CampaignID: u.ids["campaign_id"], ThemeID: u.ids["theme_id"], CreatedBy: p.User.ID,
		ValidFrom: validFrom, ValidUntil: validUntil, Title: title, Kind: string(o.Kind), SHA256: o.SHA256, MIME: o.MIME, Bytes: o.Size,
		Width: o.Width, Height: o.Height, DurationMS: o.Duration.Milliseconds(), OriginalName: o.Filename,
	}
	if o.Kind == assets.KindVideo && ngeoms > 0 {
		nm.Processing = store.ProcessingProcessing
	}
	m, err := a.o.Store.CreateMedia(ctx, p.actor(), nm)
	if err != nil {
		a.discard(o)
		return storeErr(err, "unit", unit)
	}
	if m, err = a.afterUpload(ctx, m, o); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, m)
}

// replaceMediaFile is POST /media/{id}/file: a new upload for an image or
// video media. It is an edit: an approved media gets a new pending
// revision and the approved one keeps playing until that is decided.
func (a *API) replaceMediaFile(c echo.Context, p *principal) error {
	ctx := ctxOf(c)
	m, err := a.loadMedia(c, p)
	if err != nil {
		return err
	}
	if m.Kind == store.KindText {
		return errf(http.StatusConflict, "text_has_no_file", "media %d is a text notice: edit its text with PATCH", m.ID)
	}
	if err := a.checkQuota(ctx, m.UnitID, nil); err != nil {
		return err
	}
	u, err := a.readUpload(c, "title")
	if err != nil {
		return err
	}
	o, ngeoms, err := a.ingest(ctx, u)
	if err != nil {
		return err
	}
	if err := a.checkQuota(ctx, m.UnitID, o); err != nil {
		return err
	}
	f := &store.MediaFile{Kind: string(o.Kind), SHA256: o.SHA256, MIME: o.MIME, Bytes: o.Size, Width: o.Width, Height: o.Height,
		DurationMS: o.Duration.Milliseconds(), OriginalName: o.Filename}
	if o.Kind == assets.KindVideo && ngeoms > 0 {
		f.Processing = store.ProcessingProcessing
	}
	e := store.MediaEdit{File: f}
	if u.title != "" {
		e.Title = &u.title
	}
	id := m.ID
	if m, err = a.o.Store.EditMedia(ctx, p.actor(), id, e); err != nil {
		a.discard(o)
		return storeErr(err, "media", id)
	}
	if m, err = a.afterUpload(ctx, m, o); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, m)
}

// afterUpload records the renditions made while uploading and settles a
// video with nothing to render.
func (a *API) afterUpload(ctx context.Context, m store.Media, o *assets.Original) (store.Media, error) {
	var made []renditionOf
	for i := range o.Renditions {
		made = append(made, renditionOf{o.Renditions[i].Geometry, &o.Renditions[i]})
	}
	m, err := a.keepRenditions(ctx, m, made)
	if err != nil || m.Current.Processing != store.ProcessingProcessing {
		return m, err
	}
	// A display may have gone since the geometries were read: with
	// nothing queued the video is ready.
	if err := a.o.Store.SettleRevision(ctx, m.Current.ID); err != nil {
		return m, err
	}
	return a.o.Store.Media(ctx, m.ID)
}

// uploadReadErr maps an error reading the request body.
func uploadReadErr(err error, lim assets.Limits) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errf(http.StatusRequestEntityTooLarge, assets.CodeTooLarge, "the upload is larger than the limit (%d MiB for an image, %d MiB for a video)",
			lim.MaxImageBytes>>20, lim.MaxVideoBytes>>20)
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	if errors.Is(err, server.ErrBodyTooSlow) {
		return errf(http.StatusRequestTimeout, "too_slow", "the upload arrived slower than the controller accepts (%v); the connection was closed: check the network and upload it again", err)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "multipart") {
		return badRequest("the multipart body is malformed or ends early: %v", err)
	}
	return err
}

// discard removes what Ingest stored for an upload that was then refused,
// unless the same bytes are used by something else.
func (a *API) discard(o *assets.Original) {
	ctx := context.Background()
	shas := []string{o.SHA256}
	for _, r := range o.Renditions {
		shas = append(shas, r.SHA256)
	}
	for _, sha := range shas {
		used, err := a.o.Store.SHAInUse(ctx, sha)
		if err != nil {
			a.o.Log.Error("discard upload", "sha256", sha, "err", err)
			continue
		}
		if !used {
			if err := a.o.Assets.Remove(sha); err != nil {
				a.o.Log.Error("discard upload", "sha256", sha, "err", err)
			}
		}
	}
}
