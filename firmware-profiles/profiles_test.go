package profiles

import (
	"strings"
	"testing"
)

func TestLoadVirtualWithOverrides(t *testing.T) {
	p, err := Load("virtual", []string{"width=128", "height=64"})
	if err != nil {
		t.Fatal(err)
	}
	w, _ := p.Int("width")
	h, _ := p.Int("height")
	if p.Driver != "virtual" || w != 128 || h != 64 {
		t.Fatalf("profile = %+v", p)
	}
	// The bundled profile itself is unchanged.
	q, _ := Load("virtual", nil)
	if w, _ := q.Int("width"); w != 64 {
		t.Fatalf("override leaked into the bundled profile: width %d", w)
	}
}

func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		name, profile string
		set           []string
		want          string
	}{
		{"unknown profile", "nope", nil, `profile "nope" not found (bundled: `},
		{"unknown key", "virtual", []string{"widht=3"}, `has no setting "widht"`},
		{"no equals", "virtual", []string{"width"}, "write KEY=VALUE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.profile, tc.set)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestParseRefusesUnknownKeys(t *testing.T) {
	_, err := Parse("x.yaml", []byte("name: x\ndriver: virtual\ncolour: red\n"))
	if err == nil || !strings.Contains(err.Error(), "x.yaml") || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("err = %v, want file and line", err)
	}
}

func TestEveryBundledProfileParses(t *testing.T) {
	for _, n := range Names() {
		if _, err := Load(n, nil); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
}

func TestWhereNamesLineOrOverride(t *testing.T) {
	p, err := Parse("x.yaml", []byte("name: x\ndriver: ddp\nsettings:\n  width: 4\n  height: 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	q, err := p.With([]string{"height=8"})
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{"width": "x.yaml:4", "height": "--set height=8", "gamma": "x.yaml", "/driver": "x.yaml:2"} {
		if got := q.Where(key); got != want {
			t.Errorf("Where(%q) = %q, want %q", key, got, want)
		}
	}
	if p.Where("height") != "x.yaml:5" {
		t.Errorf("override leaked into the original profile: %s", p.Where("height"))
	}
}
