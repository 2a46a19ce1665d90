package storetest

import (
	"testing"
	"time"

	"github.com/keypadauth/keypad"
)

func fullCIBA(secret string) *keypad.CIBARequest {
	return &keypad.CIBARequest{
		Hash:              h("kp_br_" + secret),
		LinkHash:          h("link_" + secret),
		ClientID:          "kiosk",
		Subject:           "alice",
		Scopes:            []string{"openid", "usage:read"},
		BindingMessage:    "4821",
		OTPSession:        h("kp_os_" + secret),
		Mode:              keypad.CIBAModePing,
		NotificationToken: []byte("sealed"),
		Status:            keypad.CIBAPending,
		Interval:          5 * time.Second,
		LastPollAt:        t0.Add(time.Second),
		GrantID:           "gr_1",
		AuthTime:          t0.Add(2 * time.Second),
		PingStatus:        keypad.CIBAPingDue,
		PingDueAt:         t0.Add(3 * time.Second),
		PingAttempts:      1,
		CreatedAt:         t0,
		ExpiresAt:         t0.Add(10 * time.Minute),
	}
}

func testCIBA(t *testing.T, newStore func(*testing.T) keypad.Store) {
	t.Run("OK", func(t *testing.T) {
		s := newStore(t)
		want := fullCIBA("1")
		must(t, s.CreateCIBARequest(t.Context(), want))
		got, err := s.GetCIBARequest(t.Context(), want.Hash)
		must(t, err)
		mustEqual(t, "ciba request", got, want)
		got, err = s.GetCIBARequestByLink(t.Context(), want.LinkHash)
		must(t, err)
		mustEqual(t, "ciba request by link", got, want)
	})
	t.Run("ZeroValues", func(t *testing.T) {
		s := newStore(t)
		decoy := &keypad.CIBARequest{Hash: h("decoy"), LinkHash: h("decoy-link"), Decoy: true}
		must(t, s.CreateCIBARequest(t.Context(), decoy))
		got, err := s.GetCIBARequest(t.Context(), h("decoy"))
		must(t, err)
		mustEqual(t, "decoy ciba request", got, decoy)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		s := newStore(t)
		must(t, s.CreateCIBARequest(t.Context(), fullCIBA("1")))
		mustBeErrConflict(t, s.CreateCIBARequest(t.Context(), &keypad.CIBARequest{Hash: fullCIBA("1").Hash, LinkHash: h("other")}))
		mustBeErrConflict(t, s.CreateCIBARequest(t.Context(), &keypad.CIBARequest{Hash: h("other"), LinkHash: fullCIBA("1").LinkHash}))
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := newStore(t)
		_, err := s.GetCIBARequest(t.Context(), h("nope"))
		mustBeErrNotFound(t, err)
		_, err = s.GetCIBARequestByLink(t.Context(), h("nope"))
		mustBeErrNotFound(t, err)
		_, err = s.UpdateCIBARequest(t.Context(), h("nope"), func(*keypad.CIBARequest) error { return nil })
		mustBeErrNotFound(t, err)
	})
	t.Run("Update", func(t *testing.T) {
		s := newStore(t)
		c := fullCIBA("1")
		must(t, s.CreateCIBARequest(t.Context(), c))
		got, err := s.UpdateCIBARequest(t.Context(), c.Hash, func(c *keypad.CIBARequest) error {
			c.Status = keypad.CIBAApproved
			c.Interval = 10 * time.Second
			c.PingStatus = keypad.CIBAPingDone
			return nil
		})
		must(t, err)
		want := fullCIBA("1")
		want.Status, want.Interval, want.PingStatus = keypad.CIBAApproved, 10*time.Second, keypad.CIBAPingDone
		mustEqual(t, "returned request", got, want)
		stored, err := s.GetCIBARequest(t.Context(), c.Hash)
		must(t, err)
		mustEqual(t, "stored request", stored, want)
	})
	t.Run("UpdateAborts", func(t *testing.T) {
		s := newStore(t)
		c := fullCIBA("1")
		must(t, s.CreateCIBARequest(t.Context(), c))
		_, err := s.UpdateCIBARequest(t.Context(), c.Hash, func(c *keypad.CIBARequest) error {
			c.Status = keypad.CIBAConsumed
			return keypad.ErrConsumed
		})
		mustBeErrConsumed(t, err)
		stored, err := s.GetCIBARequest(t.Context(), c.Hash)
		must(t, err)
		mustEqual(t, "stored request", stored, fullCIBA("1"))
	})
	t.Run("ListCIBAPingsDue", func(t *testing.T) {
		s := newStore(t)
		early, late, none := fullCIBA("early"), fullCIBA("late"), fullCIBA("none")
		early.PingDueAt = t0
		late.PingDueAt = t0.Add(time.Minute)
		none.PingStatus, none.PingDueAt = keypad.CIBAPingDone, t0
		for _, c := range []*keypad.CIBARequest{late, none, early} {
			must(t, s.CreateCIBARequest(t.Context(), c))
		}
		got, err := s.ListCIBAPingsDue(t.Context(), t0.Add(time.Minute), 10)
		must(t, err)
		mustEqual(t, "due pings", got, []*keypad.CIBARequest{early, late})
		got, err = s.ListCIBAPingsDue(t.Context(), t0.Add(time.Second), 10)
		must(t, err)
		mustEqual(t, "due pings before the late one", got, []*keypad.CIBARequest{early})
		got, err = s.ListCIBAPingsDue(t.Context(), t0.Add(time.Minute), 1)
		must(t, err)
		mustEqual(t, "limited", got, []*keypad.CIBARequest{early})
	})
}

// raceCIBA consumes one approved request from every racer: one wins.
func raceCIBA(t *testing.T, a, b keypad.Store) {
	c := fullCIBA("race")
	c.Status = keypad.CIBAApproved
	must(t, a.CreateCIBARequest(t.Context(), c))
	errs := race(a, b, func(s keypad.Store, i int) error {
		_, err := s.UpdateCIBARequest(t.Context(), c.Hash, func(c *keypad.CIBARequest) error {
			if c.Status != keypad.CIBAApproved {
				return keypad.ErrConsumed
			}
			c.Status = keypad.CIBAConsumed
			return nil
		})
		return err
	})
	mustBeOneWinner(t, errs, keypad.ErrConsumed)
}
