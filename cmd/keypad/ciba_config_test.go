package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
)

// TestCIBAConfigEndToEnd starts `keypad serve --dev` with the ciba
// section set by flags and checks that clients see it on the wire.
func TestCIBAConfigEndToEnd(t *testing.T) {
	t.Run("OKLifetimeAndInterval", func(t *testing.T) {
		e := sqliteBackend.env(t)
		o := newOTPSetup(t, e, "--dev", "--ciba-request-lifetime", "2m", "--ciba-interval", "7s")
		c := &cibaSetup{otpSetup: o, tv: mustJSON[clientJSON](t, e, "client", "create", "--name", "Living Room TV",
			"--grant-types", "ciba", "--scopes", "openid "+usageScope, "--json")}
		code, r := c.post(t, "/oauth2/bc-authorize", url.Values{"scope": {"openid " + usageScope}, "login_hint": {heatherPh}})
		if code != http.StatusOK || r["expires_in"] != 120.0 || r["interval"] != 7.0 {
			t.Errorf("bc-authorize: %d %v, want expires_in 120 and interval 7", code, r)
		}
		// requested_expiry may ask for less than the lifetime, never more.
		code, r = c.post(t, "/oauth2/bc-authorize", url.Values{"scope": {"openid " + usageScope}, "login_hint": {heatherPh},
			"requested_expiry": {"121"}})
		if code != http.StatusBadRequest || r["error"] != "invalid_request" {
			t.Errorf("bc-authorize with requested_expiry 121: %d %v, want invalid_request", code, r)
		}
	})
	t.Run("OKOff", func(t *testing.T) {
		e := sqliteBackend.env(t)
		o := newOTPSetup(t, e, "--dev", "--ciba-enabled=false")
		tv := mustJSON[clientJSON](t, e, "client", "create", "--name", "Living Room TV",
			"--grant-types", "ciba", "--scopes", "openid "+usageScope, "--json")
		code, _ := postForm(t, o.base+"/oauth2/bc-authorize", tv.ClientID, tv.ClientSecret,
			url.Values{"scope": {"openid " + usageScope}, "login_hint": {heatherPh}})
		if code != http.StatusNotFound {
			t.Errorf("bc-authorize with ciba.enabled false: %d, want 404", code)
		}
		resp, err := http.Get(o.base + "/.well-known/openid-configuration")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var meta map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&meta); err != nil {
			t.Fatal(err)
		}
		if meta["backchannel_authentication_endpoint"] != nil || meta["token_endpoint"] == nil {
			t.Errorf("metadata with ciba.enabled false: backchannel_authentication_endpoint = %v, want none", meta["backchannel_authentication_endpoint"])
		}
		// The OTP flow itself still runs.
		if code, body := postForm(t, o.base+"/oauth2/otp/lookup", o.kiosk.ClientID, o.kiosk.ClientSecret,
			url.Values{"identifier": {heatherPh}}); code == http.StatusNotFound {
			t.Errorf("otp lookup with ciba.enabled false: %d %s, want the OTP flow on", code, body)
		}
	})
}
