package oauth_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad/internal/nodetest"
	"github.com/keypadauth/keypad/oauth"
)

// TestDPoPInteropNode: independent DPoP clients (oauth4webapi 3.8.8 and
// openid-client 6.8.9, pinned in internal/nodetest) exchange a code,
// call userinfo and refresh against keypad with server nonces required;
// the tokens they get are bound to their keys. The person signs in
// through the hosted pages here; the clients sign proofs with the wall
// clock, so the server runs on it too.
func TestDPoPInteropNode(t *testing.T) {
	e := newFlowEnv(t, func(s *flowSettings) {
		s.now = time.Now
		s.dpop = oauth.DPoPConfig{RequireNonce: true, NonceKey: []byte(strings.Repeat("n", 32))}
	})
	redirect := "http://127.0.0.1:" + strings.Split(e.callback.Listener.Addr().String(), ":")[1] + "/cb"
	for _, lib := range []string{"oauth4webapi", "openid-client"} {
		t.Run(lib, func(t *testing.T) {
			verifier, challenge := pkce()
			state := "st-" + lib
			p := url.Values{"response_type": {"code"}, "client_id": {"native"}, "redirect_uri": {redirect},
				"scope": {"openid offline_access"}, "state": {state}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
			cb := e.agent().authorize(e.authURL(p), "alice", alicePassword, "approve")
			var out []byte
			if lib == "oauth4webapi" {
				out = nodetest.Run(t, "testdata/dpop_oauth4webapi.mjs", e.ts.URL, cb.String(), redirect, state, verifier)
			} else {
				out = nodetest.Run(t, "testdata/dpop_openid_client.mjs", e.ts.URL, cb.String(), state, verifier)
			}
			var got struct {
				JKT                  string `json:"jkt"`
				TokenType            string `json:"token_type"`
				AccessToken          string `json:"access_token"`
				UserinfoSub          string `json:"userinfo_sub"`
				RefreshedTokenType   string `json:"refreshed_token_type"`
				RefreshedAccessToken string `json:"refreshed_access_token"`
			}
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("%s printed %q: %v", lib, out, err)
			}
			if !strings.EqualFold(got.TokenType, "DPoP") || !strings.EqualFold(got.RefreshedTokenType, "DPoP") || got.UserinfoSub != "sub-alice" {
				t.Errorf("%s: token types %q, %q, userinfo sub %q; want DPoP, DPoP, sub-alice", lib, got.TokenType, got.RefreshedTokenType, got.UserinfoSub)
			}
			for _, at := range []string{got.AccessToken, got.RefreshedAccessToken} {
				_, claims := e.verifyJWT(at)
				if cnf, _ := claims["cnf"].(map[string]any); cnf["jkt"] != got.JKT || got.JKT == "" {
					t.Errorf("%s: access token cnf %v, want jkt %s (the client's key)", lib, cnf, got.JKT)
				}
			}
			// What the client got is useless as a bearer token.
			if r := e.userinfo(got.RefreshedAccessToken); r.status != http.StatusUnauthorized {
				t.Errorf("%s's bound token as a bearer token at userinfo: %d, want 401", lib, r.status)
			}
		})
	}
}
