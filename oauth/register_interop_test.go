package oauth_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad/internal/nodetest"
	"github.com/keypadauth/keypad/oauth"
)

// TestRegisterInteropOpenIDClient: openid-client's
// dynamicClientRegistration registers a confidential client with an
// initial access token, and the client it got completes an authorization
// code flow (PKCE, state, RFC 9207 iss) with openid-client's own
// authorizationCodeGrant; its registration then reads back over RFC 7592.
func TestRegisterInteropOpenIDClient(t *testing.T) {
	e := newFlowEnv(t, withRegistration(oauth.RegistrationConfig{}))
	tok := e.initialToken(time.Hour, 1)
	redirect := e.callback.URL + "/callback"
	var reg struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
		RegToken     string `json:"registration_access_token"`
		URL          string `json:"url"`
		Verifier     string `json:"verifier"`
	}
	must(t, json.Unmarshal(nodetest.Run(t, "testdata/register_openid_client.mjs", "register", e.ts.URL, tok, redirect, "st-dcr"), &reg))
	if reg.ClientID == "" || !strings.HasPrefix(reg.ClientSecret, "kp_cs_") || reg.RegToken == "" {
		t.Fatalf("openid-client's registration: %+v", reg)
	}
	cb := e.agent().authorize(reg.URL, "alice", alicePassword, "approve")
	var got struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		Sub          string `json:"sub"`
	}
	must(t, json.Unmarshal(nodetest.Run(t, "testdata/register_openid_client.mjs", "exchange", e.ts.URL,
		reg.ClientID, reg.ClientSecret, cb.String(), reg.Verifier, "st-dcr"), &got))
	if got.Sub != "sub-alice" || got.RefreshToken == "" || !e.active(got.AccessToken) {
		t.Fatalf("openid-client's code flow with the registered client: %+v", got)
	}
	if r := e.call("GET", oauth.PathRegister+"/"+reg.ClientID, reg.RegToken, nil); r.status != http.StatusOK || r.str("client_name") != "Bright Audits" {
		t.Errorf("read the registration: %d %s", r.status, r.raw)
	}
}
