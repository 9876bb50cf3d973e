package main

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/mattn/go-sqlite3"
)

func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := runIO(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestUserAddBackupAndAuditVerify(t *testing.T) {
	data := t.TempDir()
	code, out, errs := runCLI(t, "mật khẩu rất dài\n", "user", "add", "--data", data, "--name", "admin", "--role", "admin", "--password-stdin")
	if code != 0 || !strings.Contains(out, `user "admin" (admin) created in unit "Quản trị hệ thống"`) {
		t.Fatalf("user add = %d, %q, %q", code, out, errs)
	}
	code, out, errs = runCLI(t, "mật khẩu rất dài\n", "user", "add", "--data", data, "--name", "bien-tap", "--role", "editor", "--unit", "Khối phố 1", "--password-stdin")
	if code != 0 || !strings.Contains(out, `unit "Khối phố 1"`) {
		t.Fatalf("user add editor = %d, %q, %q", code, out, errs)
	}

	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
		code  int
		want  string
	}{
		{"duplicate", "mật khẩu rất dài\n", []string{"user", "add", "--data", data, "--name", "ADMIN", "--role", "admin", "--password-stdin"}, 1, `a user named "ADMIN" exists`},
		{"no stdin flag", "", []string{"user", "add", "--data", data, "--name", "x", "--role", "viewer"}, 2, "--password-stdin"},
		{"short password", "ngắn\n", []string{"user", "add", "--data", data, "--name", "x", "--role", "viewer", "--password-stdin"}, 2, "at least 10 characters"},
		{"bad role", "", []string{"user", "add", "--data", data, "--name", "x", "--role", "root", "--password-stdin"}, 2, `--role "root" must be one of`},
		{"user without add", "", []string{"user"}, 2, "usage: pano-controller user add"},
		{"backup without out", "", []string{"backup", "--data", data}, 2, "--out FILE is required"},
		{"verify missing data", "", []string{"audit", "verify", "--data", filepath.Join(data, "nope")}, 1, "no database in"},
		{"tls half", "", []string{"serve", "--tls-cert", "x.pem"}, 2, "give both --tls-cert and --tls-key"},
		{"alert webhook", "", []string{"serve", "--alert-webhook", "ftp://x"}, 2, "must be an http:// or https:// URL"},
		{"alert grace", "", []string{"serve", "--alert-grace", "1s"}, 2, "--alert-grace must be at least 10s"},
		{"time zone", "", []string{"serve", "--timezone", "Mars/Olympus"}, 2, "is not an IANA time zone"},
		{"fallback", "", []string{"serve", "--fallback", "white"}, 2, `--fallback "white"`},
		{"no render workers", "", []string{"serve", "--render-workers", "0"}, 2, "--render-workers must be from 1 to 64"},
		{"video fps", "", []string{"serve", "--video-fps", "120"}, 2, "--video-fps must be from 1 to 60"},
		{"image limit", "", []string{"serve", "--max-image-mib", "0"}, 2, "--max-image-mib and --max-video-mib"},
		{"advertise http", "", []string{"serve", "--advertise", "ws://a:8080,http://b:8080"}, 2, `--advertise: controller address "http://b:8080" must look like ws://HOST:PORT or wss://HOST`},
		{"advertise path", "", []string{"serve", "--advertise", "ws://a:8080/agent/v1/ws"}, 2, "--advertise: controller address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := runCLI(t, tc.stdin, tc.args...)
			if code != tc.code || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, tc.want) {
				t.Fatalf("exit %d, stderr %q; want %d and one line with %q", code, errs, tc.code, tc.want)
			}
		})
	}

	code, out, errs = runCLI(t, "", "audit", "verify", "--data", data)
	if code != 0 || !strings.Contains(out, "audit log intact: 4 events") {
		t.Fatalf("verify = %d, %q, %q", code, out, errs)
	}

	copyDir := t.TempDir()
	copyFile := filepath.Join(copyDir, "pano.db")
	if code, out, errs = runCLI(t, "", "backup", "--data", data, "--out", copyFile); code != 0 || !strings.Contains(out, "written to") {
		t.Fatalf("backup = %d, %q, %q", code, out, errs)
	}
	if code, _, errs = runCLI(t, "", "backup", "--data", data, "--out", copyFile); code != 1 || !strings.Contains(errs, "exists") {
		t.Fatalf("backup over a file = %d, %q", code, errs)
	}
	// The copy holds no audit key (it is backed up apart): verifying it
	// needs the key, and its anchor is beside it.
	if code, _, errs = runCLI(t, "", "audit", "verify", "--data", copyDir); code != 1 || !strings.Contains(errs, "key file") {
		t.Fatalf("verify of the copy without its key = %d, %q", code, errs)
	}
	key := filepath.Join(data, "audit.key")
	if code, out, _ = runCLI(t, "", "audit", "verify", "--data", copyDir, "--key", key, "--anchor", copyFile+".anchor"); code != 0 || !strings.Contains(out, "4 events, holding the anchor's head at event 4") {
		t.Fatalf("verify of the copy = %d, %q", code, out)
	}
	if code, out, errs = runCLI(t, "", "audit", "verify", "--data", data, "--anchor", copyFile+".anchor"); code != 0 || !strings.Contains(out, "holding the anchor") {
		t.Fatalf("verify against the anchor = %d, %q, %q", code, out, errs)
	}

	// Someone edits event 2 behind the controller's back.
	db, err := sql.Open("sqlite3", filepath.Join(data, "pano.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP TRIGGER audit_events_no_update`, `UPDATE audit_events SET actor_name = 'someone else' WHERE id = 2`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	code, _, errs = runCLI(t, "", "audit", "verify", "--data", data)
	if code != 1 || !strings.Contains(errs, "audit log broken at event 2") {
		t.Fatalf("verify of an edited log = %d, %q", code, errs)
	}
}
