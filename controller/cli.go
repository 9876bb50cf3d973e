package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pano-signage/pano/controller/internal/api"
	"github.com/pano-signage/pano/controller/internal/auth"
	"github.com/pano-signage/pano/controller/internal/store"
)

// defaultAdminUnit holds users created without --unit, typically the first
// admin.
const defaultAdminUnit = "Quản trị hệ thống"

// openData opens the database of dir; existing says it must be there
// already (backup and verify must not create an empty one).
func openData(ctx context.Context, dir, db string, existing bool) (*store.Store, error) {
	if strings.TrimSpace(dir) == "" {
		return nil, usageError{"--data must name the data directory (for example ./var)"}
	}
	if db != "" {
		// Replicas' PostgreSQL: dir holds the audit key the replicas share.
		st, err := store.OpenPostgres(ctx, dir, db)
		if err != nil {
			return nil, fmt.Errorf("cannot open the database: %s (check --db or $PANO_DB)", strings.Join(strings.Fields(err.Error()), " "))
		}
		return st, nil
	}
	if existing {
		if _, err := os.Stat(filepath.Join(dir, store.FileName)); err != nil {
			return nil, fmt.Errorf("no database in %s (%v); check --data", dir, errors.Unwrap(err))
		}
	}
	st, err := store.Open(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("cannot open the data directory %s: %w", dir, err)
	}
	return st, nil
}

// dbFlag is --db: the replicas' PostgreSQL database, as serve takes it.
func dbFlag(fs *flag.FlagSet) *string {
	return fs.String("db", os.Getenv("PANO_DB"), "PostgreSQL database of controller replicas, postgres://… (or $PANO_DB); empty: SQLite in --data")
}

// openKeyed opens an existing database with the audit key at keyFile
// (empty: the data directory's own).
func openKeyed(ctx context.Context, dir, db, keyFile string) (*store.Store, error) {
	if keyFile == "" {
		return openData(ctx, dir, db, true)
	}
	if db != "" {
		return nil, usageError{"--key is for a SQLite copy restored elsewhere; on PostgreSQL put the key in --data"}
	}
	if strings.TrimSpace(dir) == "" {
		return nil, usageError{"--data must name the data directory (for example ./var)"}
	}
	if _, err := os.Stat(filepath.Join(dir, store.FileName)); err != nil {
		return nil, fmt.Errorf("no database in %s (%v); check --data", dir, errors.Unwrap(err))
	}
	st, err := store.OpenKeyed(ctx, dir, keyFile)
	if err != nil {
		return nil, fmt.Errorf("cannot open the data directory %s: %w", dir, err)
	}
	return st, nil
}

// userAdd creates a user, and their unit when missing. The password comes
// from stdin so that it is not in the shell history or the process list.
func userAdd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("user add")
	data := fs.String("data", "./var", "data directory")
	db := dbFlag(fs)
	name := fs.String("name", "", "login name")
	role := fs.String("role", "", "role: "+strings.Join(store.Roles, ", "))
	unit := fs.String("unit", defaultAdminUnit, "unit name (created when missing)")
	pwStdin := fs.Bool("password-stdin", false, "read the password from the first line of stdin (required)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	switch {
	case strings.TrimSpace(*name) == "":
		return usageError{"user add: --name is required"}
	case !store.ValidRole(*role):
		return usageError{fmt.Sprintf("user add: --role %q must be one of %s", *role, strings.Join(store.Roles, ", "))}
	case !*pwStdin:
		return usageError{"user add: give --password-stdin and the password on stdin (never on the command line)"}
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("user add: read the password: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if len([]rune(pw)) < api.MinPassword {
		return usageError{fmt.Sprintf("user add: the password on stdin must have at least %d characters", api.MinPassword)}
	}
	st, err := openData(ctx, *data, *db, false)
	if err != nil {
		return err
	}
	defer st.Close()
	who := store.Actor{Name: "cli:" + currentUser(), Addr: "local"}
	u, err := st.UnitByName(ctx, strings.TrimSpace(*unit))
	if errors.Is(err, store.ErrNotFound) {
		u, err = st.CreateUnit(ctx, who, store.Unit{Name: strings.TrimSpace(*unit)})
	}
	if err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	hash, err := auth.HashPassword(pw, auth.DefaultParams)
	if err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	created, err := st.CreateUser(ctx, who, store.User{Name: strings.TrimSpace(*name), Role: *role, UnitID: u.ID, PasswordHash: hash})
	var ce *store.ConflictError
	if errors.As(err, &ce) {
		return fmt.Errorf("user add: %s", ce.Msg)
	}
	if err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	fmt.Fprintf(stdout, "user %q (%s) created in unit %q\n", created.Name, created.Role, created.UnitName)
	return nil
}

