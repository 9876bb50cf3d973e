// Package profiles loads firmware profiles: one YAML file per LED controller
// card or receiver kind, saying which driver it needs and with which
// settings. The files in this folder are embedded into pano-agent.
package profiles

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed *.yaml
var files embed.FS

// Profile is a parsed firmware profile.
type Profile struct {
	Name        string         `yaml:"name"`
	Description string         `yaml:"description"`
	Driver      string         `yaml:"driver"`
	Settings    map[string]any `yaml:"settings"`

	File string `yaml:"-"` // where it was loaded from

	lines map[string]int    // settings key → line in File
	sets  map[string]string // settings key → the --set that changed it
}

// Names lists the bundled profiles.
func Names() []string {
	entries, _ := fs.Glob(files, "*.yaml")
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e, ".yaml"))
	}
	sort.Strings(out)
	return out
}

// Load returns the bundled profile name with overrides ("key=value", the
// value read as a YAML scalar) applied over its settings.
func Load(name string, overrides []string) (Profile, error) {
	file := name + ".yaml"
	data, err := files.ReadFile(file)
	if err != nil {
		return Profile{}, fmt.Errorf("profile %q not found (bundled: %s)", name, strings.Join(Names(), ", "))
	}
	p, err := Parse(file, data)
	if err != nil {
		return Profile{}, err
	}
	return p.With(overrides)
}

// Parse reads a profile, refusing unknown keys.
func Parse(file string, data []byte) (Profile, error) {
	var p Profile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		return Profile{}, fmt.Errorf("%s: %w", file, err)
	}
	p.File = file
	p.lines = settingLines(data)
	switch {
	case p.Name == "":
		return Profile{}, fmt.Errorf("%s: key \"name\" is required", file)
	case p.Driver == "":
		return Profile{}, fmt.Errorf("%s: key \"driver\" is required", file)
	}
	if p.Settings == nil {
		p.Settings = map[string]any{}
	}
	return p, nil
}

// With returns a copy of p with overrides applied. A key the profile does not
// have is refused: a typo must not be silently ignored on site.
func (p Profile) With(overrides []string) (Profile, error) {
	p.Settings = maps.Clone(p.Settings)
	p.sets = maps.Clone(p.sets)
	if p.sets == nil {
		p.sets = map[string]string{}
	}
	for _, o := range overrides {
		key, raw, ok := strings.Cut(o, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" {
			return Profile{}, fmt.Errorf("--set %q: write KEY=VALUE, for example --set width=128", o)
		}
		if _, known := p.Settings[key]; !known {
			return Profile{}, fmt.Errorf("--set %s: profile %q has no setting %q (it has: %s)", o, p.Name, key, strings.Join(sortedKeys(p.Settings), ", "))
		}
		var v any
		if err := yaml.Unmarshal([]byte(raw), &v); err != nil || v == nil {
			v = raw
		}
		p.Settings[key] = v
		p.sets[key] = o
	}
	return p, nil
}

// settingLines finds the line of each key under "settings". The document
// has decoded already, so a node that does not parse here is not an error.
func settingLines(data []byte) map[string]int {
	lines := map[string]int{}
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return lines
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		lines["/"+root.Content[i].Value] = root.Content[i].Line
		if root.Content[i].Value != "settings" {
			continue
		}
		lines["settings"] = root.Content[i].Line
		m := root.Content[i+1]
		for j := 0; j+1 < len(m.Content); j += 2 {
			lines[m.Content[j].Value] = m.Content[j].Line
		}
	}
	return lines
}

// Where says where setting key came from, for error messages:
// "--set width=0" when an override set it, "FILE:LINE" when the file did,
// and the file alone for a setting the file leaves to the driver's default.
// A key starting with "/" names a top-level key instead: "/driver".
func (p Profile) Where(key string) string {
	if o, ok := p.sets[key]; ok {
		return "--set " + o
	}
	if l, ok := p.lines[key]; ok {
		return fmt.Sprintf("%s:%d", p.File, l)
	}
	return p.File
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

var errNotInt = errors.New("not a whole number")

// Int reads a whole-number setting.
func (p Profile) Int(key string) (int, error) {
	if v, ok := p.Settings[key].(int); ok {
		return v, nil
	}
	return 0, fmt.Errorf("%s: setting %q: %w (got %v)", p.File, key, errNotInt, p.Settings[key])
}
