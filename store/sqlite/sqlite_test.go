package sqlite_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

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

// TestReaderCache pins each reader's page cache (readerCacheKiB), which
// with the writer's bounds the memory SQLite may keep.
func TestReaderCache(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "keypad.db"))
	var kib int
	if err := s.ReadDB().QueryRowContext(t.Context(), `PRAGMA cache_size`).Scan(&kib); err != nil {
		t.Fatal(err)
	}
	if want := -2 << 10; kib != want {
		t.Errorf("reader cache_size = %d, want %d (KiB when negative)", kib, want)
	}
}

// TestCheckpointer: the background checkpoint copies committed pages
// back into the database file, so the WAL does not wait for the writer's
// autocheckpoint; Close stops it.
func TestCheckpointer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keypad.db")
	s := open(t, path)
	if _, err := s.DB().ExecContext(t.Context(), `CREATE TABLE filler (x BLOB)`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().ExecContext(t.Context(), `INSERT INTO filler VALUES (zeroblob(1000000))`); err != nil {
		t.Fatal(err)
	}
	// The megabyte sits in the WAL, far below the writer's
	// autocheckpoint (10,000 pages): only the background checkpoint
	// brings it into the database file. Wait until it has.
	for {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() >= 1000000 {
			break // the blob reached the database file
		}
		select {
		case <-t.Context().Done():
			t.Fatal("the blob never reached the database file")
		case <-time.After(10 * time.Millisecond):
		}
	}
}
