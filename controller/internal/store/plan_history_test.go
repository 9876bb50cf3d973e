package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pano-signage/pano/protocol"
)

// TestPlanHistoryMigrationKeepsRecordsAndThePlanInForce: rebuilding
// play_records to key ids per display keeps the records stored before, and
// the plan each display holds becomes the first of its history (records
// and fetches of it stay acceptable).
func TestPlanHistoryMigrationKeepsRecordsAndThePlanInForce(t *testing.T) {
	ctx := context.Background()
	db, dir := beforeMigration(t, "CREATE TABLE play_records_14")
	sha := strings.Repeat("ab", 32)
	for _, q := range []string{
		`INSERT INTO displays (id, name, width, height, fit, profile, created_at) VALUES (4, 'cong-phuong', 64, 32, 'contain', 'virtual', '2026-11-01T00:00:00Z')`,
		`INSERT INTO display_plans (display_id, revision, digest, plan, updated_at) VALUES (4, 7, 'd', '{"revision":7,"assets":[{"sha256":"` + sha + `","kind":"image","bytes":1}]}', '2026-11-02T00:00:00Z')`,
		`INSERT INTO play_records (id, display_id, plan_revision, schedule_id, item, media_id, started_at, ended_at, received_at)
			VALUES ('4-1-1-1', 4, 7, 1, 1, 9, '2026-11-02T01:00:00Z', '2026-11-02T01:00:05Z', '2026-11-02T01:00:06Z')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	recs, err := s.PlayRecords(ctx, PlayFilter{DisplayID: 4})
	if err != nil || len(recs) != 1 || recs[0].ID != "4-1-1-1" || recs[0].Media != 9 {
		t.Fatalf("records after the migration: %+v %v", recs, err)
	}
	p, err := s.PlanRevision(ctx, 4, 7)
	if err != nil || !strings.Contains(string(p.Plan), sha) || p.ReplacedAt != nil {
		t.Fatalf("plan history after the migration: %+v %v", p, err)
	}
	if ok, err := s.DisplayMayFetch(ctx, 4, sha, time.Now()); err != nil || !ok {
		t.Fatalf("the plan in force's asset: %v %v", ok, err)
	}
	// The same id from another display is another record.
	n, err := s.AddPlayRecords(ctx, 5, []protocol.PlayRecord{{ID: "4-1-1-1", Display: 5, PlanRevision: 1, Start: time.Now(), End: time.Now()}})
	if err != nil || n != 1 {
		t.Fatalf("another display's record with the same id: %d %v", n, err)
	}
}
