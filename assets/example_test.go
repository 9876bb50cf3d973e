package assets_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/pano-signage/pano/assets"
)

// uploadHandler is how thin the controller's POST /api/v1/media can be:
// stream the multipart file part into Ingest, answer an *assets.Error as a
// 4xx JSON body, anything else as a 500.
func uploadHandler(store *assets.Store) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		mr, err := r.MultipartReader() // streams; never ParseMultipartForm
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for {
			part, err := mr.NextPart()
			if err != nil {
				http.Error(w, "no file part", http.StatusBadRequest)
				return
			}
			if part.FormName() != "file" {
				continue
			}
			// part.FileName() runs the name through filepath.Base, which
			// would quietly turn "../../x.png" into "x.png": read the raw
			// parameter so that Ingest can refuse it.
			_, params, _ := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
			o, err := store.Ingest(r.Context(), part, assets.IngestRequest{Filename: params["filename"]})
			if e, ok := assets.AsError(err); ok {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(e.HTTPStatus())
				json.NewEncoder(w).Encode(e)
				return
			}
			if err != nil {
				http.Error(w, "internal error", http.StatusInternalServerError)
				return
			}
			json.NewEncoder(w).Encode(map[string]any{"sha256": o.SHA256, "kind": o.Kind, "width": o.Width, "height": o.Height})
			return
		}
	}
}

func upload(h http.Handler, filename string, data []byte) string {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", filename)
	fw.Write(data)
	mw.Close()
	req := httptest.NewRequest("POST", "/api/v1/media", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	out, _ := io.ReadAll(rec.Body)
	return fmt.Sprintf("%d %s", rec.Code, bytes.TrimSpace(out))
}

func Example_uploadHandler() {
	dir, _ := os.MkdirTemp("", "pano-example-")
	defer os.RemoveAll(dir)
	store, _ := assets.OpenStore(dir)
	h := uploadHandler(store)

	// A notice drawn for 64×32 (the golden of RenderText, so that its
	// bytes, and the SHA-256 below, do not depend on the PNG encoder).
	notice, _ := os.ReadFile("testdata/text/chuyen-doi-so-64x32.png")
	fmt.Println(upload(h, "thong-bao.png", notice))
	fmt.Println(upload(h, "poster.png", []byte("%PDF-1.7\n...")))
	fmt.Println(upload(h, "../../etc/passwd", notice))
	fmt.Println(upload(h, "empty.png", nil))
	// Output:
	// 200 {"height":32,"kind":"image","sha256":"8037b9d3c911dd76e3dd48d6689a38c97f9320535715eca9b24addfcb2051993","width":64}
	// 415 {"code":"unsupported_type","message":"the file is a PDF document; upload a PNG, JPEG, WebP or GIF image or an MP4, MKV/WebM, AVI, MPEG or Ogg video"}
	// 400 {"code":"bad_filename","message":"the file name \"../../etc/passwd\" contains a path separator"}
	// 422 {"code":"empty","message":"the file is empty"}
}
