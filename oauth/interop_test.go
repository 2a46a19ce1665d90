package oauth_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"testing"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/oauth"
)

// These tests pin what independent client libraries found keypad doing
// differently from the RFCs, black-box over HTTP.

// TestIDTokenAlgFollowsClient: an ID token is signed with the algorithm
// the client is registered with, ES256 by default, as its access tokens
// are; a relying party that pins the registered alg (go-oidc's
// SupportedSigningAlgs) accepts it after checking it against the JWKS.
func TestIDTokenAlgFollowsClient(t *testing.T) {
	e := newFlowEnv(t)
	for _, c := range []struct{ registered, want string }{
		{"", keypad.AlgES256}, // what `keypad client create` registers
		{keypad.AlgES256, keypad.AlgES256},
		{keypad.AlgRS256, keypad.AlgRS256},
	} {
		t.Run("OK"+c.want+"For"+map[string]string{"": "Default"}[c.registered]+c.registered, func(t *testing.T) {
			e.updateClient("webapp", func(cl *keypad.Client) { cl.Options.SigningAlg = c.registered })
			r := e.signIn("openid")
			hdr, claims := e.verifyJWT(r.str("id_token"))
			if hdr["alg"] != c.want || hdr["typ"] != "JWT" {
				t.Errorf("ID token header %v, want alg %s and typ JWT", hdr, c.want)
			}
			if claims["aud"] != "webapp" || claims["at_hash"] != atHash(r.str("access_token")) {
				t.Errorf("ID token claims %v: want aud webapp and the access token's at_hash", claims)
			}
			atHdr, _ := e.verifyJWT(r.str("access_token"))
			if atHdr["alg"] != hdr["alg"] {
				t.Errorf("access token alg %v, ID token alg %v: want the client's one alg for both", atHdr["alg"], hdr["alg"])
			}
		})
	}
	m := e.discovery()
	if algs := toStrings(m["id_token_signing_alg_values_supported"]); !slices.Contains(algs, "RS256") || !slices.Contains(algs, "ES256") {
		t.Errorf("id_token_signing_alg_values_supported = %v, want RS256 and ES256", algs)
	}
}

// TestDiscoveryFreshInstall: OpenID Connect works before an operator puts
// its scopes in the catalogue, so discovery lists them anyway, beside the
// catalogue's own.
func TestDiscoveryFreshInstall(t *testing.T) {
	e := newFlowEnv(t)
	for _, sc := range oauth.OIDCScopes {
		must(t, e.st.DeleteScope(context.Background(), sc.Name))
	}
	got := toStrings(e.discovery()["scopes_supported"])
	for _, want := range []string{"openid", "profile", "email", "offline_access", "api:read"} {
		if !slices.Contains(got, want) {
			t.Errorf("scopes_supported = %v, want it to list %s", got, want)
		}
	}
	// And openid does work: the ID token comes.
	if r := e.signIn("openid"); r.str("id_token") == "" {
		t.Errorf("sign-in with scope openid on an empty catalogue: %s, want an ID token", r.raw)
	}
}

// TestUserinfoWithoutToken pins RFC 6750 §3.1: a request with no token
// gets 401 and a bare challenge, no error code; a malformed Authorization
// header is invalid_request.
func TestUserinfoWithoutToken(t *testing.T) {
	e := newFlowEnv(t)
	get := func(auth string) (*http.Response, string) {
		req, err := http.NewRequest("GET", e.ts.URL+oauth.PathUserinfo, nil)
		must(t, err)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		res, err := http.DefaultClient.Do(req)
		must(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	res, body := get("")
	if res.StatusCode != http.StatusUnauthorized || res.Header.Get("WWW-Authenticate") != `Bearer realm="keypad"` || body != "" {
		t.Errorf("no token: %d, WWW-Authenticate %q, body %q; want 401, a bare Bearer challenge and no error",
			res.StatusCode, res.Header.Get("WWW-Authenticate"), body)
	}
	res, body = get("Basic d2ViYXBwOng=")
	var eb map[string]string
	json.Unmarshal([]byte(body), &eb)
	if res.StatusCode != http.StatusBadRequest || eb["error"] != "invalid_request" || eb["error_description"] == "" {
		t.Errorf("Basic credentials: %d %s, want 400 invalid_request saying to send a Bearer token", res.StatusCode, body)
	}
}

// TestIntrospectRefreshTokenType pins RFC 7662 §2.2: token_type is an
// RFC 6749 §7.1 access token type, so a refresh token's answer has none.
func TestIntrospectRefreshTokenType(t *testing.T) {
	e := newFlowEnv(t)
	r := e.signIn("openid offline_access")
	for tok, want := range map[string]any{r.str("access_token"): "Bearer", r.str("refresh_token"): nil} {
		in := e.post(oauth.PathIntrospect, "webapp", map[string][]string{"token": {tok}})
		if in.body["active"] != true || in.body["token_type"] != want {
			t.Errorf("introspection %s: want active with token_type %v", in.raw, want)
		}
	}
}

// discovery fetches the OpenID configuration.
func (e *flowEnv) discovery() map[string]any {
	e.t.Helper()
	res, err := http.Get(e.ts.URL + oauth.PathOIDCDiscovery)
	must(e.t, err)
	defer res.Body.Close()
	var m map[string]any
	must(e.t, json.NewDecoder(res.Body).Decode(&m))
	return m
}
