package storetest

import (
	"testing"
	"time"

	"github.com/keypadauth/keypad"
)

func testDPoP(t *testing.T, newStore func(*testing.T) keypad.Store) {
	t.Run("OK", func(t *testing.T) {
		s := newStore(t)
		must(t, s.UseDPoPProof(t.Context(), h("a"), t0, t0.Add(time.Minute)))
		must(t, s.UseDPoPProof(t.Context(), h("b"), t0, t0.Add(time.Minute)))
	})
	t.Run("ErrConflict", func(t *testing.T) {
		s := newStore(t)
		must(t, s.UseDPoPProof(t.Context(), h("a"), t0, t0.Add(time.Minute)))
		mustBeErrConflict(t, s.UseDPoPProof(t.Context(), h("a"), t0.Add(59*time.Second), t0.Add(2*time.Minute)))
	})
	t.Run("ExpiredRecordIsTakenOver", func(t *testing.T) {
		s := newStore(t)
		must(t, s.UseDPoPProof(t.Context(), h("a"), t0, t0.Add(time.Minute)))
		must(t, s.UseDPoPProof(t.Context(), h("a"), t0.Add(time.Minute), t0.Add(2*time.Minute)))
		// The new expiry holds.
		mustBeErrConflict(t, s.UseDPoPProof(t.Context(), h("a"), t0.Add(90*time.Second), t0.Add(3*time.Minute)))
	})
}
