package main

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// auditData makes a data directory whose audit log holds n events (users
// added by the CLI) and returns it.
func auditData(t *testing.T, n int) string {
	t.Helper()
	data := t.TempDir()
	for i := 0; i < n; i++ {
		// The first user add also creates the unit: two events.
		if code, _, errs := runCLI(t, "mật khẩu rất dài\n", "user", "add", "--data", data, "--name", "nguoi-"+string(rune('a'+i)), "--role", "viewer", "--password-stdin"); code != 0 {
			t.Fatalf("user add: %s", errs)
		}
	}
	return data
}

// rawDB opens data's database behind the controller's back, append-only
// triggers dropped, as someone holding the file would.
func rawDB(t *testing.T, data string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", filepath.Join(data, "pano.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, q := range []string{`DROP TRIGGER audit_events_no_update`, `DROP TRIGGER audit_events_no_delete`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// TestAuditVerifyAnchorCatchesCutLog: `audit verify --anchor` with a
// backup's anchor passes on the untouched log and fails once the log's
// last events are deleted, which plain `audit verify` cannot see (#12.9).
func TestAuditVerifyAnchorCatchesCutLog(t *testing.T) {
	data := auditData(t, 3) // 4 events
	backup := filepath.Join(t.TempDir(), "pano-2026-11-30.db")
	if code, out, errs := runCLI(t, "", "backup", "--data", data, "--out", backup); code != 0 || !strings.Contains(out, backup+".anchor") {
		t.Fatalf("backup = %d, %q, %q", code, out, errs)
	}
	if code, out, errs := runCLI(t, "", "audit", "verify", "--data", data, "--anchor", backup+".anchor"); code != 0 || !strings.Contains(out, "4 events, holding the anchor's head at event 4") {
		t.Fatalf("untouched log against its anchor = %d, %q, %q", code, out, errs)
	}

	if _, err := rawDB(t, data).Exec(`DELETE FROM audit_events WHERE id >= 3`); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runCLI(t, "", "audit", "verify", "--data", data); code != 0 || !strings.Contains(out, "intact: 2 events") {
		t.Fatalf("a cut log without anchor = %d, %q (the chain is intact as far as it goes)", code, out)
	}
	code, _, errs := runCLI(t, "", "audit", "verify", "--data", data, "--anchor", backup+".anchor")
	if code != 1 || !strings.Contains(errs, "does not hold its anchor at event 4") {
		t.Fatalf("a cut log against its anchor = %d, %q", code, errs)
	}
}

// TestAuditVerifyFailsOnPlainRehash: an event edited and every hash from
// it recomputed with plain SHA-256 (the pre-key rule, all an attacker
// without the key file can do) fails `audit verify` (#12.9).
func TestAuditVerifyFailsOnPlainRehash(t *testing.T) {
	data := auditData(t, 3)
	db := rawDB(t, data)
	if _, err := db.Exec(`UPDATE audit_events SET actor_name = 'người khác' WHERE id = 2`); err != nil {
		t.Fatal(err)
	}
	// Re-hash 2…4 as the chain was hashed before it was keyed: SHA-256
	// over [id, at, actor_id, actor, addr, action, object_type, object_id,
	// detail, prev_hash].
	var prev string
	if err := db.QueryRow(`SELECT hash FROM audit_events WHERE id = 1`).Scan(&prev); err != nil {
		t.Fatal(err)
	}
	for id := 2; id <= 4; id++ {
		var at, name, addr, action, otype, detail string
		var aid, oid sql.NullInt64
		if err := db.QueryRow(`SELECT at, actor_id, actor_name, remote_addr, action, object_type, object_id, detail FROM audit_events WHERE id = ?`, id).
			Scan(&at, &aid, &name, &addr, &action, &otype, &oid, &detail); err != nil {
			t.Fatal(err)
		}
		var a, o any
		if aid.Valid {
			a = aid.Int64
		}
		if oid.Valid {
			o = oid.Int64
		}
		b, _ := json.Marshal([]any{id, at, a, name, addr, action, otype, o, detail, prev})
		sum := sha256.Sum256(b)
		h := hex.EncodeToString(sum[:])
		if _, err := db.Exec(`UPDATE audit_events SET prev_hash = ?, hash = ? WHERE id = ?`, prev, h, id); err != nil {
			t.Fatal(err)
		}
		prev = h
	}
	code, _, errs := runCLI(t, "", "audit", "verify", "--data", data)
	if code != 1 || !strings.Contains(errs, "audit log broken at event 2") {
		t.Fatalf("a log edited and re-hashed with plain SHA-256 = %d, %q", code, errs)
	}
}
