package store

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// KeyFileName is the audit key file inside the data directory, next to
// the database. It must be backed up apart from the database: whoever
// holds both can rewrite the audit log undetected (see docs/SECURITY.md).
const KeyFileName = "audit.key"

// auditKey keys the audit chain (issue 12.9). Events up to PlainUntil were
// written before the chain was keyed and keep their plain SHA-256 hashes;
// every later one is an HMAC-SHA256 under Key. PlainUntil lives in the key
// file, outside the database, so that someone who can only write the
// database cannot move the switch point and re-hash events the plain way.
type auditKey struct {
	Version    int    `json:"version"`
	Key        string `json:"key"` // 32 bytes, hex
	PlainUntil int64  `json:"plain_until"`
	// PlainHead is the hash event PlainUntil had when the chain was keyed:
	// the plain part cannot be rewritten, nor cut and written again, without
	// changing it.
	PlainHead string `json:"plain_head,omitempty"`

	key []byte
}

// settingAuditKeyed marks a database whose chain is keyed: opened without
// its key file, it is refused rather than given a new key (which would
// make its keyed events unverifiable).
const settingAuditKeyed = "audit_keyed"

func readAuditKey(path string) (*auditKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var k auditKey
	if err := json.Unmarshal(b, &k); err != nil {
		return nil, fmt.Errorf("audit key %s is not a pano key file: %w", path, err)
	}
	if k.key, err = hex.DecodeString(k.Key); err != nil || len(k.key) != 32 || k.PlainUntil < 0 {
		return nil, fmt.Errorf("audit key %s is damaged (want 32 bytes of hex key and a plain_until ≥ 0); restore it from its backup", path)
	}
	// The key is the owner's alone, as the database is.
	if err := os.Chmod(path, 0o600); err != nil {
		return nil, fmt.Errorf("make %s the owner's alone: %w", path, err)
	}
	return &k, nil
}

