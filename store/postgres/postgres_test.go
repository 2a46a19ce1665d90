package postgres_test

import (
	"database/sql"
	"strings"
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
	if !strings.Contains(dsn, "pool_max_conns") {
		// A pool keeps every connection it opened (idle = open), and the
		// suite runs stores side by side: eight each keeps two racing
		// stores' 64 goroutines contending, and the whole test run within
		// the server's max_connections (100) beside other packages.
		dsn = withParam(dsn, "pool_max_conns=8")
	}
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

// TestPoolSize: the pool keeps as many idle connections as it may open
// (no churn under load), and the DSN's pool_max_conns sizes it.
func TestPoolSize(t *testing.T) {
	dsn := freshSchema(t)
	s := open(t, withParam(dsn, "pool_max_conns=3"), true)
	if got := s.DB().Stats().MaxOpenConnections; got != 3 {
		t.Errorf("max open connections = %d, want 3", got)
	}
	// Hold three connections at once, then let them go: all three stay.
	ctx := t.Context()
	var conns []*sql.Conn
	for range 3 {
		c, err := s.DB().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Close()
	}
	if st := s.DB().Stats(); st.Idle != 3 || st.MaxIdleClosed != 0 {
		t.Errorf("after a burst of 3: %d idle, %d closed for want of idle room; want 3 idle, 0 closed", st.Idle, st.MaxIdleClosed)
	}
}

// withParam adds a parameter to a URL or key=value DSN.
func withParam(dsn, kv string) string {
	switch {
	case !strings.Contains(dsn, "://"):
		return dsn + " " + kv
	case strings.Contains(dsn, "?"):
		return dsn + "&" + kv
	}
	return dsn + "?" + kv
}
