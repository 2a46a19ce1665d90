package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/store/sqlite"
	"github.com/keypadauth/keypad/store/sqlstore"
	"github.com/keypadauth/keypad/store/storetest"
)

// open opens and migrates the database file at path.
func open(t testing.TB, path string) *sqlstore.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStore(t *testing.T) {
	storetest.RunTests(t, func(t *testing.T) keypad.Store {
		return open(t, filepath.Join(t.TempDir(), "keypad.db"))
	})
}

func TestTwoStores(t *testing.T) {
	storetest.RunMultiTests(t, func(t *testing.T) (keypad.Store, keypad.Store) {
		path := filepath.Join(t.TempDir(), "keypad.db")
		return open(t, path), open(t, path)
	})
}

func TestSchema(t *testing.T) {
	storetest.RunSchemaTests(t, func(t *testing.T) func() storetest.Migrator {
		path := filepath.Join(t.TempDir(), "keypad.db")
		return func() storetest.Migrator {
			s, err := sqlite.Open(t.Context(), path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
	})
}

func TestUpgrade(t *testing.T) {
	storetest.RunUpgradeTests(t, func(t *testing.T) func() storetest.Upgrader {
		path := filepath.Join(t.TempDir(), "keypad.db")
		return func() storetest.Upgrader {
			s, err := sqlite.Open(t.Context(), path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
	})
}

// TestWriterCache pins the writer's page cache (see writerCacheKiB): with
// SQLite's 2 MiB default, imports into a big database spill and re-read
// pages all the time.
func TestWriterCache(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "keypad.db"))
	var kib int
	if err := s.DB().QueryRowContext(t.Context(), `PRAGMA cache_size`).Scan(&kib); err != nil {
		t.Fatal(err)
	}
	if want := -64 << 10; kib != want {
		t.Errorf("writer cache_size = %d, want %d (KiB when negative)", kib, want)
	}
}
