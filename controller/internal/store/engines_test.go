package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/pano-signage/pano/controller/internal/store/pgsql"
	"github.com/pano-signage/pano/controller/internal/store/pgtest"
)

// TestMigrationsForBothEngines: a migration added for SQLite has its
// PostgreSQL twin, and the two engines' schemas have the same tables with
// the same columns, nullability and defaults' presence.
func TestMigrationsForBothEngines(t *testing.T) {
	if len(migrations) != postgresBaselineVersion+len(postgresMigrations) {
		t.Fatalf("%d SQLite migrations, %d for PostgreSQL after its baseline of %d: add the PostgreSQL twin of each new migration to postgresMigrations",
			len(migrations), len(postgresMigrations), postgresBaselineVersion)
	}
	ctx := context.Background()
	lite, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	pg, err := OpenPostgres(ctx, t.TempDir(), pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()

	want := map[string]string{}
	rows, err := lite.r.Query(`SELECT m.name, p.name, p."notnull", p.dflt_value IS NOT NULL, p.pk > 0
		FROM sqlite_schema m, pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var table, col string
		var notNull, dflt, pk bool
		if err := rows.Scan(&table, &col, &notNull, &dflt, &pk); err != nil {
			t.Fatal(err)
		}
		want[table+"."+col] = fmt.Sprintf("not null %v, default %v", notNull || pk, dflt)
	}
	rows.Close()
	got := map[string]string{}
	rows, err = pg.r.Query(`SELECT table_name, column_name, is_nullable = 'NO', column_default IS NOT NULL OR is_identity = 'YES'
		FROM information_schema.columns WHERE table_schema = current_schema() AND table_name != 'schema_version'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var table, col string
		var notNull, dflt bool
		if err := rows.Scan(&table, &col, &notNull, &dflt); err != nil {
			t.Fatal(err)
		}
		if table == "cap_feed_areas" && col == "rowid" {
			continue // SQLite's implicit rowid, made a column
		}
		got[table+"."+col] = fmt.Sprintf("not null %v, default %v", notNull, dflt)
	}
	rows.Close()
	var diff []string
	for k, w := range want {
		g, ok := got[k]
		// An INTEGER PRIMARY KEY is SQLite's rowid, made by default: an
		// identity column on PostgreSQL.
		if ok && g != w && !(strings.HasSuffix(k, ".id") && g == "not null true, default true") {
			diff = append(diff, fmt.Sprintf("%s: SQLite %s, PostgreSQL %s", k, w, g))
		}
		if !ok {
			diff = append(diff, k+": not on PostgreSQL")
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			diff = append(diff, k+": not on SQLite")
		}
	}
	sort.Strings(diff)
	if len(diff) > 0 || len(want) < 200 {
		t.Fatalf("%d columns on SQLite; the schemas differ:\n%s", len(want), strings.Join(diff, "\n"))
	}
}

func TestRebindLeavesQuotedTextAlone(t *testing.T) {
	for q, want := range map[string]string{
		`SELECT a FROM t WHERE b = ? AND c = ?`:                         `SELECT a FROM t WHERE b = $1 AND c = $2`,
		`SELECT '?' || ? FROM t`:                                        `SELECT '?' || $1 FROM t`,
		`SELECT 'it''s ?', ? FROM "we?ird"`:                             `SELECT 'it''s ?', $1 FROM "we?ird"`,
		"SELECT ? -- why? because\n, ?":                                 "SELECT $1 -- why? because\n, $2",
		`SELECT json_extract(value, '$.sha256') FROM json_each(?, '$')`: `SELECT json_extract(value, '$.sha256') FROM json_each($1, '$')`,
		`no parameters`:                                                 `no parameters`,
	} {
		if got := pgsql.Rebind(q); got != want {
			t.Errorf("Rebind(%q) = %q, want %q", q, got, want)
		}
	}
}
