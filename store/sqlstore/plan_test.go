package sqlstore

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

// TestQueryPlans pins that the queries which must stay fast on large
// tables use an index (SQLite's plan says SEARCH, not SCAN): FindSubjects
// over a million subjects, revoking a grant's or a family's tokens among
// millions, purging.
func TestQueryPlans(t *testing.T) {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	s := New(SQLite, db, nil)
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	type query struct {
		name, query string
		args        []any
	}
	queries := []query{
		{"FindSubjects", findSubjects, []any{"address", "12 main st"}},
		{"ListGrantsBySubject", `SELECT ` + grantCols + ` FROM grants WHERE subject = $1 ORDER BY created_at DESC, id DESC`, []any{"s"}},
		{"ListGrantsByClient", `SELECT ` + grantCols + ` FROM grants WHERE client_id = $1 ORDER BY created_at DESC, id DESC`, []any{"c"}},
		{"RevokeGrantTokens", revokeGrantTokens, []any{"g", 1}},
		{"RevokeFamily", revokeFamily, []any{"f", 1}},
		{"DeleteSubjectTokens", `DELETE FROM tokens WHERE subject = $1`, []any{"s"}},
		{"DeleteClientTokens", `DELETE FROM tokens WHERE client_id = $1`, []any{"c"}},
	}
	for _, p := range purges {
		queries = append(queries, query{"Purge_" + p.table, p.query(SQLite), []any{1}})
	}
	for _, tc := range queries {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := db.QueryContext(t.Context(), `EXPLAIN QUERY PLAN `+tc.query, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			for _, step := range plan {
				if strings.HasPrefix(step, "SCAN") {
					t.Errorf("plan scans a table: %q (whole plan %q)", step, plan)
				}
			}
		})
	}
}
