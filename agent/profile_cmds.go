package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pano-signage/pano/agent/internal/driver"
	"github.com/pano-signage/pano/agent/internal/pattern"
	profiles "github.com/pano-signage/pano/firmware-profiles"
)

// settingError turns a driver's complaint about one setting into an error
// that says where that setting came from: FILE:LINE, or the --set flag.
func settingError(prof profiles.Profile, err error) error {
	var se *driver.SettingError
	if errors.As(err, &se) {
		return usageError{fmt.Sprintf("%s: %v", prof.Where(se.Key), err)}
	}
	return usageError{fmt.Sprintf("%s: %v", prof.Where("/driver"), err)}
}

// checkFPS refuses a frame rate the profile's link cannot carry; from
// says where the rate came from ("--fps 400").
func checkFPS(prof profiles.Profile, fps float64, from string) error {
	if err := driver.CheckFPS(prof.Driver, driver.Settings(prof.Settings), fps); err != nil {
		return usageError{fmt.Sprintf("%s: profile %s (%s): %v", from, prof.Name, prof.Where("link_mbit"), err)}
	}
	return nil
}

// setFrameRate tells a driver that paces its packets the frame rate.
func setFrameRate(d driver.Driver, fps float64) {
	if r, ok := d.(driver.FrameRater); ok {
		r.SetFrameRate(fps)
	}
}

// openDriver checks the profile's settings, then opens its driver.
func openDriver(prof profiles.Profile) (driver.Driver, error) {
	if err := driver.Check(prof.Driver, driver.Settings(prof.Settings)); err != nil {
		return nil, settingError(prof, err)
	}
	d, err := driver.Open(prof.Driver, driver.Settings(prof.Settings))
	if err != nil {
		var se *driver.SettingError
		if errors.As(err, &se) {
			return nil, settingError(prof, err)
		}
		return nil, fmt.Errorf("profile %s: %w", prof.Name, err)
	}
	return d, nil
}

func listProfiles(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("profiles")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tDRIVER\tDESCRIPTION")
	for _, n := range profiles.Names() {
		p, err := profiles.Load(n, nil)
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Name, p.Driver, p.Description)
	}
	return tw.Flush()
}

// loadProfile reads a bundled profile by name, or a profile file by path.
func loadProfile(nameOrFile string, sets []string) (profiles.Profile, error) {
	if !strings.ContainsAny(nameOrFile, "/.") {
		p, err := profiles.Load(nameOrFile, sets)
		if err != nil {
			return p, usageError{err.Error()}
		}
		return p, nil
	}
	data, err := os.ReadFile(nameOrFile)
	if err != nil {
		return profiles.Profile{}, usageError{fmt.Sprintf("profile file: %v", err)}
	}
	p, err := profiles.Parse(nameOrFile, data)
	if err != nil {
		return p, usageError{err.Error()}
	}
	p, err = p.With(sets)
	if err != nil {
		return p, usageError{err.Error()}
	}
	return p, nil
}

func checkProfile(args []string, stdout, stderr io.Writer) error {
	var sets multiFlag
	var fps float64
	fs := newFlagSet("profile check")
	fs.Var(&sets, "set", "override a setting, KEY=VALUE (repeatable), checked with the file")
	fs.Float64Var(&fps, "fps", 25, "frame rate to check against the link the profile declares (link_mbit)")
	// FILE may come before or after the flags.
	var file string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "usage: pano-agent profile check [--set KEY=VALUE ...] [--fps N] FILE|NAME")
			return err
		}
		return usageError{fmt.Sprintf("profile check: %v", err)}
	}
	if file == "" && fs.NArg() == 1 {
		file = fs.Arg(0)
	} else if fs.NArg() > 0 || file == "" {
		return usageError{"profile check: give one profile file (or bundled name): pano-agent profile check FILE"}
	}
	p, err := loadProfile(file, sets)
	if err != nil {
		return err
	}
	if err := driver.Check(p.Driver, driver.Settings(p.Settings)); err != nil {
		return settingError(p, err)
	}
	if err := checkFPS(p, fps, fmt.Sprintf("--fps %g", fps)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: ok (profile %s, driver %s)\n", p.File, p.Name, p.Driver)
	return nil
}

func runTestPattern(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var (
		profileName, spec string
		frames            int
		fps               float64
		brightness        int
		sets              multiFlag
	)
	fs := newFlagSet("test-pattern")
	fs.StringVar(&profileName, "profile", "virtual", "firmware profile (bundled name or file)")
	fs.Var(&sets, "set", "override a profile setting, KEY=VALUE (repeatable), e.g. --set host=10.0.0.7")
	fs.StringVar(&spec, "pattern", "walk", "pattern: "+pattern.Names)
	fs.IntVar(&frames, "frames", 0, "frames to send; 0 sends until interrupted")
	fs.Float64Var(&fps, "fps", 25, "frames per second")
	fs.IntVar(&brightness, "brightness", -1, "brightness 0–100 %; -1 keeps the profile's")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if fps <= 0 || fps > 10000 {
		return usageError{fmt.Sprintf("--fps %v: use a rate above 0 and at most 10000", fps)}
	}
	if frames < 0 {
		return usageError{fmt.Sprintf("--frames %d: use 0 (until interrupted) or more", frames)}
	}
	pat, err := pattern.Parse(spec)
	if err != nil {
		return usageError{err.Error()}
	}
	prof, err := loadProfile(profileName, sets)
	if err != nil {
		return err
	}
	if err := driver.Check(prof.Driver, driver.Settings(prof.Settings)); err != nil {
		return settingError(prof, err)
	}
	if err := checkFPS(prof, fps, fmt.Sprintf("--fps %g", fps)); err != nil {
		return err
	}
	drv, err := openDriver(prof)
	if err != nil {
		return err
	}
	defer drv.Close()
	setFrameRate(drv, fps)
	if brightness >= 0 {
		if err := drv.SetBrightness(brightness); err != nil {
			return usageError{fmt.Sprintf("--brightness: %v", err)}
		}
	}
	frame := image.NewRGBA(image.Rectangle{Max: drv.Bounds().Size()})
	tick := time.NewTicker(time.Duration(float64(time.Second) / fps))
	defer tick.Stop()
	start := time.Now()
	var sent, failed int
	var lastErr error
	up := true
loop:
	for n := 0; frames == 0 || n < frames; n++ {
		if n > 0 {
			select {
			case <-ctx.Done():
				break loop
			case <-tick.C:
			}
		}
		pat.Draw(frame, n)
		if err := drv.Draw(frame); err != nil {
			failed++
			lastErr = err
			if up { // report changes, not every failed frame
				fmt.Fprintf(stderr, "output down: %v (retrying)\n", err)
				up = false
			}
			continue
		}
		sent++
		if !up {
			fmt.Fprintln(stderr, "output up again")
			up = true
		}
	}
	el := time.Since(start)
	size := drv.Bounds().Size()
	fmt.Fprintf(stdout, "test-pattern %s on %s (%s, %dx%d): %d frames sent, %d failed, in %.1f s\n",
		spec, prof.Name, prof.Driver, size.X, size.Y, sent, failed, el.Seconds())
	if sent == 0 && lastErr != nil {
		return fmt.Errorf("no frame reached the panel: %w", lastErr)
	}
	return nil
}
