package driver

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	profiles "github.com/pano-signage/pano/firmware-profiles"
)

// FuzzProfile feeds any bytes to what the agent does with a firmware
// profile file (pano-agent profile check FILE, enroll --profile FILE): the
// YAML parser, an override, and the named driver's settings check. Beyond
// not panicking: a profile parsed has its name and driver, an override is
// refused or changes only its key, and a driver refuses bad settings with
// a *SettingError naming the key.
func FuzzProfile(f *testing.F) {
	names, err := filepath.Glob("../../../firmware-profiles/*.yaml")
	if err != nil || len(names) == 0 {
		f.Fatalf("no bundled profiles: %v", err)
	}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "width=96")
	}
	f.Add([]byte("name: x\ndriver: virtual\nsettings: {width: &a 8, height: *a}\n"), "height=[1, 2]")
	f.Fuzz(func(t *testing.T, data []byte, set string) {
		if len(data) > 64<<10 {
			return
		}
		p, err := profiles.Parse("fuzz.yaml", data)
		if err != nil {
			return
		}
		if p.Name == "" || p.Driver == "" || p.Settings == nil {
			t.Fatalf("parsed a profile without name, driver or settings: %+v", p)
		}
		_ = p.Where("width")
		_ = p.Where("/driver")
		_, _ = p.Int("width")
		q, err := p.With([]string{set})
		if err == nil {
			key, _, _ := strings.Cut(set, "=")
			key = strings.TrimSpace(key)
			if len(q.Settings) != len(p.Settings) {
				t.Fatalf("override %q changed the keys: %v → %v", set, p.Settings, q.Settings)
			}
			if !strings.HasPrefix(q.Where(key), "--set ") {
				t.Fatalf("override %q: Where(%q) = %q", set, key, q.Where(key))
			}
		}
		for _, prof := range []profiles.Profile{p, q} {
			if prof.Settings == nil {
				continue
			}
			err := Check(prof.Driver, Settings(prof.Settings))
			var se *SettingError
			if err != nil && !errors.As(err, &se) && !strings.Contains(err.Error(), "unknown driver") {
				t.Fatalf("driver %q refused settings without naming the key: %v", prof.Driver, err)
			}
		}
	})
}
