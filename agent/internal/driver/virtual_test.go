package driver

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"image"
	"image/color"
	"path/filepath"
	"strings"
	"testing"
)

func TestVirtualKeepsLastFrame(t *testing.T) {
	d, err := Open("virtual", Settings{"width": 4, "height": 2})
	if err != nil {
		t.Fatal(err)
	}
	v := d.(*Virtual)
	f := image.NewRGBA(image.Rect(0, 0, 4, 2))
	f.Set(3, 1, color.RGBA{R: 200, G: 10, B: 5, A: 255})
	if err := v.Draw(f); err != nil {
		t.Fatal(err)
	}
	f.Set(3, 1, color.RGBA{}) // the driver must have copied the frame
	got, n := v.Snapshot()
	if n != 1 || got.RGBAAt(3, 1) != (color.RGBA{R: 200, G: 10, B: 5, A: 255}) {
		t.Fatalf("snapshot pixel %v after %d frames", got.RGBAAt(3, 1), n)
	}
	if err := v.Halt(); err != nil {
		t.Fatal(err)
	}
	if got, _ := v.Snapshot(); got.RGBAAt(3, 1) != (color.RGBA{A: 255}) {
		t.Fatalf("after Halt pixel is %v, want black", got.RGBAAt(3, 1))
	}
	if err := v.Draw(image.NewRGBA(image.Rect(0, 0, 2, 2))); err == nil || !strings.Contains(err.Error(), "frame is") {
		t.Fatalf("wrong-size frame: err = %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open("nope", nil); err == nil || !strings.Contains(err.Error(), `unknown driver "nope"`) {
		t.Fatalf("unknown driver: %v", err)
	}
	if _, err := Open("virtual", Settings{"width": 4}); err == nil || !strings.Contains(err.Error(), `"height" is missing`) {
		t.Fatalf("missing height: %v", err)
	}
	if _, err := Open("virtual", Settings{"width": 4.5, "height": 2}); err == nil || !strings.Contains(err.Error(), "whole number") {
		t.Fatalf("fractional width: %v", err)
	}
}

func TestRegisterRefusesDuplicates(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("registering virtual twice did not panic")
		}
	}()
	Register("virtual", Kind{Open: func(Settings) (Driver, error) { return nil, nil }, Check: func(Settings) error { return nil }})
}

func TestVirtualBrightness(t *testing.T) {
	v, _ := NewVirtual(1, 1)
	if err := v.SetBrightness(50); err != nil {
		t.Fatal(err)
	}
	f := image.NewRGBA(image.Rect(0, 0, 1, 1))
	f.SetRGBA(0, 0, color.RGBA{R: 200, G: 100, B: 1, A: 255})
	v.Draw(f)
	if got, _ := v.Snapshot(); got.RGBAAt(0, 0) != (color.RGBA{R: 100, G: 50, B: 0, A: 255}) {
		t.Fatalf("at 50 %%: %v", got.RGBAAt(0, 0))
	}
	if err := v.SetBrightness(-1); err == nil {
		t.Fatal("brightness -1 accepted")
	}
}

func TestCheckNamesTheKey(t *testing.T) {
	for _, tc := range []struct {
		s        Settings
		key, msg string
	}{
		{Settings{"width": 4}, "height", "is missing"},
		{Settings{"width": 4, "height": 0}, "height", "width and height must be 1–8192"},
		{Settings{"width": "wide", "height": 2}, "width", "must be a whole number"},
		{Settings{"width": 4, "height": 2, "colour": "red"}, "colour", "is not a setting of this driver"},
	} {
		err := Check("virtual", tc.s)
		var se *SettingError
		if !errors.As(err, &se) || se.Key != tc.key || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%v: err %v, want key %q and %q", tc.s, err, tc.key, tc.msg)
		}
	}
}

// TestEveryBuiltDriverIsRegistered: every driver constructor in this
// package (func NewX) is reachable by a profile, through the registry: a
// driver that is built and tested but that no profile can select is dead
// code that looks like a feature.
func TestEveryBuiltDriverIsRegistered(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	registered := map[string]bool{}
	for _, n := range Names() {
		registered[n] = true
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !strings.HasPrefix(fn.Name.Name, "New") {
				continue
			}
			name := strings.ToLower(strings.TrimPrefix(fn.Name.Name, "New"))
			if !registered[name] {
				t.Errorf("%s: %s builds driver %q, which is not registered (registered: %v)", f, fn.Name.Name, name, Names())
			}
		}
	}
}
