package storetest

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/keypadauth/keypad"
)

// Migrator is a store whose schema keypad manages: *sqlstore.Store.
type Migrator interface {
	Migrate(ctx context.Context) error
	CheckSchema(ctx context.Context) error
	SchemaVersion(ctx context.Context) (int, error)
	LatestVersion() (int, error)
	// DB gives the tests raw SQL, to fake a newer schema.
	DB() *sql.DB
}

// RunSchemaTests pins migrations and the schema check. newDB makes an
// empty database and returns how to open a Store on it (unmigrated; the
// opener registers the Store's cleanup on t).
func RunSchemaTests(t *testing.T, newDB func(t *testing.T) (open func() Migrator)) {
	t.Run("FreshDatabase", func(t *testing.T) {
		s := newDB(t)()
		want, err := s.LatestVersion()
		must(t, err)
		if want < 1 {
			t.Fatalf("got latest version %d, want at least 1", want)
		}
		v, err := s.SchemaVersion(t.Context())
		must(t, err)
		mustEqual(t, "version of a fresh database", v, 0)
		mustBeSchemaError(t, s.CheckSchema(t.Context()), keypad.SchemaError{Have: 0, Want: want}, "keypad migrate")
	})
	t.Run("Migrated", func(t *testing.T) {
		s := newDB(t)()
		must(t, s.Migrate(t.Context()))
		must(t, s.CheckSchema(t.Context()))
		// Migrating again changes nothing.
		must(t, s.Migrate(t.Context()))
		must(t, s.CheckSchema(t.Context()))
		want, err := s.LatestVersion()
		must(t, err)
		v, err := s.SchemaVersion(t.Context())
		must(t, err)
		mustEqual(t, "version after migrating", v, want)
	})
	t.Run("NewerDatabase", func(t *testing.T) {
		s := newDB(t)()
		must(t, s.Migrate(t.Context()))
		want, err := s.LatestVersion()
		must(t, err)
		_, err = s.DB().ExecContext(t.Context(), `INSERT INTO schema_version (version) VALUES ($1)`, want+1)
		must(t, err)
		mustBeSchemaError(t, s.CheckSchema(t.Context()), keypad.SchemaError{Have: want + 1, Want: want}, "newer")
		// Migrate leaves a newer schema alone, and says so.
		mustBeSchemaError(t, s.Migrate(t.Context()), keypad.SchemaError{Have: want + 1, Want: want}, "upgrade keypad")
		v, err := s.SchemaVersion(t.Context())
		must(t, err)
		mustEqual(t, "version after refusing to migrate", v, want+1)
	})
	t.Run("ConcurrentMigrate", func(t *testing.T) {
		// Two processes starting at once both migrate; one does the work.
		open := newDB(t)
		stores := []Migrator{open(), open(), open(), open()}
		errs := make([]error, len(stores))
		var wg sync.WaitGroup
		for i, s := range stores {
			wg.Go(func() { errs[i] = s.Migrate(t.Context()) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("migrate %d: %v", i, err)
			}
		}
		must(t, stores[0].CheckSchema(t.Context()))
	})
}

func mustBeSchemaError(t *testing.T, err error, want keypad.SchemaError, says string) {
	t.Helper()
	var se *keypad.SchemaError
	if !errors.As(err, &se) {
		t.Fatalf("got error %v, want a *keypad.SchemaError", err)
	}
	mustEqual(t, "schema error", *se, want)
	if !strings.Contains(err.Error(), says) {
		t.Errorf("schema error %q does not say %q", err, says)
	}
}
