package postgres_test

import (
	"net/url"
	"testing"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/store/storetest"
)

// serializable returns a fresh schema's DSN whose sessions run every
// transaction SERIALIZABLE, as CockroachDB and YugabyteDB do: contention
// then answers SQLSTATE 40001 where READ COMMITTED would wait.
func serializable(t *testing.T) string {
	t.Helper()
	u, err := url.Parse(freshSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("default_transaction_isolation", "serializable")
	u.RawQuery = q.Encode()
	return u.String()
}

// TestStoreSerializable runs the whole conformance suite, its races
// included, with every transaction SERIALIZABLE.
func TestStoreSerializable(t *testing.T) {
	storetest.RunTests(t, func(t *testing.T) keypad.Store {
		s := open(t, serializable(t), true)
		var level string
		if err := s.DB().QueryRowContext(t.Context(), `SHOW transaction_isolation`).Scan(&level); err != nil || level != "serializable" {
			t.Fatalf("transaction_isolation = %q, %v; want serializable", level, err)
		}
		return s
	})
}

// TestTwoStoresSerializable races two stores (two instances) on one
// SERIALIZABLE database.
func TestTwoStoresSerializable(t *testing.T) {
	storetest.RunMultiTests(t, func(t *testing.T) (keypad.Store, keypad.Store) {
		dsn := serializable(t)
		return open(t, dsn, true), open(t, dsn, false)
	})
}
