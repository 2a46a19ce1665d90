package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
)

func fullToken(secret string) *keypad.Token {
	return &keypad.Token{
		Hash:      h(secret),
		Kind:      keypad.KindRefresh,
		ClientID:  "thermo",
		Subject:   "alice",
		Scopes:    []string{"device:abc:control", "offline_access"},
		Audience:  []string{"https://api.example"},
		GrantID:   "g1",
		FamilyID:  "fam1",
		IssuedAt:  t0,
		ExpiresAt: t0.Add(time.Hour),
		JKT:       "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I",
	}
}

func testTokens(t *testing.T, newStore func(*testing.T) keypad.Store) {
	t.Run("OK", func(t *testing.T) {
		s := newStore(t)
		want := fullToken("rt")
		want.UsedAt = t0.Add(time.Minute)
		want.RevokedAt = t0.Add(2 * time.Minute)
		must(t, s.CreateToken(t.Context(), want))
		got, err := s.GetToken(t.Context(), h("rt"))
		must(t, err)
		mustEqual(t, "token", got, want)
	})
	t.Run("ZeroValues", func(t *testing.T) {
		s := newStore(t)
		zero := &keypad.Token{Hash: h("zero")}
		must(t, s.CreateToken(t.Context(), zero))
		got, err := s.GetToken(t.Context(), h("zero"))
		must(t, err)
		mustEqual(t, "zero token", got, zero)
		empty := &keypad.Token{Hash: h("empty"), Kind: keypad.KindAccess, Scopes: []string{}, Audience: []string{}}
		must(t, s.CreateToken(t.Context(), empty))
		got, err = s.GetToken(t.Context(), h("empty"))
		must(t, err)
		mustEqual(t, "token with empty lists", got, empty)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		s := newStore(t)
		must(t, s.CreateToken(t.Context(), fullToken("rt")))
		mustBeErrConflict(t, s.CreateToken(t.Context(), &keypad.Token{Hash: h("rt"), Kind: keypad.KindAccess}))
	})
	t.Run("Concurrent", func(t *testing.T) {
		// Many token endpoint requests at once (SQLite commits them in
		// shared transactions): every token is stored as written, and of
		// the racers on one hash exactly one wins while the rest get
		// ErrConflict, even when they share a transaction with the others.
		s := newStore(t)
		const distinct, dup = 96, 8
		start := make(chan struct{})
		errs := make([]error, distinct+dup)
		var wg sync.WaitGroup
		for i := range distinct + dup {
			wg.Go(func() {
				tok := fullToken(fmt.Sprintf("tok-%d", i))
				if i >= distinct {
					tok = &keypad.Token{Hash: h("dup"), Kind: keypad.KindAccess, ClientID: fmt.Sprint(i)}
				}
				<-start
				errs[i] = s.CreateToken(t.Context(), tok)
			})
		}
		close(start)
		wg.Wait()
		for i := range distinct {
			must(t, errs[i])
			got, err := s.GetToken(t.Context(), h(fmt.Sprintf("tok-%d", i)))
			must(t, err)
			mustEqual(t, "token", got, fullToken(fmt.Sprintf("tok-%d", i)))
		}
		won := 0
		for _, err := range errs[distinct:] {
			if err == nil {
				won++
			} else {
				mustBeErrConflict(t, err)
			}
		}
		if won != 1 {
			t.Fatalf("%d of %d racers on one hash stored it, want 1", won, dup)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := newStore(t)
		_, err := s.GetToken(t.Context(), h("nope"))
		mustBeErrNotFound(t, err)
		_, err = s.ConsumeToken(t.Context(), h("nope"), t0)
		mustBeErrNotFound(t, err)
		mustBeErrNotFound(t, s.RevokeToken(t.Context(), h("nope"), t0))
	})
	t.Run("Consume", func(t *testing.T) {
		s := newStore(t)
		must(t, s.CreateToken(t.Context(), fullToken("rt")))
		now := t0.Add(time.Minute)
		got, err := s.ConsumeToken(t.Context(), h("rt"), now)
		must(t, err)
		want := fullToken("rt")
		want.UsedAt = now
		mustEqual(t, "consumed token", got, want)
		stored, err := s.GetToken(t.Context(), h("rt"))
		must(t, err)
		mustEqual(t, "stored token", stored, want)
	})
	t.Run("ConsumeErrConsumed", func(t *testing.T) {
		s := newStore(t)
		must(t, s.CreateToken(t.Context(), fullToken("rt")))
		first := t0.Add(time.Minute)
		_, err := s.ConsumeToken(t.Context(), h("rt"), first)
		must(t, err)
		got, err := s.ConsumeToken(t.Context(), h("rt"), first.Add(time.Second))
		mustBeErrConsumed(t, err)
		if got == nil {
			t.Fatal("ErrConsumed came without the token; reuse detection needs its family")
		}
		mustEqual(t, "family of the replayed token", got.FamilyID, "fam1")
		mustEqual(t, "used at, after a replay", got.UsedAt, first)
	})
	t.Run("ConsumeErrExpired", func(t *testing.T) {
		s := newStore(t)
		must(t, s.CreateToken(t.Context(), fullToken("rt")))
		// Expiry is exclusive: at ExpiresAt the token is dead (Token.Active).
		got, err := s.ConsumeToken(t.Context(), h("rt"), t0.Add(time.Hour))
		mustBeErrExpired(t, err)
		if got == nil {
			t.Fatal("ErrExpired came without the token")
		}
		mustEqual(t, "expired token", got, fullToken("rt"))
	})
	t.Run("ConsumeErrRevoked", func(t *testing.T) {
		s := newStore(t)
		must(t, s.CreateToken(t.Context(), fullToken("rt")))
		must(t, s.RevokeToken(t.Context(), h("rt"), t0))
		_, err := s.ConsumeToken(t.Context(), h("rt"), t0.Add(time.Second))
		mustBeErrRevoked(t, err)
		got, err := s.GetToken(t.Context(), h("rt"))
		must(t, err)
		mustEqual(t, "used at of a revoked token", got.UsedAt, time.Time{})
	})
	t.Run("ConsumeNoExpiry", func(t *testing.T) {
		s := newStore(t)
		tok := fullToken("rt")
		tok.ExpiresAt = time.Time{}
		must(t, s.CreateToken(t.Context(), tok))
		far := t0.AddDate(30, 0, 0)
		got, err := s.ConsumeToken(t.Context(), h("rt"), far)
		must(t, err)
		mustEqual(t, "used at", got.UsedAt, far)
	})
	t.Run("Revoke", func(t *testing.T) {
		s := newStore(t)
		must(t, s.CreateToken(t.Context(), fullToken("rt")))
		must(t, s.RevokeToken(t.Context(), h("rt"), t0.Add(time.Minute)))
		// Revoking a revoked token is fine and keeps the first time.
		must(t, s.RevokeToken(t.Context(), h("rt"), t0.Add(time.Hour)))
		got, err := s.GetToken(t.Context(), h("rt"))
		must(t, err)
		mustEqual(t, "revoked at", got.RevokedAt, t0.Add(time.Minute))
		if got.Active(t0.Add(2 * time.Minute)) {
			t.Error("revoked token is still active")
		}
	})
	t.Run("RevokeFamily", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		mk := func(secret, family string, mod func(*keypad.Token)) {
			tok := fullToken(secret)
			tok.FamilyID = family
			mod(tok)
			must(t, s.CreateToken(ctx, tok))
		}
		none := func(*keypad.Token) {}
		mk("live", "fam1", none)
		mk("used", "fam1", func(tok *keypad.Token) { tok.UsedAt = t0 })
		mk("forever", "fam1", func(tok *keypad.Token) { tok.ExpiresAt = time.Time{} })
		mk("expired", "fam1", func(tok *keypad.Token) { tok.ExpiresAt = t0.Add(time.Minute) })
		mk("revoked", "fam1", func(tok *keypad.Token) { tok.RevokedAt = t0 })
		mk("other", "fam2", none)
		mk("nofamily", "", none)

		now := t0.Add(10 * time.Minute)
		n, err := s.RevokeFamily(ctx, "fam1", now)
		must(t, err)
		mustEqual(t, "active tokens revoked", n, 3)
		for _, tc := range []struct {
			secret string
			want   time.Time
		}{
			{"live", now}, {"used", now}, {"forever", now}, {"expired", now},
			{"revoked", t0}, {"other", time.Time{}}, {"nofamily", time.Time{}},
		} {
			tok, err := s.GetToken(ctx, h(tc.secret))
			must(t, err)
			mustEqual(t, "token "+tc.secret+" revoked at", tok.RevokedAt, tc.want)
		}
		n, err = s.RevokeFamily(ctx, "fam1", now)
		must(t, err)
		mustEqual(t, "active tokens revoked the second time", n, 0)
		n, err = s.RevokeFamily(ctx, "", now)
		must(t, err)
		mustEqual(t, "tokens revoked for the empty family", n, 0)
		tok, err := s.GetToken(ctx, h("nofamily"))
		must(t, err)
		mustEqual(t, "token without family revoked at", tok.RevokedAt, time.Time{})
	})
	t.Run("JTI", func(t *testing.T) {
		s := newStore(t)
		ok, err := s.JTIRevoked(t.Context(), "jti-1")
		must(t, err)
		mustEqual(t, "revoked before RevokeJTI", ok, false)
		must(t, s.RevokeJTI(t.Context(), "jti-1", t0.Add(time.Hour)))
		must(t, s.RevokeJTI(t.Context(), "jti-1", t0.Add(time.Minute)))
		ok, err = s.JTIRevoked(t.Context(), "jti-1")
		must(t, err)
		mustEqual(t, "revoked after RevokeJTI", ok, true)
		ok, err = s.JTIRevoked(t.Context(), "jti-2")
		must(t, err)
		mustEqual(t, "another jti revoked", ok, false)
		// The later expiry wins: the record outlives the first purge.
		_, err = s.PurgeExpired(t.Context(), t0.Add(30*time.Minute))
		must(t, err)
		ok, err = s.JTIRevoked(t.Context(), "jti-1")
		must(t, err)
		mustEqual(t, "revoked after a purge before exp", ok, true)
	})
}

