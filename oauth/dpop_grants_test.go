package oauth

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/internal/dpoptest"
	"github.com/keypadauth/keypad/token/jose"
)

// withProof adds a DPoP proof header for the token endpoint to a request
// edit.
func withProof(t *testing.T, e *env, k *dpoptest.Key, edit func(*http.Request)) func(*http.Request) {
	return func(r *http.Request) {
		edit(r)
		r.Header.Set("DPoP", k.Proof(t, "POST", testIssuer+PathToken, "", e.clk.Now(), nil))
	}
}

// TestDPoPCIBA: a --dpop required CIBA client's poll without a proof is
// refused (and consumes nothing); with a proof, the approved request's
// access token is DPoP-bound to the proof's key.
func TestDPoPCIBA(t *testing.T) {
	e := newCIBAEnv(t, OTPConfig{}, func(c *keypad.Client) { c.Options.DPoP = keypad.DPoPRequired })
	id := e.mustAuthorize(hint("(415) 867-4821"))
	if err := e.srv.CIBADecide(t.Context(), e.link(), true, "", "", "192.0.2.1"); err != nil {
		t.Fatalf("approve: %v", err)
	}
	form := url.Values{"grant_type": {keypad.GrantCIBA}, "auth_req_id": {id}}
	wantError(t, e.post(PathToken, form, basic(e.tv.ID, e.secret)), http.StatusBadRequest, CodeInvalidDPoPProof)

	k := dpoptest.NewKey(t, jose.ES256)
	r := wantTokens(t, e.post(PathToken, form, withProof(t, e.env, k, basic(e.tv.ID, e.secret))))
	if r.body["token_type"] != "DPoP" {
		t.Errorf("token_type = %v, want DPoP", r.body["token_type"])
	}
	if got := cnfOf(jwtClaims(t, r.body["access_token"].(string))); got != k.JKT {
		t.Errorf("cnf.jkt = %q, want the proof key's %q", got, k.JKT)
	}
}

// TestDPoPSAML2Bearer: the same for the SAML 2.0 bearer grant: refused
// without a proof for a --dpop required client, bound with one.
func TestDPoPSAML2Bearer(t *testing.T) {
	e := newSAMLEnv(t, keypad.NameIDMapUsername)
	ctx := context.Background()
	c, err := e.st.GetClient(ctx, samlClientID)
	if err != nil {
		t.Fatal(err)
	}
	c.Options.DPoP = keypad.DPoPRequired
	if err := e.st.UpdateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	e.srv.ForgetClients()
	signer := sharedSAMLSigners()[0]
	form := func() url.Values {
		a := encodeXML(t, crewjamAssertion(t, signer, e.clk.Now(), "alice", nil))
		return url.Values{"grant_type": {keypad.GrantSAML2Bearer}, "assertion": {a}, "scope": {"usage:read"}}
	}
	wantError(t, e.post(PathToken, form(), basic(samlClientID, e.secret)), http.StatusBadRequest, CodeInvalidDPoPProof)

	k := dpoptest.NewKey(t, jose.EdDSA)
	r := wantTokens(t, e.post(PathToken, form(), withProof(t, e.env, k, basic(samlClientID, e.secret))))
	if r.body["token_type"] != "DPoP" {
		t.Errorf("token_type = %v, want DPoP", r.body["token_type"])
	}
	if got := cnfOf(jwtClaims(t, r.body["access_token"].(string))); got != k.JKT {
		t.Errorf("cnf.jkt = %q, want the proof key's %q", got, k.JKT)
	}
}

// TestCIBAAudiences: a CIBA client that registered audiences must name
// one at the token endpoint; a poll without one, or naming another, is
// refused before the approved request is used up, and the token's aud is
// the one named.
func TestCIBAAudiences(t *testing.T) {
	const energy = "https://energy.example.com/api"
	e := newCIBAEnv(t, OTPConfig{}, func(c *keypad.Client) { c.Options.Audiences = []string{energy} })
	id := e.mustAuthorize(hint("(415) 867-4821"))
	if err := e.srv.CIBADecide(t.Context(), e.link(), true, "", "", "192.0.2.1"); err != nil {
		t.Fatalf("approve: %v", err)
	}
	poll := func(resource ...string) response {
		form := url.Values{"grant_type": {keypad.GrantCIBA}, "auth_req_id": {id}, "resource": resource}
		return e.post(PathToken, form, basic(e.tv.ID, e.secret))
	}
	wantError(t, poll(), http.StatusBadRequest, CodeInvalidTarget)
	wantError(t, poll("https://evil.example.com/"), http.StatusBadRequest, CodeInvalidTarget)
	r := wantTokens(t, poll(energy))
	if aud := jwtClaims(t, r.body["access_token"].(string))["aud"]; aud != energy {
		t.Errorf("aud = %v, want %s", aud, energy)
	}
}

// TestDeviceAudiences: a device client that registered audiences must
// name one at device authorization, and the token's aud is what it named.
func TestDeviceAudiences(t *testing.T) {
	e := newDeviceEnv(t, DeviceConfig{})
	c := tv("tv", "read")
	c.Options.Audiences = []string{meterAPI}
	e.mustClient(c)
	wantError(t, e.deviceAuthResources(), http.StatusBadRequest, CodeInvalidTarget)
	wantError(t, e.deviceAuthResources(otherAPI), http.StatusBadRequest, CodeInvalidTarget)
	codes := e.approvedWithResources(t, meterAPI)
	r := wantTokens(t, e.pollResource(codes, "-"))
	wantAudience(t, e, r.body["access_token"].(string), meterAPI)
}
