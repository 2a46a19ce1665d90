package postgres_test

import (
	"testing"

	"github.com/keypadauth/keypad/internal/pgtest"

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
	return pgtest.Schema(t, "keypad_test")
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

func TestUpgrade(t *testing.T) {
	storetest.RunUpgradeTests(t, func(t *testing.T) func() storetest.Upgrader {
		dsn := freshSchema(t)
		return func() storetest.Upgrader { return open(t, dsn, false) }
	})
}
