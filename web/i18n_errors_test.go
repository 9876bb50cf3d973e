package web

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestErrorPlaceholders: an error string names the same {params} in both
// languages, so that switching language loses no value.
func TestErrorPlaceholders(t *testing.T) {
	re := regexp.MustCompile(`\{([a-z_]+)\}`)
	names := func(s string) []string {
		var out []string
		for _, m := range re.FindAllStringSubmatch(s, -1) {
			out = append(out, m[1])
		}
		slices.Sort(out)
		return out
	}
	n := 0
	for key, vi := range messages["vi"] {
		if !strings.HasPrefix(key, "err_") {
			continue
		}
		n++
		if a, b := names(vi), names(messages["en"][key]); !slices.Equal(a, b) {
			t.Errorf("%s: Vietnamese names %v, English %v", key, a, b)
		}
	}
	if n < 40 {
		t.Fatalf("only %d error strings", n)
	}
	if !HasString("vi", "err_bad_request") || !HasString("en", "err_bad_request") || HasString("en", "no_such_key") {
		t.Fatal("HasString is wrong")
	}
}
