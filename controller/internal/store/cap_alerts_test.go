package store

import (
	"context"
	"testing"
)

// TestCAPAlertsPerFeedMigrationKeepsAlerts: rebuilding cap_alerts to key
// alerts by feed keeps the alerts stored before.
func TestCAPAlertsPerFeedMigrationKeepsAlerts(t *testing.T) {
	ctx := context.Background()
	db, dir := beforeMigration(t, "CREATE TABLE cap_alerts_13")
	if _, err := db.Exec(`INSERT INTO cap_alerts (id, identifier, sender, sent, msg_type, state, headline, group_ids, refs, received_at)
		VALUES (7, 'VN-1', 'kttv', '2026-11-30T01:00:00Z', 'Alert', 'published', 'Bão', '1,2', 'kttv,VN-0', '2026-11-30T01:00:05Z')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a, err := s.CAPAlert(ctx, 7)
	if err != nil || a.Identifier != "VN-1" || a.Title != "Bão" || len(a.GroupIDs) != 2 || len(a.References) != 1 || a.State != CAPPublished {
		t.Fatalf("after the migration: %+v %v", a, err)
	}
}
