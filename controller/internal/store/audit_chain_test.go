package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pano-signage/pano/controller/internal/store/pgsql"
)

// tamper opens the database file of dir behind the store's back, as
// someone holding the file would, with the append-only triggers dropped.
func tamper(t *testing.T, s *Store, dir string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, FileName)+"?_busy_timeout=5000")
	on := ""
	if s.pg {
		db, err = pgsql.Open(s.dbURL, pgsql.Options{})
		on = " ON audit_events"
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, q := range []string{`DROP TRIGGER IF EXISTS audit_events_no_update` + on, `DROP TRIGGER IF EXISTS audit_events_no_delete` + on} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// rehashPlain recomputes every hash from event from on with plain SHA-256,
// as the chain was before it was keyed: what someone without the key can do.
func rehashPlain(t *testing.T, db *sql.DB, from int64) {
	t.Helper()
	rows, err := db.Query(`SELECT id, at, actor_id, actor_name, remote_addr, action, object_type, object_id, detail FROM audit_events WHERE id >= ? ORDER BY id`, from)
	if err != nil {
		t.Fatal(err)
	}
	type ev struct {
		id                                    int64
		at, name, addr, action, otype, detail string
		aid, oid                              sql.NullInt64
	}
	var evs []ev
	for rows.Next() {
		var e ev
		if err := rows.Scan(&e.id, &e.at, &e.aid, &e.name, &e.addr, &e.action, &e.otype, &e.oid, &e.detail); err != nil {
			t.Fatal(err)
		}
		evs = append(evs, e)
	}
	rows.Close()
	prev := genesis
	if from > 1 {
		if err := db.QueryRow(`SELECT hash FROM audit_events WHERE id = ?`, from-1).Scan(&prev); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range evs {
		sum := sha256.Sum256(auditBytes(e.id, e.at, e.aid, e.name, e.addr, e.action, e.otype, e.oid, e.detail, prev))
		h := hex.EncodeToString(sum[:])
		if _, err := db.Exec(`UPDATE audit_events SET prev_hash = ?, hash = ? WHERE id = ?`, prev, h, e.id); err != nil {
			t.Fatal(err)
		}
		prev = h
	}
}

func someEvents(t *testing.T, s *Store, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if err := s.Audit(context.Background(), Actor{Name: "cán bộ", Addr: "local"}, "session.fail", "user", 0, map[string]any{"name": "x"}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAuditChainRehashedWithPlainSHA256Fails: an event edited and the
// chain re-hashed from it with plain SHA-256 no longer verifies, because
// the chain is keyed (issue 12.9).
func TestAuditChainRehashedWithPlainSHA256Fails(t *testing.T) {
	ctx := context.Background()
	s, dir := openTest(t)
	someEvents(t, s, 6)
	if n, brk, err := s.VerifyAudit(ctx); err != nil || brk != nil || n != 6 {
		t.Fatalf("untouched: %d %v %v", n, brk, err)
	}
	db := tamper(t, s, dir)
	if _, err := db.Exec(`UPDATE audit_events SET actor_name = 'người khác' WHERE id = 3`); err != nil {
		t.Fatal(err)
	}
	rehashPlain(t, db, 3)
	_, brk, err := s.VerifyAudit(ctx)
	if err != nil || brk == nil || brk.ID != 3 {
		t.Fatalf("a log edited at 3 and re-hashed with plain SHA-256 verifies: %+v %v", brk, err)
	}
}

// TestAuditAnchorCatchesDeletedLastEvents: the last events deleted leave
// a chain that is intact as far as it goes, but no longer holds the head
// the backup's anchor saw.
func TestAuditAnchorCatchesDeletedLastEvents(t *testing.T) {
	ctx := context.Background()
	s, dir := openTest(t)
	someEvents(t, s, 5)
	backup := filepath.Join(t.TempDir(), "pano-backup.db")
	if s.pg {
		t.Log("PostgreSQL: no backups of the store's own (pg_dump), so no anchors; TestBackupIsAConsistentCopy checks the error")
		return
	}
	if err := s.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	a, err := ReadAnchor(AnchorPath(backup))
	if err != nil || a.Events != 5 {
		t.Fatalf("anchor %+v %v", a, err)
	}
	if fi, err := os.Stat(AnchorPath(backup)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("anchor file: %v %v", fi, err)
	}
	someEvents(t, s, 3) // the log goes on after the backup
	if brk, err := s.CheckAnchor(ctx, a); err != nil || brk != nil {
		t.Fatalf("untouched log against its anchor: %+v %v", brk, err)
	}

	db := tamper(t, s, dir)
	if _, err := db.Exec(`DELETE FROM audit_events WHERE id >= 4`); err != nil {
		t.Fatal(err)
	}
	if _, brk, err := s.VerifyAudit(ctx); err != nil || brk != nil {
		t.Fatalf("the cut chain should still be intact as far as it goes (that is what the anchor is for): %+v %v", brk, err)
	}
	brk, err := s.CheckAnchor(ctx, a)
	if err != nil || brk == nil || !strings.Contains(brk.Reason, "deleted") {
		t.Fatalf("a log cut below its anchor passes: %+v %v", brk, err)
	}
}

// TestPlainChainIsKeyedFromASwitchPoint: an older build's plain chain is
// kept, verified the plain way up to the switch point the key file
// records (with the hash its last event had), and an audit.keyed event
// says so; the plain part cut, or rewritten and re-hashed the plain way,
// no longer verifies.
func TestPlainChainIsKeyedFromASwitchPoint(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	someEvents(t, s, 4)
	s.Close()
	// Make it the database of a build before keying: plain hashes, no
	// key file, no mark.
	db := tamper(t, s, dir)
	rehashPlain(t, db, 1)
	if _, err := db.Exec(`DELETE FROM site_settings WHERE name = 'audit_keyed'`); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, KeyFileName)); err != nil {
		t.Fatal(err)
	}

	s, err = Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	someEvents(t, s, 2)
	n, brk, err := s.VerifyAudit(ctx)
	if err != nil || brk != nil || n != 7 {
		t.Fatalf("keyed after 4 plain events: %d %+v %v", n, brk, err)
	}
	es, err := s.ListAudit(ctx, AuditFilter{Action: "audit.keyed"})
	if err != nil || len(es) != 1 || es[0].ID != 5 || es[0].Detail["plain_until"] != float64(4) {
		t.Fatalf("audit.keyed event: %+v %v", es, err)
	}
	if fi, err := os.Stat(filepath.Join(dir, KeyFileName)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}

	// Cut below the switch point and written again the plain way: the
	// plain part's head is not the one the key file recorded.
	if _, err := db.Exec(`DELETE FROM audit_events WHERE id >= 3`); err != nil {
		t.Fatal(err)
	}
	if _, brk, err := s.VerifyAudit(ctx); err != nil || brk == nil || brk.ID != 3 {
		t.Fatalf("a log cut below its switch point: %+v %v", brk, err)
	}
	if _, err := db.Exec(`UPDATE audit_events SET actor_name = 'người khác' WHERE id = 2`); err != nil {
		t.Fatal(err)
	}
	someEvents(t, s, 3) // events 3 and 4 now plain, 5 keyed
	rehashPlain(t, db, 2)
	if _, brk, err := s.VerifyAudit(ctx); err != nil || brk == nil || brk.ID != 4 {
		t.Fatalf("a plain part cut, rewritten and re-hashed: %+v %v", brk, err)
	}
}
