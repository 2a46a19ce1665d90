package postgres_test

import (
	"crypto/rand"
	"database/sql"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/store/postgres"
	"github.com/keypadauth/keypad/store/sqlstore"
	"github.com/keypadauth/keypad/store/storetest"
)

// freshSchema creates an empty schema of its own for t, dropped at cleanup,
// and returns a DSN whose search_path points at it: tests never see each
// other's rows, so they run in parallel (DDL is slow enough to matter).
func freshSchema(t *testing.T) string {
	t.Helper()
	t.Parallel()
	dsn := os.Getenv("KEYPAD_TEST_POSTGRES")
	if dsn == "" {
		msg := "PostgreSQL tests need a server: set KEYPAD_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
		if os.Getenv("KEYPAD_TEST_STRICT") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	schema := "keypad_test_" + strings.ToLower(rand.Text())
	if _, err := admin.ExecContext(t.Context(), `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Error(err)
			return
		}
		defer admin.Close()
		if _, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " search_path=" + schema
}

func open(t *testing.T, dsn string, migrate bool) *sqlstore.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if migrate {
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func TestStore(t *testing.T) {
	storetest.RunTests(t, func(t *testing.T) keypad.Store { return open(t, freshSchema(t), true) })
}

func TestTwoStores(t *testing.T) {
	storetest.RunMultiTests(t, func(t *testing.T) (keypad.Store, keypad.Store) {
		dsn := freshSchema(t)
		return open(t, dsn, true), open(t, dsn, false)
	})
}

func TestSchema(t *testing.T) {
	storetest.RunSchemaTests(t, func(t *testing.T) func() storetest.Migrator {
		dsn := freshSchema(t)
		return func() storetest.Migrator { return open(t, dsn, false) }
	})
}
