package main

import (
	"os"
	"strings"
	"testing"

	"github.com/keypadauth/keypad/store"
)

// schemaVersion reads the version of e's database directly.
func schemaVersion(t *testing.T, e env) int {
	t.Helper()
	st, err := store.Open(t.Context(), e["KEYPAD_DB"])
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	v, err := st.SchemaVersion(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestMigrateDryRun(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			e := b.env(t)
			t.Run("Fresh", func(t *testing.T) {
				schemaVersion(t, e) // an empty database (the file, on SQLite)
				out := mustRun(t, e, "", "migrate", "--dry-run")
				for _, want := range []string{"is at schema version 0", "1  0001_init.sql", "CREATE TABLE clients",
					"2  0002_otp_sends.sql", "CREATE TABLE otp_sends", "3  0003_device_resources.sql",
					"ALTER TABLE device_authorizations ADD COLUMN resources", "nothing was changed"} {
					if !strings.Contains(out, want) {
						t.Errorf("migrate --dry-run on a fresh database printed\n%s\nwant it to contain %q", out, want)
					}
				}
				if v := schemaVersion(t, e); v != 0 {
					t.Errorf("after --dry-run the schema is at version %d, want 0 (nothing changed)", v)
				}
			})
			t.Run("Partial", func(t *testing.T) {
				st, err := store.Open(t.Context(), e["KEYPAD_DB"])
				if err != nil {
					t.Fatal(err)
				}
				if err := st.MigrateTo(t.Context(), 2); err != nil {
					t.Fatal(err)
				}
				st.Close()
				out := mustRun(t, e, "", "migrate", "--dry-run", "--sql")
				if strings.Contains(out, "0001_init.sql") || strings.Contains(out, "0002_otp_sends.sql") {
					t.Errorf("migrate --dry-run at version 2 lists steps already applied:\n%s", out)
				}
				for _, want := range []string{"is at schema version 2", "3  0003_device_resources.sql",
					"-- The RFC 8707 resource indicators", "DEFAULT 'null'"} {
					if !strings.Contains(out, want) {
						t.Errorf("migrate --dry-run --sql at version 2 printed\n%s\nwant it to contain %q", out, want)
					}
				}
				if v := schemaVersion(t, e); v != 2 {
					t.Errorf("after --dry-run the schema is at version %d, want 2", v)
				}
			})
			t.Run("UpToDate", func(t *testing.T) {
				mustRun(t, e, "", "migrate")
				out := mustRun(t, e, "", "migrate", "--dry-run")
				if !strings.Contains(out, "is up to date") || !strings.Contains(out, "nothing would run") {
					t.Errorf("migrate --dry-run on a migrated database printed %q", out)
				}
			})
		})
	}
	t.Run("NoSQLiteFile", func(t *testing.T) {
		e := sqliteBackend.env(t)
		out := mustRun(t, e, "", "migrate", "--dry-run")
		if !strings.Contains(out, "no database at") || !strings.Contains(out, "nothing was changed") {
			t.Errorf("migrate --dry-run without a database file printed %q", out)
		}
		if _, err := os.Stat(strings.TrimPrefix(e["KEYPAD_DB"], "sqlite:")); !os.IsNotExist(err) {
			t.Errorf("migrate --dry-run created the database file: %v", err)
		}
	})
	t.Run("SQLWithoutDryRun", func(t *testing.T) {
		e := sqliteBackend.env(t)
		if _, err := run(t, e, "", "migrate", "--sql"); err == nil || !strings.Contains(err.Error(), "--sql goes with --dry-run") {
			t.Errorf("migrate --sql = %v, want a usage error", err)
		}
		if v := schemaVersion(t, e); v != 0 {
			t.Errorf("a refused migrate --sql left the schema at version %d, want 0", v)
		}
	})
}