func testCounters(t *testing.T, newStore func(*testing.T) keypad.Store) {
	t.Run("Hit", func(t *testing.T) {
		s := newStore(t)
		for want := int64(1); want <= 3; want++ {
			got, err := s.Hit(t.Context(), "otp:alice", time.Minute, t0.Add(time.Duration(want)*time.Second))
			must(t, err)
			mustEqual(t, "count", got, want)
		}
		got, err := s.Hit(t.Context(), "otp:bob", time.Minute, t0)
		must(t, err)
		mustEqual(t, "another key's count", got, int64(1))
		got, err = s.Count(t.Context(), "otp:alice", t0.Add(59*time.Second))
		must(t, err)
		mustEqual(t, "count inside the window", got, int64(3))
	})
	t.Run("WindowRestarts", func(t *testing.T) {
		s := newStore(t)
		for range 3 {
			_, err := s.Hit(t.Context(), "k", time.Minute, t0)
			must(t, err)
		}
		// The window started at t0 and ended at t0+1m.
		got, err := s.Count(t.Context(), "k", t0.Add(time.Minute))
		must(t, err)
		mustEqual(t, "count once the window ended", got, int64(0))
		got, err = s.Hit(t.Context(), "k", time.Minute, t0.Add(time.Minute))
		must(t, err)
		mustEqual(t, "first hit of the new window", got, int64(1))
		got, err = s.Hit(t.Context(), "k", time.Minute, t0.Add(time.Minute+59*time.Second))
		must(t, err)
		mustEqual(t, "second hit of the new window", got, int64(2))
	})
	t.Run("Unhit", func(t *testing.T) {
		s := newStore(t)
		for range 2 {
			_, err := s.Hit(t.Context(), "k", time.Minute, t0)
			must(t, err)
		}
		must(t, s.Unhit(t.Context(), "k", time.Minute, t0.Add(time.Second)))
		got, err := s.Count(t.Context(), "k", t0.Add(time.Second))
		must(t, err)
		mustEqual(t, "count after one hit was taken back", got, int64(1))
		for range 3 {
			must(t, s.Unhit(t.Context(), "k", time.Minute, t0.Add(time.Second)))
		}
		got, err = s.Count(t.Context(), "k", t0.Add(time.Second))
		must(t, err)
		mustEqual(t, "count never goes below zero", got, int64(0))
		must(t, s.Unhit(t.Context(), "never", time.Minute, t0))
		got, err = s.Count(t.Context(), "never", t0)
		must(t, err)
		mustEqual(t, "taking back a hit of no counter makes none", got, int64(0))
	})
	t.Run("UnhitLeavesTheNextWindow", func(t *testing.T) {
		// A charge made just before its window ended is taken back after
		// the next window began: the next window's hits stay.
		s := newStore(t)
		_, err := s.Hit(t.Context(), "k", time.Minute, t0)
		must(t, err)
		late := t0.Add(time.Minute - time.Millisecond)
		_, err = s.Hit(t.Context(), "k", time.Minute, late)
		must(t, err)
		next := t0.Add(time.Minute + time.Second)
		n, err := s.Hit(t.Context(), "k", time.Minute, next)
		must(t, err)
		mustEqual(t, "first hit of the next window", n, int64(1))
		must(t, s.Unhit(t.Context(), "k", time.Minute, late))
		got, err := s.Count(t.Context(), "k", next)
		must(t, err)
		mustEqual(t, "next window's count after a late take-back", got, int64(1))
		must(t, s.Unhit(t.Context(), "k", time.Minute, next))
		got, err = s.Count(t.Context(), "k", next)
		must(t, err)
		mustEqual(t, "count after taking back the next window's own hit", got, int64(0))
	})
	t.Run("CountNone", func(t *testing.T) {
		s := newStore(t)
		got, err := s.Count(t.Context(), "never", t0)
		must(t, err)
		mustEqual(t, "count", got, int64(0))
	})
	t.Run("Reset", func(t *testing.T) {
		s := newStore(t)
		_, err := s.Hit(t.Context(), "k", time.Hour, t0)
		must(t, err)
		must(t, s.ResetCounter(t.Context(), "k"))
		must(t, s.ResetCounter(t.Context(), "never"))
		got, err := s.Count(t.Context(), "k", t0)
		must(t, err)
		mustEqual(t, "count after reset", got, int64(0))
		n, err := s.Hit(t.Context(), "k", time.Hour, t0)
		must(t, err)
		mustEqual(t, "hit after reset", n, int64(1))
	})
}

