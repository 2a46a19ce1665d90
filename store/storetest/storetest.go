// Package storetest is the contract of keypad.Store as executable tests.
// Every backend runs the same suite from a ten-line test file:
//
//	func TestStore(t *testing.T) { storetest.RunTests(t, newStore) }
//
// The suite pins each method's documented behaviour: round trips of every
// field (zero times, nil against empty slices), the sentinel errors, list
// orders, and that single-use records are consumed exactly once under
// concurrency, on one Store or on two sharing a database (RunMultiTests).
//
// Stores keep times at microsecond precision in UTC, so the suite's times
// are whole microseconds in UTC.
package storetest

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
)

// t0 is the suite's "now". Fixed, so no test depends on the wall clock.
var t0 = time.Date(2026, time.March, 1, 12, 0, 0, 123456000, time.UTC)

// RunTests runs the whole conformance suite. newStore returns an empty,
// migrated store for one subtest; it registers its own cleanup on t, and
// may call t.Parallel: every subtest calls it first.
func RunTests(t *testing.T, newStore func(t *testing.T) keypad.Store) {
	t.Run("Clients", func(t *testing.T) { testClients(t, newStore) })
	t.Run("Scopes", func(t *testing.T) { testScopes(t, newStore) })
	t.Run("IdPs", func(t *testing.T) { testIdPs(t, newStore) })
	t.Run("Subjects", func(t *testing.T) { testSubjects(t, newStore) })
	t.Run("UpsertSubjects", func(t *testing.T) { testUpsertSubjects(t, newStore) })
	t.Run("ModifySubject", func(t *testing.T) { testModifySubject(t, newStore) })
	t.Run("Grants", func(t *testing.T) { testGrants(t, newStore) })
	t.Run("Tokens", func(t *testing.T) { testTokens(t, newStore) })
	t.Run("Keys", func(t *testing.T) { testKeys(t, newStore) })
	t.Run("Counters", func(t *testing.T) { testCounters(t, newStore) })
	t.Run("Audit", func(t *testing.T) { testAudit(t, newStore) })
	t.Run("Outbox", func(t *testing.T) { testOutbox(t, newStore) })
	t.Run("Devices", func(t *testing.T) { testDevices(t, newStore) })
	t.Run("Sessions", func(t *testing.T) { testSessions(t, newStore) })
	t.Run("AuthCodes", func(t *testing.T) { testAuthCodes(t, newStore) })
	t.Run("OTP", func(t *testing.T) { testOTP(t, newStore) })
	t.Run("OTPQueue", func(t *testing.T) { testOTPQueue(t, newStore) })
	t.Run("CIBA", func(t *testing.T) { testCIBA(t, newStore) })
	t.Run("DPoP", func(t *testing.T) { testDPoP(t, newStore) })
	t.Run("PushedRequests", func(t *testing.T) { testPushedRequests(t, newStore) })
	t.Run("Conditional", func(t *testing.T) { testConditional(t, newStore) })
	t.Run("Idempotency", func(t *testing.T) { testIdempotency(t, newStore) })
	t.Run("AuditQuery", func(t *testing.T) { testAuditQuery(t, newStore) })
	t.Run("ImportJobs", func(t *testing.T) { testImportJobs(t, newStore) })
	t.Run("Registration", func(t *testing.T) { testRegistration(t, newStore) })
	t.Run("PurgeExpired", func(t *testing.T) { testPurge(t, newStore) })
	t.Run("PurgeExpiredMany", func(t *testing.T) { testPurgeMany(t, newStore) })
	t.Run("Ping", func(t *testing.T) { must(t, newStore(t).Ping(t.Context())) })
	t.Run("ErrUnavailable", func(t *testing.T) { testUnavailable(t, newStore) })
	t.Run("Changes", func(t *testing.T) {
		s := newStore(t)
		testChanges(t, s, s)
	})
	t.Run("Race", func(t *testing.T) {
		runRaces(t, func(t *testing.T) (keypad.Store, keypad.Store) {
			s := newStore(t)
			return s, s
		})
	})
}

// RunMultiTests runs the concurrency tests through two Store values on one
// database, as two keypad processes sharing it would: single-use records
// must still be consumed exactly once. newPair returns two stores opened
// separately on the same empty, migrated database.
func RunMultiTests(t *testing.T, newPair func(t *testing.T) (keypad.Store, keypad.Store)) {
	t.Run("Changes", func(t *testing.T) {
		a, b := newPair(t)
		testChanges(t, a, b)
	})
	runRaces(t, newPair)
}

// h is a record key as callers make them: the hash of a secret.
func h(secret string) []byte { return keypad.SecretHash(secret) }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

func mustBeErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("got error %v, want %v", err, want)
	}
}

func mustBeErrNotFound(t *testing.T, err error) { t.Helper(); mustBeErr(t, err, keypad.ErrNotFound) }
func mustBeErrConflict(t *testing.T, err error) { t.Helper(); mustBeErr(t, err, keypad.ErrConflict) }
func mustBeErrConsumed(t *testing.T, err error) { t.Helper(); mustBeErr(t, err, keypad.ErrConsumed) }
func mustBeErrExpired(t *testing.T, err error)  { t.Helper(); mustBeErr(t, err, keypad.ErrExpired) }
func mustBeErrRevoked(t *testing.T, err error)  { t.Helper(); mustBeErr(t, err, keypad.ErrRevoked) }

// mustEqual compares deeply: nil and empty slices differ, and so do times
// in different locations.
func mustEqual[V any](t *testing.T, what string, got, want V) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got %+v\nwant %+v", what, deref(got), deref(want))
	}
}

// deref makes a pointer print as its value.
func deref(v any) any {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer && !rv.IsNil() {
		return rv.Elem().Interface()
	}
	return v
}

// keys maps a list to its records' keys, for order checks.
func keys[V any](list []V, key func(V) string) []string {
	out := []string{}
	for _, v := range list {
		out = append(out, key(v))
	}
	return out
}

// testUnavailable closes a store, as an outage would take its database
// away: reads, writes and transactions then fail with ErrUnavailable (by
// errors.Is, whatever the driver said), so callers answer "try again
// shortly" instead of a bug report.
func testUnavailable(t *testing.T, newStore func(*testing.T) keypad.Store) {
	s := newStore(t)
	must(t, s.CreateClient(t.Context(), fullClient("c1")))
	must(t, s.Close())
	_, err := s.GetClient(t.Context(), "c1")
	mustBeErr(t, err, keypad.ErrUnavailable)
	_, err = s.Hit(t.Context(), "k", time.Minute, t0)
	mustBeErr(t, err, keypad.ErrUnavailable)
	mustBeErr(t, s.CreateToken(t.Context(), fullToken("rt")), keypad.ErrUnavailable)
	_, err = s.ConsumeToken(t.Context(), h("rt"), t0)
	mustBeErr(t, err, keypad.ErrUnavailable)
	mustBeErr(t, s.Ping(t.Context()), keypad.ErrUnavailable)
}
