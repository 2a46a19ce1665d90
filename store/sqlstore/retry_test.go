package sqlstore

import (
	"errors"
	"fmt"
	"testing"

	"github.com/keypadauth/keypad"
)

// fakePgError is a PostgreSQL error as pgx reports it, by SQLSTATE.
type fakePgError string

func (e fakePgError) Error() string    { return "ERROR: SQLSTATE " + string(e) }
func (e fakePgError) SQLState() string { return string(e) }

// TestRetry: a transaction that lost a race (40001, 40P01) runs again
// and its success is returned; one that keeps losing stops after
// maxAttempts with ErrUnavailable (503 temporarily_unavailable upstream,
// nothing written); any other error is returned at once, unmarked.
func TestRetry(t *testing.T) {
	s := &Store{d: Postgres}
	for _, state := range []string{pgSerializationFailure, pgDeadlockDetected} {
		t.Run("OKAfterRace"+state, func(t *testing.T) {
			runs := 0
			err := s.retry(t.Context(), func() error {
				runs++
				if runs < 3 {
					return fmt.Errorf("consume: %w", fakePgError(state))
				}
				return nil
			})
			if err != nil || runs != 3 {
				t.Fatalf("retry = %v after %d runs, want nil after 3", err, runs)
			}
		})
		t.Run("ErrUnavailable"+state, func(t *testing.T) {
			runs := 0
			err := s.retry(t.Context(), func() error { runs++; return fakePgError(state) })
			if !errors.Is(err, keypad.ErrUnavailable) || runs != maxAttempts {
				t.Fatalf("retry = %v after %d runs, want ErrUnavailable after %d", err, runs, maxAttempts)
			}
		})
	}
	t.Run("OtherErrorsOnce", func(t *testing.T) {
		runs := 0
		err := s.retry(t.Context(), func() error { runs++; return fakePgError(pgUniqueViolation) })
		if errors.Is(err, keypad.ErrUnavailable) || runs != 1 {
			t.Fatalf("retry = %v after %d runs, want the error unmarked after 1", err, runs)
		}
	})
}