// loadAuditKey reads the key file at path, or creates it when the
// database has never been keyed: events written so far (an older build's
// plain chain) are recorded as the plain part, and an audit.keyed event
// says so.
func (s *Store) loadAuditKey(ctx context.Context, path string) error {
	k, err := readAuditKey(path)
	if err == nil {
		s.akey = k
		return s.markKeyed(ctx, k, false)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	keyed, err := boolSetting(ctx, s.w, settingAuditKeyed, false)
	if err != nil {
		return err
	}
	if keyed {
		return fmt.Errorf("the audit log of this database is keyed, but its key file %s is missing: restore it from where you keep it apart from the database backups (without it the log can be neither verified nor extended)", path)
	}
	var last int64
	head := ""
	err = s.w.QueryRowContext(ctx, `SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1`).Scan(&last, &head)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("audit key: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return fmt.Errorf("audit key: %w", err)
	}
	k = &auditKey{Version: 1, Key: hex.EncodeToString(raw), PlainUntil: last, PlainHead: head, key: raw}
	b, _ := json.MarshalIndent(k, "", "  ")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) { // another process made it first
		if k, err = readAuditKey(path); err != nil {
			return err
		}
		s.akey = k
		return s.markKeyed(ctx, k, false)
	}
	if err != nil {
		return fmt.Errorf("create the audit key %s: %w", path, err)
	}
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("write the audit key %s: %w", path, err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil { // the new name survives a power cut
		d.Sync()
		d.Close()
	}
	s.akey = k
	return s.markKeyed(ctx, k, last > 0)
}

// markKeyed records in the database that its chain is keyed and, when an
// existing plain chain was just switched (announce), appends audit.keyed
// in the same transaction. A fresh database gets no event.
func (s *Store) markKeyed(ctx context.Context, k *auditKey, announce bool) error {
	keyed, err := boolSetting(ctx, s.w, settingAuditKeyed, false)
	if err != nil || keyed {
		return err
	}
	mark := func(tx *sql.Tx) (int64, map[string]any, error) {
		_, err := tx.ExecContext(ctx, `INSERT INTO site_settings (name, value, updated_at) VALUES (?, 'true', ?)
			ON CONFLICT (name) DO UPDATE SET value = 'true'`, settingAuditKeyed, s.stamp())
		return 0, map[string]any{"plain_until": k.PlainUntil}, err
	}
	if announce {
		_, err = s.transact(ctx, System, "audit.keyed", "audit", false, mark)
	} else {
		var tx *sql.Tx
		if tx, err = s.w.BeginTx(ctx, nil); err == nil {
			if _, _, err = mark(tx); err == nil {
				err = tx.Commit()
			} else {
				tx.Rollback()
			}
		}
	}
	if err != nil {
		return fmt.Errorf("audit key: record the switch: %w", err)
	}
	return nil
}

// hashEvent is the hash event id gets: plain SHA-256 up to the switch
// point, HMAC-SHA256 under the site's key after it.
func (s *Store) hashEvent(id int64, at string, actorID sql.NullInt64, actorName, addr, action, objType string, objID sql.NullInt64, detail, prev string) string {
	b := auditBytes(id, at, actorID, actorName, addr, action, objType, objID, detail, prev)
	if s.akey == nil || id <= s.akey.PlainUntil {
		sum := sha256.Sum256(b)
		return hex.EncodeToString(sum[:])
	}
	m := hmac.New(sha256.New, s.akey.key)
	m.Write(b)
	return hex.EncodeToString(m.Sum(nil))
}

// Anchor is the head of the audit chain at one moment, written beside each
// backup and kept apart from the database: a later log that no longer
// holds this head at this count was cut or rewritten.
type Anchor struct {
	Events int64     `json:"events"` // the head's id, which is the count
	Head   string    `json:"head"`   // its hash
	At     time.Time `json:"at"`
}

// ReadAnchor reads an anchor file.
func ReadAnchor(path string) (Anchor, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Anchor{}, fmt.Errorf("read anchor: %w", err)
	}
	var a Anchor
	if err := json.Unmarshal(b, &a); err != nil || len(a.Head) != 64 || a.Events < 0 {
		return Anchor{}, fmt.Errorf("%s is not an audit anchor (a backup's .anchor file)", path)
	}
	return a, nil
}

func writeAnchor(path string, a Anchor) error {
	b, _ := json.MarshalIndent(a, "", "  ")
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write anchor %s: %w", path, err)
	}
	return nil
}

// CheckAnchor reports whether the log still holds a's head at a's count;
// nil when it does, else the break.
func (s *Store) CheckAnchor(ctx context.Context, a Anchor) (*AuditBreak, error) {
	if a.Events == 0 {
		return nil, nil
	}
	var h string
	err := s.r.QueryRowContext(ctx, `SELECT hash FROM audit_events WHERE id = ?`, a.Events).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		return &AuditBreak{ID: a.Events, Reason: fmt.Sprintf("the log ends before event %d, which the anchor of %s saw: events were deleted", a.Events, a.At.Format(time.RFC3339))}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: check anchor: %w", err)
	}
	if h != a.Head {
		return &AuditBreak{ID: a.Events, Reason: fmt.Sprintf("its hash is not the one the anchor of %s saw: the log was rewritten", a.At.Format(time.RFC3339))}, nil
	}
	return nil, nil
}

// auditHead reads the last event's id and hash of the database at path.
func auditHead(ctx context.Context, path string) (Anchor, error) {
	// Read-only and as it is: the copy is not switched to WAL.
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		return Anchor{}, fmt.Errorf("open %s: %w", path, err)
	}
	defer db.Close()
	a := Anchor{Head: genesis}
	err = db.QueryRowContext(ctx, `SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1`).Scan(&a.Events, &a.Head)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Anchor{}, fmt.Errorf("read the audit head of %s: %w", path, err)
	}
	return a, nil
}
