package store

import (
	"context"
	"fmt"
	"os"
)

// Backup writes a consistent copy of the database to path while the
// controller keeps running (VACUUM INTO reads one snapshot). path must not
// exist.
func (s *Store) Backup(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("store: backup: %s exists; choose a new file", path)
	}
	if _, err := s.r.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return fmt.Errorf("store: backup to %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil { // the database's secrets, as the database
		return fmt.Errorf("store: backup %s: %w", path, err)
	}
	return nil
}
