package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
)

func testPurge(t *testing.T, newStore func(*testing.T) keypad.Store) {
	s := newStore(t)
	ctx := t.Context()
	now := t0.Add(time.Hour)
	past, future := now.Add(-time.Second), now.Add(time.Hour)

	// One record per table and fate; the key says what should become of it.
	for name, exp := range map[string]time.Time{"gone": past, "gone-at-now": now, "kept": future, "kept-forever": {}} {
		must(t, s.CreateToken(ctx, &keypad.Token{Hash: h("tok-" + name), Kind: keypad.KindRefresh, ExpiresAt: exp}))
	}
	for name, exp := range map[string]time.Time{"gone": past, "kept": future} {
		must(t, s.RevokeJTI(ctx, "jti-"+name, exp))
		must(t, s.CreateAuthCode(ctx, &keypad.AuthCode{Hash: h("ac-" + name), ExpiresAt: exp}))
		must(t, s.CreateDeviceAuthorization(ctx, &keypad.DeviceAuthorization{
			DeviceCodeHash: h("dc-" + name), UserCodeHash: h("uc-" + name), ExpiresAt: exp}))
		must(t, s.CreateSession(ctx, &keypad.Session{Hash: h("ss-" + name), ExpiresAt: exp}))
		must(t, s.CreateOTPSession(ctx, &keypad.OTPSession{Hash: h("os-" + name), ExpiresAt: exp}))
	}
	_, err := s.Hit(ctx, "ctr-gone", time.Minute, past.Add(-time.Minute))
	must(t, err)
	_, err = s.Hit(ctx, "ctr-kept", time.Hour, now)
	must(t, err)
	must(t, s.CreateGrant(ctx, &keypad.Grant{ID: "g1", CreatedAt: t0}))
	must(t, s.UseDPoPProof(ctx, h("dpop-gone"), t0, past))
	must(t, s.UseDPoPProof(ctx, h("dpop-kept"), t0, future))
	gone, kept := pushed("par-gone"), pushed("par-kept")
	gone.ExpiresAt, kept.ExpiresAt = past, future
	must(t, s.CreatePushedRequest(ctx, gone))
	must(t, s.CreatePushedRequest(ctx, kept))

	n, err := s.PurgeExpired(ctx, now)
	must(t, err)
	mustEqual(t, "records purged", n, 10)
	_, err = s.ConsumePushedRequest(ctx, h("par-gone"), t0)
	mustBeErrNotFound(t, err)
	_, err = s.ConsumePushedRequest(ctx, h("par-kept"), t0)
	must(t, err)
	// The purged proof's record is gone, so even a caller with a clock
	// before its expiry may record it again; the kept one is still there.
	must(t, s.UseDPoPProof(ctx, h("dpop-gone"), t0, future))
	mustBeErrConflict(t, s.UseDPoPProof(ctx, h("dpop-kept"), t0, future))

	for _, name := range []string{"gone", "gone-at-now"} {
		_, err = s.GetToken(ctx, h("tok-"+name))
		mustBeErrNotFound(t, err)
	}
	for _, name := range []string{"kept", "kept-forever"} {
		_, err = s.GetToken(ctx, h("tok-"+name))
		must(t, err)
	}
	for name, want := range map[string]bool{"gone": false, "kept": true} {
		revoked, err := s.JTIRevoked(ctx, "jti-"+name)
		must(t, err)
		mustEqual(t, "jti-"+name+" still revoked", revoked, want)

		check := mustBeErrNotFound
		if want {
			check = must
		}
		_, err = s.ConsumeAuthCode(ctx, h("ac-"+name), t0)
		check(t, err)
		_, err = s.GetDeviceAuthorization(ctx, h("dc-"+name))
		check(t, err)
		_, err = s.GetSession(ctx, h("ss-"+name), t0)
		check(t, err)
		_, err = s.GetOTPSession(ctx, h("os-"+name))
		check(t, err)
	}
	// An ended counter reads 0 whether purged or not, so ctr-gone shows
	// only in the total above; ctr-kept must survive with its count.
	c, err := s.Count(ctx, "ctr-kept", now)
	must(t, err)
	mustEqual(t, "kept counter", c, int64(1))
	_, err = s.GetGrant(ctx, "g1")
	must(t, err)

	n, err = s.PurgeExpired(ctx, now)
	must(t, err)
	mustEqual(t, "records purged the second time", n, 0)
}

// testPurgeMany purges more expired records than one batch of the
// janitor's deletes holds (the SQL stores delete 500 rows a statement):
// all go, and the live ones stay.
func testPurgeMany(t *testing.T, newStore func(*testing.T) keypad.Store) {
	s := newStore(t)
	ctx := t.Context()
	now := t0.Add(time.Hour)
	const expired = 1234
	for i := range expired {
		must(t, s.RevokeJTI(ctx, fmt.Sprintf("jti-gone-%d", i), now.Add(-time.Second)))
	}
	must(t, s.RevokeJTI(ctx, "jti-kept", now.Add(time.Hour)))
	n, err := s.PurgeExpired(ctx, now)
	must(t, err)
	mustEqual(t, "records purged", n, expired)
	for _, i := range []int{0, 499, 500, 1000, expired - 1} {
		revoked, err := s.JTIRevoked(ctx, fmt.Sprintf("jti-gone-%d", i))
		must(t, err)
		mustEqual(t, fmt.Sprintf("jti-gone-%d still revoked", i), revoked, false)
	}
	revoked, err := s.JTIRevoked(ctx, "jti-kept")
	must(t, err)
	mustEqual(t, "jti-kept still revoked", revoked, true)
}
