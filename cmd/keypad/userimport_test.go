package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"github.com/keypadauth/keypad/internal/pgtest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/config"
	"github.com/keypadauth/keypad/importer"
	"github.com/keypadauth/keypad/server"
)

// runImport runs `keypad user import` and returns its output, its
// progress and error lines, and its error.
func runImport(t *testing.T, e env, stdin string, args ...string) (out, errOut string, err error) {
	t.Helper()
	m, o, eo := newMain(e, stdin)
	err = m.Run(context.Background(), append([]string{"user", "import"}, args...))
	return o.String(), eo.String(), err
}

// openTestStore opens e's database to look at what an import wrote.
func openTestStore(t *testing.T, e env) server.Store {
	t.Helper()
	cfg, err := config.Load(config.Sources{LookupEnv: e.lookup})
	if err != nil {
		t.Fatal(err)
	}
	st, err := server.OpenCheckedStore(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// findOne returns the one person an identifier finds.
func findOne(t *testing.T, st keypad.Store, typ keypad.IdentifierType, value string) *keypad.Subject {
	t.Helper()
	subs, err := st.FindSubjects(context.Background(), keypad.Identifier{Type: typ, Value: value})
	if err != nil || len(subs) != 1 {
		t.Fatalf("find %s %q: %d people (%v), want 1", typ, value, len(subs), err)
	}
	return subs[0]
}

const importCSV = `external_id,name,email,phone,address,account
C-1,Heather Lee,Heather@Example.com,(415) 867-4821,"123 North Main Street Apt 4, Springfield, IL 62701",100-200-300
C-2,Sam Roe,sam@example.com,,"77 Sunset Boulevard, Los Angeles, CA 90028",200-300-400
C-3,Bad Phone,bad@example.com,12,,
,No ID,noid@example.com,,,
C-4,"Doe, Jane",jane@example.com,+1 212 555 0142,,
`

func TestUserImport(t *testing.T) {
	e := sqliteBackend.env(t)
	mustRun(t, e, "", "migrate")
	dir := t.TempDir()
	file := filepath.Join(dir, "customers.csv")
	writeFile(t, file, importCSV)

	t.Run("ErrBadRows", func(t *testing.T) {
		out, errOut, err := runImport(t, e, "", file)
		if err == nil || !strings.Contains(err.Error(), "2 of 5 rows were not imported") {
			t.Errorf("import error = %v, want one saying 2 of 5 rows were not imported", err)
		}
		if !strings.Contains(out, "5 rows: 3 created, 0 updated, 0 unchanged, 2 bad") {
			t.Errorf("summary %q, want 3 created and 2 bad", out)
		}
		for _, want := range []string{"line 4: phone:", "line 5: external_id:"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("error output %q lacks %q", errOut, want)
			}
		}
	})

	st := openTestStore(t, e)
	h := findOne(t, st, keypad.IdentifierAddress, "123 N MAIN ST # 4 62701")
	if h.ExternalID != "C-1" || h.Email != "heather@example.com" || h.Phone != "+14158674821" || h.Name != "Heather Lee" {
		t.Errorf("imported person = %+v", h)
	}
	if got := findOne(t, st, keypad.IdentifierAccount, "100200300"); got.ID != h.ID {
		t.Errorf("account finds %s, want %s", got.ID, h.ID)
	}
	if got := findOne(t, st, keypad.IdentifierEmail, "jane@example.com"); got.Name != "Doe, Jane" {
		t.Errorf("quoted name = %q", got.Name)
	}

	t.Run("Idempotent", func(t *testing.T) {
		changed := strings.Replace(importCSV, "sam@example.com", "sam.roe@example.com", 1)
		writeFile(t, file, changed)
		out, _, _ := runImport(t, e, "", file)
		if !strings.Contains(out, "5 rows: 0 created, 1 updated, 2 unchanged, 2 bad") {
			t.Errorf("second import summary %q, want 1 updated and 2 unchanged", out)
		}
		subs, err := st.ListSubjects(context.Background(), "", 0)
		if err != nil || len(subs) != 3 {
			t.Errorf("people after two imports = %d (%v), want 3", len(subs), err)
		}
		findOne(t, st, keypad.IdentifierEmail, "sam.roe@example.com")
		if subs, _ := st.FindSubjects(context.Background(), keypad.Identifier{Type: keypad.IdentifierEmail, Value: "sam@example.com"}); len(subs) != 0 {
			t.Error("the old email still finds the person")
		}
	})

	t.Run("JSONLinesFromStdin", func(t *testing.T) {
		jsonl := `{"external_id":"C-1","name":"Heather Lee","email":"heather@example.com","phone":"(415) 867-4821","address":"123 North Main Street Apt 4, Springfield, IL 62701","account":"100-200-300"}
{"external_id":"C-9","email":"new@example.com","account":12345678}
not json
`
		out, errOut, err := runImport(t, e, jsonl, "-", "--format", "jsonl", "--json")
		if err == nil {
			t.Error("an import with a bad row succeeded")
		}
		var stats importer.Stats
		if jerr := json.Unmarshal([]byte(out), &stats); jerr != nil {
			t.Fatalf("--json printed %q: %v", out, jerr)
		}
		if stats.Rows != 3 || stats.Created != 1 || stats.Unchanged != 1 || stats.Bad != 1 {
			t.Errorf("stats = %+v, want 3 rows: 1 created, 1 unchanged, 1 bad", stats)
		}
		if !strings.Contains(errOut, "line 3:") {
			t.Errorf("error output %q lacks line 3", errOut)
		}
		findOne(t, st, keypad.IdentifierAccount, "12345678")
	})

	t.Run("ErrClash", func(t *testing.T) {
		mustRun(t, e, "", "user", "create", "--username", "taken")
		f := filepath.Join(dir, "clash.csv")
		writeFile(t, f, "external_id,username,email\nC-50,taken,c50@example.com\nC-51,free,c51@example.com\n")
		out, errOut, err := runImport(t, e, "", f)
		if err == nil || !strings.Contains(errOut, `line 2: username: "taken" already belongs to another person`) {
			t.Errorf("clash: err %v, error output %q", err, errOut)
		}
		if !strings.Contains(out, "2 rows: 1 created, 0 updated, 0 unchanged, 1 bad") {
			t.Errorf("summary %q", out)
		}
	})

	t.Run("UpdatesPeopleMadeByHand", func(t *testing.T) {
		// Someone created by hand with a customer number is that customer:
		// the import updates them and leaves their login alone.
		hand := &keypad.Subject{ID: "hand-made", ExternalID: "H-1", Username: "hanna", PasswordHash: "$argon2id$v=19$m=65536,t=1,p=4$c2FsdA$aGFzaA"}
		if err := st.CreateSubject(context.Background(), hand); err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(dir, "hand.csv")
		writeFile(t, f, "external_id,name,email\nH-1,Hanna Berg,hanna@example.com\n")
		out, errOut, err := runImport(t, e, "", f)
		if err != nil || !strings.Contains(out, "1 rows: 0 created, 1 updated, 0 unchanged, 0 bad") {
			t.Fatalf("import: %v\n%s%s", err, out, errOut)
		}
		got := findOne(t, st, keypad.IdentifierEmail, "hanna@example.com")
		if got.ID != hand.ID || got.Name != "Hanna Berg" || got.Username != hand.Username || got.PasswordHash != hand.PasswordHash {
			t.Errorf("person made by hand after the import = %+v, want %s with name, username and password hash", got, hand.ID)
		}
	})

	t.Run("DryRun", func(t *testing.T) {
		f := filepath.Join(dir, "dry.csv")
		writeFile(t, f, "external_id,email\nD-1,d1@example.com\nD-2,d2@example.com\n")
		out, _, err := runImport(t, e, "", f, "--dry-run")
		if err != nil || !strings.Contains(out, "dry run, nothing written): 2 rows: 2 good, 0 bad") {
			t.Errorf("dry run: %q, %v", out, err)
		}
		if subs, _ := st.FindSubjects(context.Background(), keypad.Identifier{Type: keypad.IdentifierEmail, Value: "d1@example.com"}); len(subs) != 0 {
			t.Error("a dry run wrote a person")
		}
	})

	t.Run("Progress", func(t *testing.T) {
		f := filepath.Join(dir, "progress.csv")
		writeFile(t, f, "external_id,email\nP-1,p1@example.com\nP-2,p2@example.com\nP-3,p3@example.com\nP-4,p4@example.com\n")
		_, errOut, err := runImport(t, e, "", f, "--progress", "2")
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(errOut), "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "2 rows: 2 created") || !strings.HasPrefix(lines[1], "4 rows: 4 created") {
			t.Errorf("progress lines %q, want one every 2 rows", lines)
		}
	})

	t.Run("ErrUsage", func(t *testing.T) {
		if _, _, err := runImport(t, e, "", "-"); err == nil || !strings.Contains(err.Error(), "--format") {
			t.Errorf("stdin without --format: %v", err)
		}
		if _, _, err := runImport(t, e, "", filepath.Join(dir, "people.txt")); err == nil || !strings.Contains(err.Error(), ".csv") {
			t.Errorf("unknown extension: %v", err)
		}
		bad := filepath.Join(dir, "bad-header.csv")
		writeFile(t, bad, "id,email\n1,a@example.com\n")
		if _, _, err := runImport(t, e, "", bad); err == nil || !strings.Contains(err.Error(), "unknown column") {
			t.Errorf("bad header: %v", err)
		}
	})
}

