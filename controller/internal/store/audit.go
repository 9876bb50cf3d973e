package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// AuditEvent is one entry of the append-only audit log. Hash covers every
// other field and PrevHash, so changing or removing an event breaks the chain
// at that event or the next.
type AuditEvent struct {
	ID         int64          `json:"id"`
	At         time.Time      `json:"at"`
	ActorID    *int64         `json:"actor_id"`
	ActorName  string         `json:"actor"`
	RemoteAddr string         `json:"remote_addr"`
	Action     string         `json:"action"`
	ObjectType string         `json:"object_type"`
	ObjectID   *int64         `json:"object_id"`
	Detail     map[string]any `json:"detail"`
	PrevHash   string         `json:"prev_hash"`
	Hash       string         `json:"hash"`
}

// genesis is the previous hash of the first event.
const genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// auditBytes is what an event's hash covers: a JSON array of its fields in
// a fixed order, detail as stored (canonical JSON text). The hash is plain
// SHA-256 for events before the chain was keyed, else HMAC-SHA256 under
// the site's key (see hashEvent).
func auditBytes(id int64, at string, actorID sql.NullInt64, actorName, addr, action, objType string, objID sql.NullInt64, detail, prev string) []byte {
	var aid, oid any
	if actorID.Valid {
		aid = actorID.Int64
	}
	if objID.Valid {
		oid = objID.Int64
	}
	b, _ := json.Marshal([]any{id, at, aid, actorName, addr, action, objType, oid, detail, prev})
	return b
}

