package web_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
)

func TestConsent(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		e := newEnv(t)
		hash := e.device("WDJBMJHT", 10*time.Minute)
		b := e.signedInAtConsent("WDJB-MJHT")
		e.clock.Advance(2 * time.Minute)

		r := b.get("/consent")
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, "Allow Living Room TV to use your account?", "Plays your music on the television.",
			"See your playlists", "device:abc123:control", "asked at 12:00 UTC", "ends in 8 minutes",
			"Signed in as <strong>Alice Example</strong>", `value="approve"`, `value="deny"`)

		r = b.answer("approve")
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, "You can return to your device", "Living Room TV is now connected")

		d := e.getDevice(hash)
		if d.Status != keypad.DeviceApproved || d.Subject != "sub-alice" || d.GrantID == "" {
			t.Fatalf("device after approval = %s/%q/%q, want approved by sub-alice with a grant", d.Status, d.Subject, d.GrantID)
		}
		g, err := e.store.GetGrant(context.Background(), d.GrantID)
		must(t, err)
		if g.Subject != "sub-alice" || g.ClientID != clientID || g.Flow != keypad.GrantDeviceCode ||
			!slices.Equal(g.Scopes, d.Scopes) || !g.RevokedAt.IsZero() {
			t.Fatalf("grant = %+v, want alice's active device-code grant for tv with the request's scopes", g)
		}
		if e.event("device", "approved") != 1 {
			t.Fatal("approval not counted")
		}
		if e.count(e.auditTypes(), "device.approved") != 1 {
			t.Fatal("approval not audited")
		}
		// The answer is final: the page cannot approve twice.
		r = b.answer("approve")
		wantStatus(t, r, http.StatusBadRequest)
		wantBody(t, r, "Your session has ended")
	})

	t.Run("Deny", func(t *testing.T) {
		e := newEnv(t)
		hash := e.device("WDJBMJHT", 10*time.Minute)
		b := e.signedInAtConsent("WDJBMJHT")
		r := b.answer("deny")
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, "Request denied", "did not get access")
		d := e.getDevice(hash)
		if d.Status != keypad.DeviceDenied || d.GrantID != "" || d.Subject != "" {
			t.Fatalf("device after denial = %+v, want denied with no grant", d)
		}
		if e.event("device", "denied") != 1 || e.count(e.auditTypes(), "device.denied") != 1 {
			t.Fatal("denial not counted and audited")
		}
	})

	t.Run("ErrExpired", func(t *testing.T) {
		e := newEnv(t)
		hash := e.device("WDJBMJHT", 10*time.Minute)
		b := e.signedInAtConsent("WDJBMJHT")
		e.clock.Advance(10 * time.Minute)
		r := b.answer("approve")
		wantStatus(t, r, http.StatusGone)
		wantBody(t, r, "This request has expired or was already answered", "Ask your device for a new code")
		if got := e.getDevice(hash).Status; got != keypad.DevicePending {
			t.Fatalf("status = %s, want pending (expired, untouched)", got)
		}
		gs, err := e.store.ListGrants(context.Background(), "sub-alice", "")
		must(t, err)
		for _, g := range gs {
			if g.RevokedAt.IsZero() {
				t.Fatalf("grant %s is active after a failed approval", g.ID)
			}
		}
	})

	t.Run("ErrAnsweredElsewhere", func(t *testing.T) {
		e := newEnv(t)
		hash := e.device("WDJBMJHT", 10*time.Minute)
		b := e.signedInAtConsent("WDJBMJHT")
		_, err := e.store.UpdateDeviceAuthorization(context.Background(), hash, func(d *keypad.DeviceAuthorization) error {
			d.Status = keypad.DeviceDenied
			return nil
		})
		must(t, err)
		r := b.get("/consent")
		wantStatus(t, r, http.StatusGone)
		wantBody(t, r, "already answered")
	})

	t.Run("ErrNoSession", func(t *testing.T) {
		e := newEnv(t)
		r := e.browser().get("/consent")
		wantStatus(t, r, http.StatusBadRequest)
		wantBody(t, r, "Your session has ended", "Enter the code from your device again")
	})

	t.Run("ErrSessionExpired", func(t *testing.T) {
		e := newEnv(t)
		e.device("WDJBMJHT", 10*time.Minute)
		b := e.signedInAtConsent("WDJBMJHT")
		e.clock.Advance(time.Hour + time.Second) // past the default session TTL
		r := b.answer("approve")
		wantStatus(t, r, http.StatusBadRequest)
		wantBody(t, r, "Your session has ended")
	})

	t.Run("NotSignedInGoesToLogin", func(t *testing.T) {
		e := newEnv(t)
		e.device("WDJBMJHT", 10*time.Minute)
		b := e.browser()
		wantRedirect(t, b.enterCode("WDJBMJHT"), "/login")
		wantRedirect(t, b.get("/consent"), "/login")
	})

	t.Run("ErrBadAction", func(t *testing.T) {
		e := newEnv(t)
		hash := e.device("WDJBMJHT", 10*time.Minute)
		b := e.signedInAtConsent("WDJBMJHT")
		wantStatus(t, b.answer("maybe"), http.StatusBadRequest)
		if got := e.getDevice(hash).Status; got != keypad.DevicePending {
			t.Fatalf("status = %s, want pending", got)
		}
	})
}
