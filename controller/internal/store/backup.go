package store

import (
	"context"
	"fmt"
	"os"
)

// Backup writes a consistent copy of the database to path while the
// controller keeps running (VACUUM INTO reads one snapshot), and the audit
// anchor of that copy (its last event's id and hash) to path.anchor, for
// `audit verify --anchor`. path must not exist. The audit key is not in
// the copy: it is backed up apart (docs/SECURITY.md).
func (s *Store) Backup(ctx context.Context, path string) error {
	if s.pg {
		return fmt.Errorf("store: backup: the database is PostgreSQL: back it up with pg_dump (docs/SCALE-OUT.md, Backups)")
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("store: backup: %s exists; choose a new file", path)
	}
	// What is kept in memory for the next flush (hellos, acks, departures)
	// belongs in the copy too.
	if err := s.FlushBehind(ctx); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	if _, err := s.r.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return fmt.Errorf("store: backup to %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil { // the database's secrets, as the database
		return fmt.Errorf("store: backup %s: %w", path, err)
	}
	// The anchor: the backup's audit head, beside it. Read from the copy
	// itself, so it is exactly the head the copy holds.
	a, err := auditHead(ctx, path)
	if err != nil {
		return fmt.Errorf("store: backup %s: %w", path, err)
	}
	a.At = s.now().UTC()
	if err := writeAnchor(AnchorPath(path), a); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	return nil
}

// AnchorPath is where the anchor of the backup at path is written.
func AnchorPath(path string) string { return path + ".anchor" }
