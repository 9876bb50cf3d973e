package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/pano-signage/pano/controller/internal/pipeline"
	"github.com/pano-signage/pano/controller/internal/store"
)

// TestPreviewTextSaysTickerAndSmall draws unsaved notices for two panels
// and checks the pixels' size and the warnings; nothing is stored.
func TestPreviewTextSaysTickerAndSmall(t *testing.T) {
	v := newEnv(t)
	ed := v.session(v.user(store.RoleEditor, v.unitA.ID))
	geoms := []map[string]any{{"width": 64, "height": 32}, {"width": 128, "height": 64, "fit": "cover"}}
	medium := "Dịch vụ công trực tuyến"
	type want struct{ ticker, auto, small, paged bool }
	for _, tc := range []struct {
		name  string
		body  map[string]any
		wants []want // per geometry
	}{
		{"short", map[string]any{"title": "", "body": "Chào mừng"}, []want{{small: true}, {}}},
		{"medium pages on the small panel", map[string]any{"title": "Thông báo", "body": medium}, []want{{small: true, paged: true}, {}}},
		{"long becomes a ticker", map[string]any{"title": "Thông báo", "body": strings.Repeat(medium+". ", 12)}, []want{{ticker: true, auto: true}, {ticker: true, auto: true}}},
		{"a ticker asked for", map[string]any{"title": "Tin nhanh", "body": "Chào mừng", "style": map[string]any{"ticker": map[string]any{"pixels_per_second": 40}}}, []want{{ticker: true}, {ticker: true}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := v.tableCounts()
			tc.body["geometries"] = geoms
			var got list[textPreview]
			must(t, v.do(ed, "POST", "/media/preview-text", tc.body), 200).json(t, &got)
			if len(got.Items) != 2 {
				t.Fatalf("items: %+v", got.Items)
			}
			for i, p := range got.Items {
				w := tc.wants[i]
				if p.Ticker != w.ticker || p.AutoTicker != w.auto || p.Small != w.small || p.Paged != w.paged {
					t.Errorf("%d×%d: ticker %v auto %v small %v paged %v (text %d px), want %+v", p.Width, p.Height, p.Ticker, p.AutoTicker, p.Small, p.Paged, p.TextPx, w)
				}
				if p.Paged && (len(p.Pages) < 2 || len(p.Pages) != len(p.PageSeconds) || p.Pages[0] != p.PNG) {
					t.Errorf("%d×%d: %d pages, seconds %v", p.Width, p.Height, len(p.Pages), p.PageSeconds)
				}
				data, err := base64.StdEncoding.DecodeString(p.PNG)
				if err != nil {
					t.Fatal(err)
				}
				img, err := png.Decode(bytes.NewReader(data))
				if err != nil {
					t.Fatal(err)
				}
				if b := img.Bounds(); b.Dy() != p.Height || b.Dx() != p.FileWidth || (!p.Ticker && b.Dx() != p.Width) || (p.Ticker && b.Dx() <= p.Width) {
					t.Errorf("%d×%d: PNG is %v, file_width %d", p.Width, p.Height, b, p.FileWidth)
				}
				if p.TextPx < 13 {
					t.Errorf("%d×%d: text_px %d", p.Width, p.Height, p.TextPx)
				}
			}
			if after := v.tableCounts(); after["media"] != before["media"] || after["renditions"] != before["renditions"] {
				t.Fatalf("a preview stored something: %v → %v", before, after)
			}
		})
	}
	for _, tc := range []struct {
		body map[string]any
		code string
	}{
		{map[string]any{"body": "x", "style": map[string]any{"color": "red"}}, "bad_notice"},
		{map[string]any{"body": ""}, "bad_notice"},
		{map[string]any{"body": "x", "geometries": []map[string]any{{"width": 0, "height": 32}}}, "bad_geometry"},
		{map[string]any{"body": strings.Repeat("a", MaxTextBody+1)}, "too_long"},
	} {
		if r := v.do(ed, "POST", "/media/preview-text", tc.body); r.Status != 400 || r.code() != tc.code {
			t.Errorf("%v: %d %s, want 400 %s", tc.body, r.Status, r.Body, tc.code)
		}
	}
}

// renderedText is a text notice of unit with its 64×32 rendition stored.
func (v *env) renderedText(unit int64) int64 {
	v.t.Helper()
	ctx := context.Background()
	id := v.media(unit, store.StatusDraft)
	m, err := v.st.Media(ctx, id)
	if err != nil {
		v.t.Fatal(err)
	}
	g := pipeline.Geometry(64, 32, "contain")
	r, err := pipeline.RenderNotice(m.Current, g)
	if err == nil {
		err = v.as.PutRendition(r)
	}
	var row store.Rendition
	if err == nil {
		row, err = pipeline.Row(m.Current.ID, g, r)
	}
	if err == nil {
		err = v.st.PutRendition(ctx, row)
	}
	if err != nil {
		v.t.Fatal(err)
	}
	return id
}

