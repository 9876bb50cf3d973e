package web

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// TestAdminAuditWords checks that every audit action and object type the
// admin page offers as a filter has a string in both languages (admin.js
// builds those keys, so TestScriptKeysExist cannot see them).
func TestAdminAuditWords(t *testing.T) {
	b, err := fs.ReadFile(Static, "admin.js")
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	word := regexp.MustCompile(`'([a-z_.]+)'`)
	for _, list := range []struct{ name, prefix string }{{"actions", "adm_act_"}, {"objects", "adm_obj_"}} {
		m := regexp.MustCompile(`const ` + list.name + ` = \[([^\]]+)\]`).FindStringSubmatch(src)
		if m == nil {
			t.Fatalf("admin.js has no const %s = [...]", list.name)
		}
		words := word.FindAllStringSubmatch(m[1], -1)
		if len(words) < 10 {
			t.Fatalf("%s: only %d words", list.name, len(words))
		}
		for _, w := range words {
			key := list.prefix + strings.ReplaceAll(w[1], ".", "_")
			for _, lang := range []string{"vi", "en"} {
				if _, ok := messages[lang][key]; !ok {
					t.Errorf("%s: no %s string %q", list.name, lang, key)
				}
			}
		}
	}
	for _, r := range []string{"admin", "approver", "editor", "technician", "viewer"} {
		if _, ok := messages["vi"]["adm_rolehelp_"+r]; !ok {
			t.Errorf("no adm_rolehelp_%s", r)
		}
	}
}