// appendAudit adds an event inside tx. The writer pool has one connection,
// so reading the last hash and inserting the next cannot interleave.
func (s *Store) appendAudit(ctx context.Context, tx *sql.Tx, who Actor, action, objType string, objID int64, detail map[string]any) error {
	if detail == nil {
		detail = map[string]any{}
	}
	d, err := json.Marshal(detail) // map keys are sorted: canonical
	if err != nil {
		return fmt.Errorf("audit %s: encode detail: %w", action, err)
	}
	var lastID int64
	prev := genesis
	err = tx.QueryRowContext(ctx, `SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1`).Scan(&lastID, &prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("audit %s: last event: %w", action, err)
	}
	id := lastID + 1
	at := s.stamp()
	actorID := sql.NullInt64{Int64: who.UserID, Valid: who.UserID != 0}
	oid := sql.NullInt64{Int64: objID, Valid: objID != 0}
	h := s.hashEvent(id, at, actorID, who.Name, who.Addr, action, objType, oid, string(d), prev)
	_, err = tx.ExecContext(ctx, `
		INSERT INTO audit_events (id, at, actor_id, actor_name, remote_addr, action, object_type, object_id, detail, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, at, actorID, who.Name, who.Addr, action, objType, oid, string(d), prev, h)
	if err != nil {
		return fmt.Errorf("audit %s: insert: %w", action, err)
	}
	return nil
}

// Audit records an event that changes nothing else, such as a failed login
// or a remote command; OnChange listeners are not told.
func (s *Store) Audit(ctx context.Context, who Actor, action, objType string, objID int64, detail map[string]any) error {
	_, err := s.transact(ctx, who, action, objType, false, func(*sql.Tx) (int64, map[string]any, error) {
		return objID, detail, nil
	})
	if err != nil {
		return fmt.Errorf("store: audit: %w", err)
	}
	return nil
}

// AuditFilter selects events; zero fields do not filter.
type AuditFilter struct {
	Action     string
	ObjectType string
	ObjectID   int64
	ActorID    int64
	ActorName  string    // the name the actor had then
	From, To   time.Time // from inclusive, to exclusive; zero: open
	BeforeID   int64     // paging: events older than this id
	Limit      int
}

// ListAudit returns events newest first.
func (s *Store) ListAudit(ctx context.Context, f AuditFilter) ([]AuditEvent, error) {
	var where []string
	var args []any
	if f.Action != "" {
		where, args = append(where, "action = ?"), append(args, f.Action)
	}
	if f.ObjectType != "" {
		where, args = append(where, "object_type = ?"), append(args, f.ObjectType)
	}
	if f.ObjectID != 0 {
		where, args = append(where, "object_id = ?"), append(args, f.ObjectID)
	}
	if f.ActorID != 0 {
		where, args = append(where, "actor_id = ?"), append(args, f.ActorID)
	}
	if f.ActorName != "" {
		where, args = append(where, "actor_name = ?"), append(args, f.ActorName)
	}
	// Stamps are RFC 3339 with trimmed fractions, which do not sort as
	// text ("…:00Z" > "…:00.5Z"): compare them as instants.
	if !f.From.IsZero() {
		where, args = append(where, "unixepoch(at, 'subsec') >= ?"), append(args, float64(f.From.UnixMilli())/1000)
	}
	if !f.To.IsZero() {
		where, args = append(where, "unixepoch(at, 'subsec') < ?"), append(args, float64(f.To.UnixMilli())/1000)
	}
	if f.BeforeID != 0 {
		where, args = append(where, "id < ?"), append(args, f.BeforeID)
	}
	q := `SELECT id, at, actor_id, actor_name, remote_addr, action, object_type, object_id, detail, prev_hash, hash FROM audit_events`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC LIMIT ?"
	args = append(args, clampLimit(f.Limit))
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list audit: %w", err)
	}
	defer rows.Close()
	out := []AuditEvent{}
	for rows.Next() {
		var e AuditEvent
		var at, detail string
		var aid, oid sql.NullInt64
		if err := rows.Scan(&e.ID, &at, &aid, &e.ActorName, &e.RemoteAddr, &e.Action, &e.ObjectType, &oid, &detail, &e.PrevHash, &e.Hash); err != nil {
			return nil, fmt.Errorf("store: list audit: %w", err)
		}
		e.At, e.ActorID, e.ObjectID = parseTime(at), ptrInt(aid), ptrInt(oid)
		_ = json.Unmarshal([]byte(detail), &e.Detail)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list audit: %w", err)
	}
	return out, nil
}

// AuditBreak is the first event where the chain does not hold.
type AuditBreak struct {
	ID     int64
	Reason string
}

// VerifyAudit walks the whole log in order and returns the number of events
// checked and the first broken link, or nil when the chain holds.
func (s *Store) VerifyAudit(ctx context.Context) (int, *AuditBreak, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, at, actor_id, actor_name, remote_addr, action, object_type, object_id, detail, prev_hash, hash FROM audit_events ORDER BY id`)
	if err != nil {
		return 0, nil, fmt.Errorf("store: verify audit: %w", err)
	}
	defer rows.Close()
	prev, n, wantID := genesis, 0, int64(1)
	for rows.Next() {
		var id int64
		var at, name, addr, action, otype, detail, ph, h string
		var aid, oid sql.NullInt64
		if err := rows.Scan(&id, &at, &aid, &name, &addr, &action, &otype, &oid, &detail, &ph, &h); err != nil {
			return n, nil, fmt.Errorf("store: verify audit: %w", err)
		}
		switch {
		case id != wantID:
			return n, &AuditBreak{ID: id, Reason: fmt.Sprintf("event %d is missing before it", wantID)}, nil
		case ph != prev:
			return n, &AuditBreak{ID: id, Reason: "its previous hash does not match the event before it"}, nil
		case s.hashEvent(id, at, aid, name, addr, action, otype, oid, detail, ph) != h:
			return n, &AuditBreak{ID: id, Reason: "its content does not match its hash (the event was edited, or re-hashed without the site's key)"}, nil
		case s.akey != nil && id == s.akey.PlainUntil && s.akey.PlainHead != "" && h != s.akey.PlainHead:
			return n, &AuditBreak{ID: id, Reason: "it is not the last unkeyed event the key file recorded when the log was keyed (the plain part was rewritten)"}, nil
		}
		prev, n, wantID = h, n+1, id+1
	}
	if err := rows.Err(); err != nil {
		return n, nil, fmt.Errorf("store: verify audit: %w", err)
	}
	if s.akey != nil && int64(n) < s.akey.PlainUntil {
		return n, &AuditBreak{ID: int64(n) + 1, Reason: fmt.Sprintf("the log ends before event %d, the last one before it was keyed: events were deleted", s.akey.PlainUntil)}, nil
	}
	return n, nil, nil
}

func clampLimit(n int) int {
	switch {
	case n <= 0:
		return 50
	case n > 500:
		return 500
	}
	return n
}
