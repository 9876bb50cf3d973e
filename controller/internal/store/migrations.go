package store

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations is append-only: never edit or reorder an entry that has been
// released, add a new one. The schema version is the number applied, and each
// migration runs in its own transaction together with the version bump.
var migrations = []string{
	// 1: agents seen on the websocket, by name. Enrolment (issue: agent
	// runtime) ties them to displays.
	`CREATE TABLE agents (
		name          TEXT PRIMARY KEY,
		agent_version TEXT NOT NULL,
		profile       TEXT NOT NULL,
		panel_width   INTEGER NOT NULL,
		panel_height  INTEGER NOT NULL,
		remote_addr   TEXT NOT NULL,
		first_seen    TEXT NOT NULL, -- RFC 3339, UTC
		last_seen     TEXT NOT NULL  -- RFC 3339, UTC
	) STRICT;`,
}

func schemaVersion(ctx context.Context, db *sql.DB) (int, error) {
	var v int
	if err := db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// migrate applies the migrations the database has not seen yet. It refuses a
// database newer than this build, which would otherwise be silently misread.
func migrate(ctx context.Context, db *sql.DB) error {
	have, err := schemaVersion(ctx, db)
	if err != nil {
		return err
	}
	if have > len(migrations) {
		return fmt.Errorf("database schema version %d is newer than this controller knows (%d): run a newer pano-controller", have, len(migrations))
	}
	for i := have; i < len(migrations); i++ {
		if err := applyMigration(ctx, db, i+1, migrations[i]); err != nil {
			return err
		}
	}
	return nil
}

func applyMigration(ctx context.Context, db *sql.DB, version int, stmt string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %d: begin: %w", version, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("migration %d: %w", version, err)
	}
	// PRAGMA takes no bound parameters; version is an int we computed.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, version)); err != nil {
		return fmt.Errorf("migration %d: set version: %w", version, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migration %d: commit: %w", version, err)
	}
	return nil
}