func testAudit(t *testing.T, newStore func(*testing.T) keypad.Store) {
	t.Run("OK", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		var added []*keypad.AuditEvent
		for i, typ := range []string{"token.issued", "device.code_rejected", "token.family_revoked"} {
			e := &keypad.AuditEvent{Time: t0.Add(time.Duration(i) * time.Second), Type: typ,
				ClientID: "thermo", Subject: "alice", IP: "192.0.2.1", Detail: "detail " + typ}
			must(t, s.AddAuditEvent(ctx, e))
			if i > 0 && e.ID <= added[i-1].ID {
				t.Fatalf("event ID %d after %d: IDs must grow", e.ID, added[i-1].ID)
			}
			added = append(added, e)
		}
		got, err := s.ListAuditEvents(ctx, 0)
		must(t, err)
		mustEqual(t, "events", got, []*keypad.AuditEvent{added[2], added[1], added[0]})
		got, err = s.ListAuditEvents(ctx, 2)
		must(t, err)
		mustEqual(t, "newest two events", got, []*keypad.AuditEvent{added[2], added[1]})
	})
	t.Run("SameTime", func(t *testing.T) {
		s := newStore(t)
		for _, typ := range []string{"first", "second"} {
			must(t, s.AddAuditEvent(t.Context(), &keypad.AuditEvent{Time: t0, Type: typ}))
		}
		got, err := s.ListAuditEvents(t.Context(), 0)
		must(t, err)
		mustEqual(t, "event types", keys(got, func(e *keypad.AuditEvent) string { return e.Type }), []string{"second", "first"})
	})
}

func testOutbox(t *testing.T, newStore func(*testing.T) keypad.Store) {
	s := newStore(t)
	ctx := t.Context()
	var added []*keypad.OutboxMessage
	for i, to := range []string{"+15555550100", "alice@example.com", "+15555550101"} {
		m := &keypad.OutboxMessage{Time: t0.Add(time.Duration(i) * time.Second), Channel: "sms", To: to,
			Subject: "Your code", Body: "Your Kiosk code is 123456"}
		must(t, s.AddOutboxMessage(ctx, m))
		if m.ID == 0 {
			t.Fatal("AddOutboxMessage left the ID unset")
		}
		added = append(added, m)
	}
	got, err := s.ListOutboxMessages(ctx, 0)
	must(t, err)
	mustEqual(t, "messages", got, []*keypad.OutboxMessage{added[2], added[1], added[0]})
	got, err = s.ListOutboxMessages(ctx, 1)
	must(t, err)
	mustEqual(t, "newest message", got, []*keypad.OutboxMessage{added[2]})
}
