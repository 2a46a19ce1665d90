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

func pushed(secret string) *keypad.PushedRequest {
	return &keypad.PushedRequest{Hash: h(secret), ClientID: "webapp", Params: "response_type=code&scope=openid",
		CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)}
}

func testPushedRequests(t *testing.T, newStore func(*testing.T) keypad.Store) {
	t.Run("OK", func(t *testing.T) {
		s := newStore(t)
		must(t, s.CreatePushedRequest(t.Context(), pushed("ru")))
		got, err := s.ConsumePushedRequest(t.Context(), h("ru"), t0.Add(time.Second))
		must(t, err)
		want := pushed("ru")
		want.UsedAt = t0.Add(time.Second)
		mustEqual(t, "consumed pushed request", got, want)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		s := newStore(t)
		must(t, s.CreatePushedRequest(t.Context(), pushed("ru")))
		mustBeErrConflict(t, s.CreatePushedRequest(t.Context(), pushed("ru")))
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := newStore(t).ConsumePushedRequest(t.Context(), h("nope"), t0)
		mustBeErrNotFound(t, err)
	})
	t.Run("ErrConsumed", func(t *testing.T) {
		s := newStore(t)
		must(t, s.CreatePushedRequest(t.Context(), pushed("ru")))
		_, err := s.ConsumePushedRequest(t.Context(), h("ru"), t0)
		must(t, err)
		_, err = s.ConsumePushedRequest(t.Context(), h("ru"), t0)
		mustBeErr(t, err, keypad.ErrConsumed)
	})
	t.Run("ErrExpired", func(t *testing.T) {
		s := newStore(t)
		must(t, s.CreatePushedRequest(t.Context(), pushed("ru")))
		_, err := s.ConsumePushedRequest(t.Context(), h("ru"), t0.Add(time.Minute))
		mustBeErr(t, err, keypad.ErrExpired)
	})
}
