package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/pano-signage/pano/agent/internal/daemon"
	"github.com/pano-signage/pano/agent/internal/driver"
	"github.com/pano-signage/pano/agent/internal/link"
	"github.com/pano-signage/pano/protocol"
)

// enroll exchanges a one-time code for a device credential and writes the
// agent's config to the state directory; `pano-agent run --state DIR` then
// needs nothing else.
func enroll(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var (
		cfg        daemon.Config
		code       string
		state      string
		sets       multiFlag
		hostname   string
		replaceOld bool
	)
	hostname, _ = os.Hostname()
	fs := newFlagSet("enroll")
	fs.StringVar(&cfg.Controller, "controller", "", "controller URL, ws://HOST:PORT or wss://HOST (required); several replicas comma-separated, tried in turn")
	fs.StringVar(&code, "code", "", "one-time enrolment code from a technician, e.g. K7QM-4XTR-P9WA (required)")
	fs.StringVar(&state, "state", "./agent-state", "state directory to write: config, credential, later plan, cache, journal")
	fs.StringVar(&cfg.Profile, "profile", "virtual", "firmware profile of the panel's controller card ('pano-agent profiles' lists them)")
	fs.Var(&sets, "set", "override a profile setting, KEY=VALUE (repeatable), e.g. --set width=128")
	fs.StringVar(&cfg.Name, "name", hostname, "this box's name, sent with the enrolment; it then goes by its display's name")
	fs.StringVar(&cfg.CAFile, "ca-file", "", "PEM file of the CA that signed the controller's certificate (wss:// with a private CA)")
	fs.IntVar(&cfg.FPS, "fps", 25, "frames per second drawn on the panel")
	fs.Int64Var(&cfg.CacheMB, "cache-mb", 2048, "disk quota for cached content, in MiB")
	fs.BoolVar(&replaceOld, "replace", false, "replace an existing enrolment in --state")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if cfg.Controller == "" || code == "" {
		return usageError{"enroll needs --controller and --code (ask a technician to create a code for this display)"}
	}
	given, err := protocol.SplitControllers(cfg.Controller)
	if err != nil || len(given) == 0 {
		return usageError{fmt.Sprintf("--controller: %v", err)}
	}
	cfg.Controller = given[0]
	if cfg.FPS < 1 || cfg.FPS > 120 {
		return usageError{fmt.Sprintf("--fps %d: use 1–120", cfg.FPS)}
	}
	if _, _, err := daemon.LoadConfig(state); err == nil && !replaceOld {
		return usageError{fmt.Sprintf("%s already holds an enrolment; use --replace to enrol again", state)}
	}
	cfg.Settings = sets
	prof, err := loadProfile(cfg.Profile, sets)
	if err != nil {
		return err
	}
	if err := driver.Check(prof.Driver, driver.Settings(prof.Settings)); err != nil {
		return settingError(prof, err)
	}
	if err := checkFPS(prof, float64(cfg.FPS), fmt.Sprintf("--fps %d", cfg.FPS)); err != nil {
		return err
	}
	w, errW := prof.Int("width")
	h, errH := prof.Int("height")
	if errW != nil || errH != nil {
		return usageError{fmt.Sprintf("profile %s must say the panel's width and height", prof.Name)}
	}
	cfg.DisplayID = 1 // validated below with the real id; Validate needs one
	if err := cfg.Validate(); err != nil {
		return usageError{err.Error()}
	}
	tlsCfg, err := cfg.TLSConfig()
	if err != nil {
		return usageError{err.Error()}
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsCfg}}
	// Each address in turn while none can be reached: the code is only
	// spent by a controller that answers.
	var resp protocol.EnrollResponse
	for _, addr := range given {
		cfg.Controller = addr
		resp, err = daemon.Enroll(ctx, cfg, protocol.EnrollRequest{
			Code: strings.TrimSpace(code), Name: cfg.Name, Profile: prof.Name,
			Panel: protocol.Panel{Width: w, Height: h}, AgentVersion: version,
		}, client)
		if !errors.Is(err, daemon.ErrUnreachable) {
			break
		}
	}
	if err != nil {
		return err
	}
	cfg.DisplayID, cfg.Name = resp.DisplayID, resp.DisplayName
	// The controller's replicas, if it lists them, else those given; the
	// address that answered stays in the list. The first start dials one
	// of them at random (Config.Dial), so that screens enrolled through
	// one replica spread over all.
	if len(given) > 1 {
		cfg.Controllers = given
	}
	if len(resp.Controllers) > 0 {
		list, err := protocol.ControllerList(resp.Controllers)
		if err != nil {
			fmt.Fprintf(stderr, "pano-agent: the controller's list of replicas is unusable (%v); this agent keeps %s alone until a welcome brings a good one\n", err, cfg.Controller)
		} else {
			cfg.Controllers = link.WithAddress(list, cfg.Controller)
		}
	}
	if err := daemon.SaveConfig(state, cfg, resp.Credential); err != nil {
		return fmt.Errorf("enrolled, but cannot write %s: %w (fix the directory and enrol again with a new code)", state, err)
	}
	fmt.Fprintf(stdout, "enrolled as display %d (%s); start it with: pano-agent run --state %s\n", resp.DisplayID, resp.DisplayName, state)
	if len(cfg.Controllers) > 1 {
		fmt.Fprintf(stdout, "controllers: %s\n", strings.Join(cfg.Controllers, ", "))
	}
	return nil
}
