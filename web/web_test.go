package web

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

func TestMessagesComplete(t *testing.T) {
	for key := range messages["vi"] {
		if _, ok := messages["en"][key]; !ok {
			t.Errorf("key %q has no English string", key)
		}
	}
	for key := range messages["en"] {
		if _, ok := messages["vi"][key]; !ok {
			t.Errorf("key %q has no Vietnamese string", key)
		}
	}
}

// TestScriptKeysExist checks that every t('key') in the scripts, and every
// key they build from an API value (status_…, kind_…, role_…, cmd_…, by_…),
// has a string.
func TestScriptKeysExist(t *testing.T) {
	re := regexp.MustCompile(`\bt\('([a-z_]+)'\)`)
	found := 0
	err := fs.WalkDir(Static, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || !strings.HasSuffix(path, ".js") {
			return err
		}
		b, err := fs.ReadFile(Static, path)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			found++
			if _, ok := messages["vi"][m[1]]; !ok {
				t.Errorf("%s asks for t(%q), which has no string", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found < 20 {
		t.Fatalf("found only %d t('…') calls in the scripts; is the pattern stale?", found)
	}
	var built []string
	for _, s := range []string{"draft", "pending", "approved", "rejected"} {
		built = append(built, "status_"+s)
	}
	for _, s := range []string{"image", "video", "text"} {
		built = append(built, "kind_"+s)
	}
	for _, s := range []string{"admin", "approver", "editor", "technician", "viewer"} {
		built = append(built, "role_"+s)
	}
	// displays.js builds these from API values.
	for _, s := range []string{"identify", "blank", "unblank", "test_pattern", "brightness", "restart_player", "resync", "screenshot"} {
		built = append(built, "dsp_cmd_"+s)
	}
	for _, s := range []string{"never_connected", "online", "offline", "blanked", "test_pattern", "identify", "urgent", "panel_error", "power_off"} {
		built = append(built, "dsp_state_"+s)
	}
	for _, s := range []string{"override", "window", "day", "night", "profile"} {
		built = append(built, "dsp_bsrc_"+s)
	}
	for _, s := range []string{"schema", "panel", "other"} {
		built = append(built, "dsp_refused_"+s)
	}
	for _, s := range []string{"ok", "starting", "blanked", "test_pattern", "identify", "error", "other"} {
		built = append(built, "dsp_drv_"+s)
	}
	for _, s := range []string{"offline", "frozen", "storage", "driver"} {
		built = append(built, "dsp_alert_"+s)
	}
	for _, s := range []string{"no_plan", "no_entry", "nothing_playable"} {
		built = append(built, "dsp_fb_"+s)
	}
	for _, s := range []string{"contain", "cover", "stretch"} {
		built = append(built, "dsp_fit_"+s)
	}
	for _, s := range []string{"bars", "grid", "gradient", "walk", "red", "green", "blue", "white"} {
		built = append(built, "dsp_pat_"+s)
	}
	for _, s := range []string{"campaign", "day", "display"} {
		built = append(built, "by_"+s)
	}
	for _, s := range []string{"approve", "reject", "submit"} {
		built = append(built, "done_"+s, s)
	}
	for _, p := range Pages {
		built = append(built, "nav_"+p.Name)
	}
	for _, k := range built {
		if _, ok := messages["vi"][k]; !ok {
			t.Errorf("no string for %q", k)
		}
	}
}

var (
	inlineScript = regexp.MustCompile(`<script(?:\s+[^>]*)?>`)
	inlineStyle  = regexp.MustCompile(`(?i)<style|\sstyle=|\son[a-z]+=`)
)

func TestRenderPages(t *testing.T) {
	for _, pi := range Pages {
		page := pi.Name
		for _, tc := range []struct {
			lang            Lang
			nav, logout, sw string
		}{
			{"", "Màn hình", "Đăng xuất", "English"},
			{"en", "Screens", "Log out", "Tiếng Việt"},
		} {
			t.Run(page+"/"+tc.lang.String(), func(t *testing.T) {
				var b bytes.Buffer
				if err := RenderPage(&b, Page{Name: page, Lang: tc.lang, Version: "v1", TZ: "Asia/Ho_Chi_Minh"}); err != nil {
					t.Fatal(err)
				}
				html := b.String()
				for _, want := range []string{`lang="` + tc.lang.String() + `"`, tc.nav, tc.logout, tc.sw,
					`<script src="/static/pano.js" defer></script>`, `<script src="/static/` + page + `.js" defer></script>`,
					`data-tz="Asia/Ho_Chi_Minh"`, `id="login-form"`} {
					if !strings.Contains(html, want) {
						t.Errorf("page lacks %q:\n%s", want, html)
					}
				}
				// The CSP forbids inline code: every script has a src but
				// the JSON data block, and there are no inline styles or
				// event handler attributes.
				for _, tag := range inlineScript.FindAllString(html, -1) {
					if !strings.Contains(tag, " src=") && tag != `<script type="application/json" id="messages">` {
						t.Errorf("inline script %s", tag)
					}
				}
				if m := inlineStyle.FindString(html); m != "" {
					t.Errorf("inline style or handler %q", m)
				}
				// The scripts' strings are the page's language, as JSON.
				i := strings.Index(html, `id="messages">`) + len(`id="messages">`)
				j := strings.Index(html[i:], "</script>")
				var msgs map[string]string
				if err := json.Unmarshal([]byte(html[i:i+j]), &msgs); err != nil {
					t.Fatalf("messages block: %v\n%s", err, html[i:i+j])
				}
				if msgs["nav_displays"] != tc.nav || len(msgs) != len(messages["vi"]) {
					t.Errorf("messages block has nav_displays=%q and %d keys", msgs["nav_displays"], len(msgs))
				}
			})
		}
	}
	if err := RenderPage(&bytes.Buffer{}, Page{Name: "nope"}); err == nil {
		t.Error("an unknown page rendered")
	}
	if err := RenderPage(&bytes.Buffer{}, Page{Name: "page"}); err == nil {
		t.Error("an unknown page rendered")
	}
}

func TestRenderPageEscapes(t *testing.T) {
	var b bytes.Buffer
	if err := RenderPage(&b, Page{Name: "displays", Version: `<script>x</script>`}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "<script>x") {
		t.Error("the version was not escaped")
	}
}
