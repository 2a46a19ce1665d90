package importer_test

import (
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/identifier"
	"github.com/keypadauth/keypad/importer"
	"github.com/keypadauth/keypad/internal/pgtest"
	"github.com/keypadauth/keypad/internal/testclock"
	"github.com/keypadauth/keypad/store/postgres"
	"github.com/keypadauth/keypad/store/sqlite"
	"github.com/keypadauth/keypad/store/sqlstore"
)

// customers is a file of n good rows, then a row whose phone is bad,
// then the first row's username given to another customer.
func customers(n int) string {
	var b strings.Builder
	b.WriteString("external_id,username,name,email,phone,address,account\n")
	for i := range n {
		fmt.Fprintf(&b, "C-%05d,user%d,Customer %d,c%d@example.com,(415) 555-%04d,\"%d Elm Road Apt %d, Springfield, IL 62701\",A%07d\n",
			i, i, i, i, i%10000, 1+i%500, 1+i/500, i)
	}
	b.WriteString("C-bad,,Bad Phone,bad@example.com,12,,\n")
	b.WriteString("C-clash,user0,Clash,clash@example.com,,,\n")
	return b.String()
}

// run imports file into st at the time at, in batches of 256 rows, so a few thousand rows
// are many transactions, and returns the stats and the bad rows.
func run(t *testing.T, st keypad.SubjectStore, file string, at time.Time) (importer.Stats, []error) {
	t.Helper()
	r, err := identifier.NewReader(strings.NewReader(file), identifier.FormatCSV)
	if err != nil {
		t.Fatal(err)
	}
	var bad []error
	clock := testclock.New(at)
	imp := importer.New(st, importer.Options{Key: []byte("test key"), Batch: 256, Now: clock.Now,
		BadRow: func(err error) { bad = append(bad, err) }})
	stats, err := imp.Run(t.Context(), r)
	if err != nil {
		t.Fatal(err)
	}
	return stats, bad
}

// snapshot is every row an import writes, in a fixed order.
func snapshot(t *testing.T, db *sql.DB) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT id, external_id, COALESCE(username, ''), name, email, phone, identifiers, created_at, updated_at FROM subjects ORDER BY id`,
		`SELECT type, value, subject_id FROM subject_identifiers ORDER BY type, value, subject_id`,
	} {
		rows, err := db.QueryContext(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&b, vals...)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

// testReimport: a file's first import creates its good rows, indexed by
// every identifier, and reports the bad row and the clash by line; the
// same file imported again (an hour later) writes nothing at all.
func testReimport(t *testing.T, st *sqlstore.Store) {
	const n = 3000
	file := customers(n)
	first := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	stats, bad := run(t, st, file, first)
	if stats.Rows != n+2 || stats.Created != n || stats.Bad != 2 {
		t.Errorf("first import: %s, want %d rows: %d created, 2 bad", stats, n+2, n)
	}
	var lines []int
	for _, err := range bad {
		var re *identifier.RowError
		if !errors.As(err, &re) {
			t.Fatalf("bad row error %v is not a *identifier.RowError", err)
		}
		lines = append(lines, re.Line)
	}
	if want := []int{n + 2, n + 3}; fmt.Sprint(lines) != fmt.Sprint(want) {
		t.Errorf("bad rows on lines %v, want %v (the bad phone, the username clash)", lines, want)
	}
	for _, i := range []int{0, 1234, n - 1} {
		for _, id := range []keypad.Identifier{
			{Type: keypad.IdentifierEmail, Value: fmt.Sprintf("c%d@example.com", i)},
			{Type: keypad.IdentifierPhone, Value: fmt.Sprintf("+1415555%04d", i%10000)},
			{Type: keypad.IdentifierAccount, Value: fmt.Sprintf("A%07d", i)},
			{Type: keypad.IdentifierAddress, Value: fmt.Sprintf("%d ELM RD # %d 62701", 1+i%500, 1+i/500)},
		} {
			subs, err := st.FindSubjects(t.Context(), id)
			if err != nil || len(subs) != 1 || subs[0].ExternalID != fmt.Sprintf("C-%05d", i) {
				t.Errorf("FindSubjects(%v) = %d people, %v; want C-%05d", id, len(subs), err, i)
			}
		}
	}
	before := snapshot(t, st.DB())

	stats, bad = run(t, st, file, first.Add(time.Hour))
	if stats.Rows != n+2 || stats.Unchanged != n || stats.Created+stats.Updated != 0 || stats.Bad != 2 || len(bad) != 2 {
		t.Errorf("second import: %s, want %d rows: %d unchanged, 2 bad", stats, n+2, n)
	}
	if after := snapshot(t, st.DB()); after != before {
		t.Errorf("the second import changed the database (%d bytes of rows before, %d after)", len(before), len(after))
	}
}

func TestReimportSQLite(t *testing.T) {
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "keypad.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	testReimport(t, st)
}

func TestReimportPostgres(t *testing.T) {
	st, err := postgres.Open(t.Context(), pgtest.Schema(t, "keypad_importer"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	testReimport(t, st)
}