// writeCustomers writes n realistic customer rows as CSV.
func writeCustomers(tb testing.TB, path string, n int) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriter(f)
	streets := []string{"North Main Street", "Sunset Boulevard", "Elm Road", "Oak Avenue Southwest", "Lake Shore Drive"}
	fmt.Fprintln(w, "external_id,name,email,phone,address,account")
	for i := range n {
		fmt.Fprintf(w, "C-%08d,Customer %d,customer%d@example.com,(415) %03d-%04d,\"%d %s Apt %d, Springfield, IL 627%02d\",A%09d\n",
			i, i, i, 200+(i/10000)%800, i%10000, 1+i%9999, streets[i%len(streets)], 1+i%40, i%100, i)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkUserImport imports KEYPAD_BENCH_IMPORT_ROWS rows (default
// 10000) into a fresh SQLite database per iteration and reports rows/s:
//
//	KEYPAD_BENCH_IMPORT_ROWS=100000 go test ./cmd/keypad -run '^$' -bench UserImport -benchtime 1x
//
// KEYPAD_BENCH_IMPORT_BULK=1 imports with --bulk;
// KEYPAD_BENCH_IMPORT_POSTGRES=1 imports into a fresh schema of the
// KEYPAD_TEST_POSTGRES database instead of SQLite.
func BenchmarkUserImport(b *testing.B) {
	rows := 10000
	if v := os.Getenv("KEYPAD_BENCH_IMPORT_ROWS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("KEYPAD_BENCH_IMPORT_ROWS=%q: want a positive number", v)
		}
		rows = n
	}
	file := filepath.Join(b.TempDir(), "customers.csv")
	writeCustomers(b, file, rows)
	var total time.Duration
	for b.Loop() {
		b.StopTimer()
		e := env{"KEYPAD_DB": "sqlite:" + filepath.Join(b.TempDir(), "keypad.db")}
		if os.Getenv("KEYPAD_BENCH_IMPORT_POSTGRES") == "1" {
			e = env{"KEYPAD_DB": pgtest.Schema(b, "keypad_bench"),
				"KEYPAD_SECRET_FILE": filepath.Join(b.TempDir(), "keypad.secret")}
		}
		m, _, _ := newMain(e, "")
		if err := m.Run(context.Background(), []string{"migrate"}); err != nil {
			b.Fatal(err)
		}
		m, out, errOut := newMain(e, "")
		b.StartTimer()
		start := time.Now()
		args := []string{"user", "import", file, "--progress", strconv.Itoa(rows + 1)}
		if os.Getenv("KEYPAD_BENCH_IMPORT_BULK") == "1" {
			args = append(args, "--bulk")
		}
		err := m.Run(context.Background(), args)
		total += time.Since(start)
		if err != nil {
			b.Fatalf("import: %v\n%s", err, errOut)
		}
		if !strings.Contains(out.String(), fmt.Sprintf("%d rows: %d created", rows, rows)) {
			b.Fatalf("import summary %q", out)
		}
	}
	b.ReportMetric(float64(rows*b.N)/total.Seconds(), "rows/s")
}

// TestUserImportBulk: --bulk imports as the default does (bad rows
// reported by line and skipped, good rows in), and gives SQLite's writer
// the larger page cache.
func TestUserImportBulk(t *testing.T) {
	e := sqliteBackend.env(t)
	mustRun(t, e, "", "migrate")
	file := filepath.Join(t.TempDir(), "customers.csv")
	writeFile(t, file, importCSV)
	out, errOut, err := runImport(t, e, "", file, "--bulk")
	if err == nil || !strings.Contains(err.Error(), "2 of 5 rows were not imported") {
		t.Errorf("import error = %v, want one saying 2 of 5 rows were not imported", err)
	}
	if !strings.Contains(out, "5 rows: 3 created, 0 updated, 0 unchanged, 2 bad") {
		t.Errorf("summary %q, want 3 created and 2 bad", out)
	}
	for _, want := range []string{"line 4: phone:", "line 5: external_id:"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("error output %q lacks %q", errOut, want)
		}
	}
	st := openTestStore(t, e)
	findOne(t, st, keypad.IdentifierEmail, "heather@example.com")

	if err := bulkCache(t.Context(), st, "sqlite:x.db"); err != nil {
		t.Fatal(err)
	}
	var kib int
	if err := st.(interface{ DB() *sql.DB }).DB().QueryRowContext(t.Context(), `PRAGMA cache_size`).Scan(&kib); err != nil {
		t.Fatal(err)
	}
	if want := -bulkCacheMiB << 10; kib != want {
		t.Errorf("writer cache_size after bulkCache = %d, want %d", kib, want)
	}
}
