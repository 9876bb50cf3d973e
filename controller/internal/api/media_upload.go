package api

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/pano-signage/pano/assets"
	"github.com/pano-signage/pano/controller/internal/pipeline"
	"github.com/pano-signage/pano/controller/internal/store"
)

// uploadFields are the form fields an upload may carry before its file
// part (a field after the file is not read: the file is streamed).
var uploadFields = []Param{
	{Name: "title", Type: "string", Desc: "default: the file name"},
	{Name: "unit_id", Type: "integer", Desc: "default: your unit"},
	{Name: "campaign_id", Type: "integer"},
	{Name: "theme_id", Type: "integer"},
	{Name: "file", Type: "binary", Desc: "the image (PNG, JPEG, WebP, GIF) or video; the last part"},
}

// multipartSlack is what a multipart body may hold beyond its file: the
// boundaries, part headers and the small fields.
const multipartSlack = 1 << 20

// uploadMedia is POST /media with a multipart/form-data body: the file is
// streamed into the asset store (hashed, typed by content, checked before
// it is decoded) and becomes a draft media. An image is rendered for every
// geometry in use while the request waits; a video is processing until the
// pipeline has made its renditions. A refused file leaves no row and no
// file behind.
func (a *API) uploadMedia(c echo.Context, p *principal) error {
	ctx := ctxOf(c)
	req := c.Request()
	lim := a.o.Limits
	req.Body = http.MaxBytesReader(c.Response(), req.Body, max(lim.MaxImageBytes, lim.MaxVideoBytes)+multipartSlack)
	mr, err := req.MultipartReader() // streams; never ParseMultipartForm
	if err != nil {
		return badRequest("send the upload as multipart/form-data: %v", err)
	}
	fields := map[string]string{}
	var part *multipart.Part
	for part == nil {
		pt, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return badRequest("the upload has no file: send it in a part named \"file\", after the other fields")
		}
		if err != nil {
			if e := uploadReadErr(err, lim); e != err {
				return e
			}
			return badRequest("the multipart body is malformed: %v", err)
		}
		name := pt.FormName()
		switch name {
		case "file":
			part = pt
		case "title", "unit_id", "campaign_id", "theme_id":
			b, err := io.ReadAll(io.LimitReader(pt, 1025))
			if err != nil {
				return uploadReadErr(err, lim)
			}
			if len(b) > 1024 {
				return badRequest("form field %q is longer than 1024 bytes", name)
			}
			fields[name] = string(b)
		default:
			return badRequest("unknown form field %q; send title, unit_id, campaign_id, theme_id and then file", name)
		}
	}
	ids := map[string]*int64{}
	for _, k := range []string{"unit_id", "campaign_id", "theme_id"} {
		if s, ok := fields[k]; ok && s != "" {
			n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
			if err != nil || n <= 0 {
				return badRequest("form field %s=%q is not a positive integer", k, s)
			}
			ids[k] = &n
		}
	}
	unit, err := targetUnit(p, ids["unit_id"])
	if err != nil {
		return err
	}
	title := ""
	if t, ok := fields["title"]; ok && strings.TrimSpace(t) != "" {
		if title, err = name("title", t); err != nil {
			return err
		}
	}
	// Not part.FileName(): it runs the name through filepath.Base, which
	// would quietly turn "../../x.png" into "x.png". Ingest checks the raw
	// name and refuses it.
	_, params, err := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
	if err != nil {
		return errf(http.StatusBadRequest, assets.CodeBadFilename, "the file part's Content-Disposition cannot be read (%v); send a plain file name", err)
	}
	geoms, err := a.o.Store.Geometries(ctx)
	if err != nil {
		return err
	}
	var ag []assets.Geometry
	for _, sg := range geoms {
		if g := pipeline.Geometry(sg.Width, sg.Height, sg.Fit); g.Validate() == nil {
			ag = append(ag, g) // the pipeline records why it cannot render the others
		}
	}
	o, err := a.o.Assets.Ingest(ctx, part, assets.IngestRequest{Filename: params["filename"], Limits: lim, Tools: a.o.Tools, Renditions: ag})
	if err != nil {
		if _, ok := assets.AsError(err); ok {
			return assetErr(err)
		}
		return uploadReadErr(err, lim)
	}

	if title == "" {
		title = strings.TrimSuffix(o.Filename, filepath.Ext(o.Filename))
		if t, err := name("title", title); err == nil {
			title = t
		} else {
			title = "Tệp tải lên"
		}
	}
	nm := store.NewMedia{
		UnitID: unit, CampaignID: ids["campaign_id"], ThemeID: ids["theme_id"], CreatedBy: p.User.ID,
		Title: title, Kind: string(o.Kind), SHA256: o.SHA256, MIME: o.MIME, Bytes: o.Size,
		Width: o.Width, Height: o.Height, DurationMS: o.Duration.Milliseconds(), OriginalName: o.Filename,
	}
	if o.Kind == assets.KindVideo && len(geoms) > 0 {
		nm.Processing = store.ProcessingProcessing
	}
	m, err := a.o.Store.CreateMedia(ctx, p.actor(), nm)
	if err != nil {
		a.discard(o)
		return storeErr(err, "unit", unit)
	}
	var made []renditionOf
	for i := range o.Renditions {
		made = append(made, renditionOf{o.Renditions[i].Geometry, &o.Renditions[i]})
	}
	if m, err = a.keepRenditions(ctx, m, made); err != nil {
		return err
	}
	if m.Current.Processing == store.ProcessingProcessing {
		// A display may have gone since Geometries: with nothing queued
		// the video is ready.
		if err := a.o.Store.SettleRevision(ctx, m.Current.ID); err != nil {
			return err
		}
		if m, err = a.o.Store.Media(ctx, m.ID); err != nil {
			return err
		}
	}
	return c.JSON(http.StatusCreated, m)
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
