package store

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
)

// PostgreSQL's error codes (SQLSTATE) the store tells apart.
const (
	pgUniqueViolation     = "23505"
	pgForeignKeyViolation = "23503"
)

// Errors the API maps to statuses. Store functions wrap them with %w, so
// check with errors.Is.
var (
	// ErrNotFound: no such object (or it is deleted).
	ErrNotFound = errors.New("not found")
	// ErrConflict: a uniqueness rule or a reference forbids the change, for
	// example a second unit of the same name or deleting a used playlist.
	ErrConflict = errors.New("conflict")
	// ErrState: the object is not in a state that allows the action, for
	// example approving a draft or scheduling a rejected playlist.
	ErrState = errors.New("invalid state")
)

// StateError says why a transition is refused: Code is stable, for
// programs (the API answers with it, and the dashboard shows its own words
// for it), Msg is in English words for a person, and Params are the values
// Msg names, by name, so that a client need not parse Msg.
type StateError struct {
	Code   string
	Msg    string
	Params map[string]any
}

func (e *StateError) Error() string { return e.Msg }
func (e *StateError) Unwrap() error { return ErrState }

// ConflictError says what conflicts, with a code, words and params as
// StateError.
type ConflictError struct {
	Code   string
	Msg    string
	Params map[string]any
}

func (e *ConflictError) Error() string { return e.Msg }
func (e *ConflictError) Unwrap() error { return ErrConflict }

// isUnique reports a UNIQUE or PRIMARY KEY violation, by the engine's
// code for it.
func isUnique(err error) bool {
	if e, ok := errors.AsType[sqlite3.Error](err); ok {
		return e.ExtendedCode == sqlite3.ErrConstraintUnique || e.ExtendedCode == sqlite3.ErrConstraintPrimaryKey
	}
	if e, ok := errors.AsType[*pgconn.PgError](err); ok {
		return e.Code == pgUniqueViolation
	}
	return false
}

// isForeignKey reports a FOREIGN KEY violation.
func isForeignKey(err error) bool {
	if e, ok := errors.AsType[sqlite3.Error](err); ok {
		return e.ExtendedCode == sqlite3.ErrConstraintForeignKey
	}
	if e, ok := errors.AsType[*pgconn.PgError](err); ok {
		return e.Code == pgForeignKeyViolation
	}
	return false
}
