package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
)

// otpSend is a queued send of the session fullOTP(name), due at t0.
func otpSend(name string) *keypad.OTPSend {
	return &keypad.OTPSend{
		SessionHash: h("otp-" + name), Channel: "sms", Sealed: []byte("sealed message " + name),
		ClientID: "kiosk", Subject: "sub-1", Charges: []string{"otp:dest:ab", "otp:client:kiosk"},
		ChargedAt: t0, Status: keypad.OTPSendQueued, CreatedAt: t0, DueAt: t0,
		GiveUpAt: t0.Add(5 * time.Minute), ExpiresAt: t0.Add(24 * time.Hour),
	}
}

// mustEnqueue stores the session and queues its send.
func mustEnqueue(t *testing.T, s keypad.Store, name string) *keypad.OTPSend {
	t.Helper()
	o := fullOTP(name)
	o.Hash = h("otp-" + name)
	must(t, s.CreateOTPSession(t.Context(), o))
	m := otpSend(name)
	_, err := s.EnqueueOTPSend(t.Context(), o.Hash, func(o *keypad.OTPSession) error { o.Sends++; return nil }, m)
	must(t, err)
	if m.ID == 0 {
		t.Fatal("EnqueueOTPSend left the ID zero")
	}
	return m
}

func testOTPQueue(t *testing.T, newStore func(*testing.T) keypad.Store) {
	t.Run("OK", func(t *testing.T) {
		s := newStore(t)
		want := mustEnqueue(t, s, "1")
		got, err := s.GetOTPSend(t.Context(), want.ID)
		must(t, err)
		mustEqual(t, "queued send", got, want)
		o, err := s.GetOTPSession(t.Context(), want.SessionHash)
		must(t, err)
		mustEqual(t, "sends of the session the enqueue updated", o.Sends, fullOTP("1").Sends+1)
	})
	t.Run("ErrFnLeavesNothing", func(t *testing.T) {
		s := newStore(t)
		o := fullOTP("1")
		must(t, s.CreateOTPSession(t.Context(), o))
		refused := errors.New("refused")
		_, err := s.EnqueueOTPSend(t.Context(), o.Hash, func(o *keypad.OTPSession) error { o.Sends = 99; return refused }, otpSend("1"))
		mustBeErr(t, err, refused)
		got, err := s.ClaimOTPSends(t.Context(), "w", t0, time.Minute, 10)
		must(t, err)
		mustEqual(t, "sends queued by a refused enqueue", len(got), 0)
		after, err := s.GetOTPSession(t.Context(), o.Hash)
		must(t, err)
		mustEqual(t, "session after a refused enqueue", after, o)
	})
	t.Run("NilSendUpdatesOnly", func(t *testing.T) {
		s := newStore(t)
		o := fullOTP("1")
		must(t, s.CreateOTPSession(t.Context(), o))
		got, err := s.EnqueueOTPSend(t.Context(), o.Hash, func(o *keypad.OTPSession) error { o.Sends = 2; return nil }, nil)
		must(t, err)
		mustEqual(t, "sends", got.Sends, 2)
		claimed, err := s.ClaimOTPSends(t.Context(), "w", t0, time.Minute, 10)
		must(t, err)
		mustEqual(t, "sends queued without a send", len(claimed), 0)
	})
	t.Run("DecoyNeverClaimed", func(t *testing.T) {
		s := newStore(t)
		o := fullOTP("1")
		must(t, s.CreateOTPSession(t.Context(), o))
		decoy := otpSend("1")
		decoy.Status, decoy.Sealed = keypad.OTPSendDecoy, nil
		_, err := s.EnqueueOTPSend(t.Context(), o.Hash, func(*keypad.OTPSession) error { return nil }, decoy)
		must(t, err)
		got, err := s.GetOTPSend(t.Context(), decoy.ID)
		must(t, err)
		mustEqual(t, "decoy row", got, decoy)
		claimed, err := s.ClaimOTPSends(t.Context(), "w", t0.Add(time.Hour), time.Minute, 10)
		must(t, err)
		mustEqual(t, "decoy rows claimed", len(claimed), 0)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := newStore(t)
		_, err := s.EnqueueOTPSend(t.Context(), h("nope"), func(*keypad.OTPSession) error { return nil }, otpSend("x"))
		mustBeErrNotFound(t, err)
		_, err = s.GetOTPSend(t.Context(), 12345)
		mustBeErrNotFound(t, err)
	})
	t.Run("ClaimAndSettle", func(t *testing.T) {
		s := newStore(t)
		m := mustEnqueue(t, s, "1")
		later := mustEnqueue(t, s, "2")
		later.DueAt = t0.Add(time.Minute)
		// Not yet due: a settle by a worker that never claimed it fails.
		mustBeErrNotFound(t, s.SettleOTPSend(t.Context(), later, "w1"))

		got, err := s.ClaimOTPSends(t.Context(), "w1", t0, time.Minute, 10)
		must(t, err)
		if len(got) != 2 {
			t.Fatalf("claimed %d sends, want 2", len(got))
		}
		if got[0].ClaimedBy != "w1" || !got[0].ClaimedUntil.Equal(t0.Add(time.Minute)) {
			t.Errorf("claim = %q until %v, want w1 until %v", got[0].ClaimedBy, got[0].ClaimedUntil, t0.Add(time.Minute))
		}
		// Claimed: nobody else gets them until the lease lapses.
		other, err := s.ClaimOTPSends(t.Context(), "w2", t0.Add(59*time.Second), time.Minute, 10)
		must(t, err)
		mustEqual(t, "sends claimed under another's lease", len(other), 0)
		mustBeErrNotFound(t, s.SettleOTPSend(t.Context(), got[0], "w2"))

		// A retry later: back in the queue, not due before DueAt.
		retry := got[1]
		retry.Attempts, retry.LastError, retry.DueAt = 1, "provider down", t0.Add(2*time.Minute)
		must(t, s.SettleOTPSend(t.Context(), retry, "w1"))
		stored, err := s.GetOTPSend(t.Context(), retry.ID)
		must(t, err)
		mustEqual(t, "send after a retry", stored, retry)
		if len(stored.Sealed) == 0 {
			t.Error("a send still queued lost its message")
		}
		none, err := s.ClaimOTPSends(t.Context(), "w2", t0.Add(2*time.Minute-time.Microsecond), time.Minute, 10)
		must(t, err)
		if len(none) != 1 || none[0].ID != m.ID {
			t.Fatalf("claimed %d sends before the retry was due; want only the lapsed one (%d)", len(none), m.ID)
		}

		// Sent: the message is gone and it is never claimed again.
		done := none[0]
		done.Status, done.Attempts = keypad.OTPSendSent, 1
		must(t, s.SettleOTPSend(t.Context(), done, "w2"))
		stored, err = s.GetOTPSend(t.Context(), done.ID)
		must(t, err)
		if stored.Sealed != nil || stored.Status != keypad.OTPSendSent || stored.ClaimedBy != "" {
			t.Errorf("settled send = %+v, want sent, no message, no claim", stored)
		}
		again, err := s.ClaimOTPSends(t.Context(), "w3", t0.Add(time.Hour), time.Minute, 10)
		must(t, err)
		if len(again) != 1 || again[0].ID != retry.ID {
			t.Fatalf("claimed %v an hour later, want only the retry %d", again, retry.ID)
		}
	})
	t.Run("Purge", func(t *testing.T) {
		s := newStore(t)
		m := mustEnqueue(t, s, "1")
		_, err := s.PurgeExpired(t.Context(), m.ExpiresAt)
		must(t, err)
		_, err = s.GetOTPSend(t.Context(), m.ID)
		mustBeErrNotFound(t, err)
	})
}

// raceOTPQueue has racers goroutines on two stores claim a queue of sends
// at once, as the workers of many instances do: each send is claimed by
// exactly one of them.
func raceOTPQueue(t *testing.T, a, b keypad.Store) {
	const n = 50
	ids := map[int64]bool{}
	for i := range n {
		ids[mustEnqueue(t, a, fmt.Sprint(i)).ID] = true
	}
	var mu sync.Mutex
	claims := map[int64]int{}
	errs := race(a, b, func(s keypad.Store, i int) error {
		for {
			got, err := s.ClaimOTPSends(t.Context(), fmt.Sprint("w", i), t0, time.Minute, 3)
			if err != nil || len(got) == 0 {
				return err
			}
			mu.Lock()
			for _, m := range got {
				claims[m.ID]++
			}
			mu.Unlock()
		}
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("goroutine %d: %v", i, err)
		}
	}
	for id := range ids {
		if claims[id] != 1 {
			t.Errorf("send %d claimed %d times, want once", id, claims[id])
		}
	}
	if len(claims) != n {
		t.Errorf("claimed %d distinct sends, want %d", len(claims), n)
	}
}