// TestPreviewTextPerPanel: one panel that cannot be previewed does not
// break the others. A display's own geometry is drawn at any size (a
// 1920×1080 HDMI screen), a size no display has only up to MaxPreviewSide;
// a ticker too large for a tall panel is that panel's error, refused
// before its strip is drawn; and when every previewing slot is taken, the
// answer is 503 busy rather than more memory.
func TestPreviewTextPerPanel(t *testing.T) {
	v := newEnv(t)
	ed := v.session(v.user(store.RoleEditor, v.unitA.ID))
	if _, err := v.st.CreateDisplay(context.Background(), store.System, store.Display{Name: v.uniq("hdmi"), Width: 1920, Height: 1080, Fit: "contain", Profile: "virtual"}); err != nil {
		t.Fatal(err)
	}
	if _, err := v.st.CreateDisplay(context.Background(), store.System, store.Display{Name: v.uniq("khong-lo"), Width: 10000, Height: 40, Fit: "contain", Profile: "virtual"}); err != nil {
		t.Fatal(err)
	}
	geoms := []map[string]any{{"width": 64, "height": 32}, {"width": 1920, "height": 1080}, {"width": 2000, "height": 1000}, {"width": 1024, "height": 1024}, {"width": 10000, "height": 40}}
	var got list[textPreview]
	must(t, v.do(ed, "POST", "/media/preview-text", map[string]any{"title": "Thông báo", "body": "Chào mừng", "geometries": geoms}), 200).json(t, &got)
	if len(got.Items) != 5 {
		t.Fatalf("items: %+v", got.Items)
	}
	for i, wantErr := range []string{"", "", "bad_geometry", "", "bad_geometry"} {
		p := got.Items[i]
		code := ""
		if p.Error != nil {
			code = p.Error.Code
		}
		if code != wantErr || (wantErr == "" && p.PNG == "") || (wantErr != "" && p.PNG != "") {
			t.Errorf("%d×%d: error %q, png %d bytes; want error %q", p.Width, p.Height, code, len(p.PNG), wantErr)
		}
	}

	long := strings.Repeat("Thông báo lịch tiêm chủng ", 31) // ~800 characters
	big := []map[string]any{{"width": 1024, "height": 1024}, {"width": 128, "height": 64}}
	must(t, v.do(ed, "POST", "/media/preview-text", map[string]any{"body": long, "style": map[string]any{"ticker": map[string]any{}}, "geometries": big}), 200).json(t, &got)
	if len(got.Items) != 2 || got.Items[0].Error == nil || got.Items[0].Error.Code != "ticker_too_large" || got.Items[1].Error != nil || !got.Items[1].Ticker {
		t.Fatalf("a long ticker: %+v", got.Items)
	}

	defer func(d time.Duration) { previewWait = d }(previewWait)
	previewWait = 20 * time.Millisecond
	for range cap(v.api.previewing) {
		v.api.previewing <- struct{}{}
	}
	r := v.do(ed, "POST", "/media/preview-text", map[string]any{"body": "x"})
	for range cap(v.api.previewing) {
		<-v.api.previewing
	}
	if r.Status != 503 || r.code() != "busy" {
		t.Errorf("all slots taken: %d %s, want 503 busy", r.Status, r.Body)
	}

	// One person draws one preview at a time, so one editor's requests
	// never hold both slots: while one of theirs draws, the next waits
	// (here past previewWait: busy); another editor still gets a slot.
	var me sessionOut
	must(t, v.do(ed, "GET", "/me", nil), 200).json(t, &me)
	mine := make(chan struct{}, 1)
	mine <- struct{}{} // a preview of theirs is being drawn
	v.api.previewMu.Lock()
	v.api.previewers[me.User.ID] = mine
	v.api.previewMu.Unlock()
	r = v.do(ed, "POST", "/media/preview-text", map[string]any{"body": "x"})
	if r.Status != 503 || r.code() != "busy" {
		t.Errorf("a second preview of the same editor: %d %s, want 503 busy", r.Status, r.Body)
	}
	other := v.session(v.user(store.RoleEditor, v.unitB.ID))
	must(t, v.do(other, "POST", "/media/preview-text", map[string]any{"body": "x"}), 200)
	<-mine // theirs is done
	must(t, v.do(ed, "POST", "/media/preview-text", map[string]any{"body": "x"}), 200)
}