func currentUser() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "unknown"
}

// backup writes a consistent copy of the database; the controller may keep
// running meanwhile.
func backup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("backup")
	data := fs.String("data", "./var", "data directory")
	db := dbFlag(fs)
	out := fs.String("out", "", "file to write the copy to (must not exist)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if strings.TrimSpace(*out) == "" {
		return usageError{"backup: --out FILE is required"}
	}
	st, err := openData(ctx, *data, *db, true)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Backup(ctx, *out); err != nil {
		return err
	}
	fi, err := os.Stat(*out)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(stdout, "backup of %s written to %s (%d bytes); copy the asset files alongside\n", *data, *out, fi.Size())
	fmt.Fprintf(stdout, "audit anchor written to %s: keep it apart from the database, and check the log against it with audit verify --anchor; the audit key %s is not in the backup: back it up apart, once\n",
		store.AnchorPath(*out), filepath.Join(*data, store.KeyFileName))
	return nil
}

// errAuditBroken makes `audit verify` exit 1 after printing its report.
type errAuditBroken struct{ msg string }

func (e errAuditBroken) Error() string { return e.msg }

func auditVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("audit verify")
	data := fs.String("data", "./var", "data directory")
	db := dbFlag(fs)
	anchorFile := fs.String("anchor", "", "a backup's .anchor file: also check that the log still holds the head it saw (so events cut after it are found)")
	keyFile := fs.String("key", "", "the audit key file (default: audit.key in --data), to verify a restored copy")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	var anchor *store.Anchor
	if *anchorFile != "" {
		a, err := store.ReadAnchor(*anchorFile)
		if err != nil {
			return err
		}
		anchor = &a
	}
	st, err := openKeyed(ctx, *data, *db, *keyFile)
	if err != nil {
		return err
	}
	defer st.Close()
	n, brk, err := st.VerifyAudit(ctx)
	if err != nil {
		return err
	}
	if brk != nil {
		return errAuditBroken{fmt.Sprintf("audit log broken at event %d: %s (%d events before it are intact)", brk.ID, brk.Reason, n)}
	}
	if anchor != nil {
		brk, err := st.CheckAnchor(ctx, *anchor)
		if err != nil {
			return err
		}
		if brk != nil {
			return errAuditBroken{fmt.Sprintf("audit log does not hold its anchor at event %d: %s (the chain has %d events)", brk.ID, brk.Reason, n)}
		}
		fmt.Fprintf(stdout, "audit log intact: %d events, holding the anchor's head at event %d\n", n, anchor.Events)
		return nil
	}
	fmt.Fprintf(stdout, "audit log intact: %d events\n", n)
	return nil
}

// enrollmentCode creates a one-time enrolment code for a display from the
// controller's shell, as a technician would in the dashboard; it works while
// the controller runs.
func enrollmentCode(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("enrollment-code")
	data := fs.String("data", "./var", "data directory")
	db := dbFlag(fs)
	name := fs.String("display", "", "display name (required)")
	valid := fs.Duration("valid", 24*time.Hour, "how long the code can be used")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *name == "" {
		return usageError{"enrollment-code: --display is required"}
	}
	if *valid <= 0 || *valid > 30*24*time.Hour {
		return usageError{"enrollment-code: --valid must be between 1s and 720h"}
	}
	st, err := openData(ctx, *data, *db, true)
	if err != nil {
		return err
	}
	defer st.Close()
	ds, err := st.Displays(ctx, store.DisplayFilter{Q: *name})
	if err != nil {
		return err
	}
	var d *store.Display
	for i := range ds {
		if ds[i].Name == *name {
			d = &ds[i]
		}
	}
	if d == nil {
		return fmt.Errorf("enrollment-code: no display is named %q (create it in the dashboard or with the API first)", *name)
	}
	code := auth.NewEnrolmentCode()
	who := store.Actor{Name: "cli:" + currentUser(), Addr: "local"}
	ec, err := st.CreateEnrolmentCode(ctx, who, d.ID, auth.HashToken(code), time.Now().Add(*valid))
	if err != nil {
		return fmt.Errorf("enrollment-code: %w", err)
	}
	fmt.Fprintf(stdout, "%s\n", code)
	fmt.Fprintf(stderr, "code for display %d (%s, %d×%d), valid until %s\n", d.ID, d.Name, d.Width, d.Height, ec.ExpiresAt.Format(time.RFC3339))
	return nil
}
