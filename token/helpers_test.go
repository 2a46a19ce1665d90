package token

import (
	"context"
	"github.com/keypadauth/keypad/internal/testclock"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/keypadauth/keypad/store/sqlite"
	"github.com/keypadauth/keypad/store/sqlstore"
)

// clock is a settable clock for tests.
type clock = testclock.Clock

func newClock() *clock { return testclock.New(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)) }

// newRand is a seeded, concurrency-safe random source, so tests are
// repeatable.
func newRand(seed byte) io.Reader { return testclock.NewRand(seed) }

// mustOpenStore opens a migrated SQLite store in a temporary directory.
func mustOpenStore(t testing.TB) *sqlstore.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "keypad.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return st
}

var testSecret = []byte("0123456789abcdef0123456789abcdef")

func mustSealer(t testing.TB, secret []byte) *Sealer {
	t.Helper()
	s, err := NewSealer(secret, newRand(9))
	if err != nil {
		t.Fatalf("NewSealer: %v", err)
	}
	return s
}

// mustKeyring returns a loaded keyring over st.
func mustKeyring(t testing.TB, st *sqlstore.Store, c *clock, overlap time.Duration) *Keyring {
	t.Helper()
	k := NewKeyring(st, mustSealer(t, testSecret), KeyringOptions{Now: c.Now, Overlap: overlap})
	if err := k.Load(context.Background()); err != nil {
		t.Fatalf("Load: %v", err)
	}
	return k
}
