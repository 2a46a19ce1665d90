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
		// Instances starting at once all migrate a fresh database; each
		// step runs exactly once (a second run of a CREATE TABLE or an
		// ALTER would fail, and so would recording its version twice) and
		// every instance succeeds.
		open := newDB(t)
		const n = 8
		stores := make([]Migrator, n)
		for i := range stores {
			stores[i] = open()
		}
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, s := range stores {
			wg.Go(func() {
				<-start
				errs[i] = s.Migrate(t.Context())
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("migrate %d: %v", i, err)
			}
		}
		must(t, stores[0].CheckSchema(t.Context()))
		want, err := stores[0].LatestVersion()
		must(t, err)
		rows, err := stores[0].DB().QueryContext(t.Context(), `SELECT version FROM schema_version ORDER BY version`)
		must(t, err)
		defer rows.Close()
		var got []int
		for rows.Next() {
			var v int
			must(t, rows.Scan(&v))
			got = append(got, v)
		}
		must(t, rows.Err())
		wantVersions := make([]int, want)
		for i := range wantVersions {
			wantVersions[i] = i + 1
		}
		mustEqual(t, "recorded schema versions", got, wantVersions)
	})
	t.Run("MigrateTo", func(t *testing.T) {
		s, ok := newDB(t)().(interface {
			Migrator
			MigrateTo(ctx context.Context, version int) error
		})
		if !ok {
			t.Skip("the store cannot migrate to an earlier version")
		}
		must(t, s.MigrateTo(t.Context(), 1))
		v, err := s.SchemaVersion(t.Context())
		must(t, err)
		mustEqual(t, "version after MigrateTo(1)", v, 1)
		want, err := s.LatestVersion()
		must(t, err)
		if err := s.MigrateTo(t.Context(), want+1); err == nil {
			t.Error("MigrateTo a version this keypad does not know succeeded")
		}
		must(t, s.Migrate(t.Context()))
		must(t, s.CheckSchema(t.Context()))
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
