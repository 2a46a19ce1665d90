package oauth_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/oauth"
	"github.com/keypadauth/keypad/token"
)

// TestAuthorizationCodeFlow is the whole flow without a browser engine:
// sign-in, consent, code, exchange with PKCE, the ID token checked against
// the JWKS, userinfo, and a refresh.
func TestAuthorizationCodeFlow(t *testing.T) {
	e := newFlowEnv(t)
	params, verifier := e.webParams("openid profile email offline_access api:read")
	a := e.agent()
	code := a.code(params, "alice", alicePassword)
	if !strings.HasPrefix(code, keypad.PrefixAuthCode) {
		t.Errorf("code %q lacks the kp_ac_ prefix", code)
	}
	if a.logins != 1 || a.shown != 1 {
		t.Errorf("sign-in pages %d, consent pages %d; want 1 and 1", a.logins, a.shown)
	}
	r := e.exchange("webapp", code, verifier)
	wantOK(t, r)
	if got, want := r.str("scope"), "openid profile email offline_access api:read"; got != want {
		t.Errorf("scope = %q, want %q", got, want)
	}
	if !strings.HasPrefix(r.str("refresh_token"), keypad.PrefixRefreshToken) {
		t.Errorf("refresh_token = %q, want a kp_rt_ token (offline_access was granted)", r.str("refresh_token"))
	}

	hdr, claims := e.verifyJWT(r.str("id_token"))
	if hdr["alg"] != "RS256" || hdr["typ"] != "JWT" {
		t.Errorf("ID token header %v, want alg RS256 and typ JWT", hdr)
	}
	now := e.clk.Now()
	for k, want := range map[string]any{
		"iss": e.ts.URL, "aud": "webapp", "sub": "sub-alice", "nonce": "n-456",
		"auth_time": float64(now.Unix()), "iat": float64(now.Unix()),
		"exp": float64(now.Add(oauth.DefaultIDTokenTTL).Unix()),
	} {
		if claims[k] != want {
			t.Errorf("ID token %s = %v, want %v", k, claims[k], want)
		}
	}
	if got := claims["amr"]; !slices.Equal(toStrings(got), []string{"pwd"}) {
		t.Errorf("ID token amr = %v, want [pwd]", got)
	}
	if got, want := claims["at_hash"], atHash(r.str("access_token")); got != want {
		t.Errorf("at_hash = %v, want %v", got, want)
	}
	_, at := e.verifyJWT(r.str("access_token"))
	if at["sub"] != "sub-alice" || at["client_id"] != "webapp" || at["gid"] == "" {
		t.Errorf("access token claims %v: want sub-alice, webapp and a grant id", at)
	}

	info := e.userinfo(r.str("access_token"))
	if info.status != http.StatusOK {
		t.Fatalf("userinfo: %d %s", info.status, info.raw)
	}
	for k, want := range map[string]any{"sub": "sub-alice", "name": "Alice Example", "preferred_username": "alice", "email": "alice@example.com"} {
		if info.body[k] != want {
			t.Errorf("userinfo %s = %v, want %v", k, info.body[k], want)
		}
	}
	if _, ok := info.body["phone_number"]; ok {
		t.Errorf("userinfo has phone_number without scope phone: %s", info.raw)
	}

	r2 := e.refresh("webapp", r.str("refresh_token"), nil)
	wantOK(t, r2)
	if r2.str("refresh_token") == r.str("refresh_token") || r2.str("refresh_token") == "" {
		t.Errorf("refresh did not rotate the refresh token")
	}
	if e.active(r.str("refresh_token")) {
		t.Errorf("the rotated-away refresh token is still active")
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// TestAuthorizeErrors pins RFC 6749 §4.1.2.1: with a valid client and
// redirect URI the error goes back to the client (with state); otherwise
// the person sees a page and nothing is redirected.
func TestAuthorizeErrors(t *testing.T) {
	e := newFlowEnv(t)
	cb := e.callback.URL + "/callback"
	base, _ := e.webParams("api:read")
	with := func(edit func(url.Values)) url.Values {
		v := url.Values{}
		for k, vs := range base {
			v[k] = slices.Clone(vs)
		}
		edit(v)
		return v
	}
	otherPort := strings.Replace(cb, e.callback.Listener.Addr().String(), "127.0.0.1:1", 1)
	for _, c := range []struct {
		name   string
		params url.Values
		code   string // "" means: an error page, no redirect
	}{
		{"ErrNoClient", with(func(v url.Values) { v.Del("client_id") }), ""},
		{"ErrUnknownClient", with(func(v url.Values) { v.Set("client_id", "nobody") }), ""},
		{"ErrUnregisteredRedirect", with(func(v url.Values) { v.Set("redirect_uri", "https://evil.example/cb") }), ""},
		{"ErrRedirectPathDiffers", with(func(v url.Values) { v.Set("redirect_uri", cb+"/x") }), ""},
		{"ErrRedirectQueryAdded", with(func(v url.Values) { v.Set("redirect_uri", cb+"?next=/") }), ""},
		// The loopback port rule is for native (public) apps only.
		{"ErrConfidentialLoopbackPort", with(func(v url.Values) { v.Set("redirect_uri", otherPort) }), ""},
		{"ErrRepeatedRedirect", with(func(v url.Values) { v.Add("redirect_uri", cb) }), ""},
		{"ErrImplicit", with(func(v url.Values) { v.Set("response_type", "token") }), oauth.CodeUnsupportedResponseType},
		{"ErrHybrid", with(func(v url.Values) { v.Set("response_type", "code id_token") }), oauth.CodeUnsupportedResponseType},
		{"ErrNoResponseType", with(func(v url.Values) { v.Del("response_type") }), oauth.CodeInvalidRequest},
		{"ErrNoPKCE", with(func(v url.Values) { v.Del("code_challenge"); v.Del("code_challenge_method") }), oauth.CodeInvalidRequest},
		{"ErrPlainPKCE", with(func(v url.Values) { v.Set("code_challenge_method", "plain") }), oauth.CodeInvalidRequest},
		{"ErrPKCEDefaultsToPlain", with(func(v url.Values) { v.Del("code_challenge_method") }), oauth.CodeInvalidRequest},
		{"ErrBadChallenge", with(func(v url.Values) { v.Set("code_challenge", "short") }), oauth.CodeInvalidRequest},
		{"ErrScopeNotAllowed", with(func(v url.Values) { v.Set("scope", "api:write") }), oauth.CodeInvalidScope},
		{"ErrScopePatternItself", with(func(v url.Values) { v.Set("scope", "device:{id}:read") }), oauth.CodeInvalidScope},
		{"ErrRepeatedScope", with(func(v url.Values) { v.Add("scope", "openid") }), oauth.CodeInvalidRequest},
		// A request object that does not verify is shown, not redirected:
		// the redirect URI inside it cannot be trusted (jar.go).
		{"ErrRequestObject", with(func(v url.Values) { v.Set("request", "eyJ.x.y") }), ""},
		{"ErrFragmentMode", with(func(v url.Values) { v.Set("response_mode", "fragment") }), oauth.CodeInvalidRequest},
		{"ErrPromptNoneWithLogin", with(func(v url.Values) { v.Set("prompt", "none login") }), oauth.CodeInvalidRequest},
		{"ErrMaxAge", with(func(v url.Values) { v.Set("max_age", "-1") }), oauth.CodeInvalidRequest},
		{"ErrResource", with(func(v url.Values) { v.Set("resource", "/relative") }), oauth.CodeInvalidTarget},
		{"ErrOpenIDWithoutRedirect", with(func(v url.Values) { v.Del("redirect_uri"); v.Set("scope", "openid") }), oauth.CodeInvalidRequest},
		{"ErrLoginRequired", with(func(v url.Values) { v.Set("prompt", "none") }), oauth.CodeLoginRequired},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := e.agent().do("GET", e.authURL(c.params), nil)
			if c.code == "" {
				if p.status != http.StatusBadRequest || p.location != "" {
					t.Fatalf("got %d (Location %q), want a 400 page and no redirect", p.status, p.location)
				}
				if !strings.Contains(p.body, "This sign-in link is not valid") {
					t.Errorf("error page lacks its heading:\n%s", p.body)
				}
				return
			}
			if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, cb+"?") {
				t.Fatalf("got %d to %q, want a redirect to %s", p.status, p.location, cb)
			}
			u, _ := url.Parse(p.location)
			q := u.Query()
			if q.Get("error") != c.code || q.Get("state") != "st-123" || q.Get("iss") != e.ts.URL || q.Get("error_description") == "" {
				t.Errorf("redirect query %v, want error %s with description, state st-123, iss %s", q, c.code, e.ts.URL)
			}
			if q.Has("code") {
				t.Errorf("an error redirect carries a code")
			}
		})
	}
}

// TestLoopbackRedirect checks RFC 8252 §7.3: a native app registered with
// http://127.0.0.1/cb may come back on any port, and on nothing else.
func TestLoopbackRedirect(t *testing.T) {
	e := newFlowEnv(t)
	port := e.callback.Listener.Addr().String()[len("127.0.0.1:"):]
	verifier, challenge := pkce()
	params := func(redirect string) url.Values {
		return url.Values{"response_type": {"code"}, "client_id": {"native"}, "redirect_uri": {redirect},
			"scope": {"api:read"}, "state": {"s"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	}
	t.Run("ErrExchangeWithoutPort", func(t *testing.T) {
		redirect := "http://127.0.0.1:" + port + "/cb"
		u := e.agent().authorize(e.authURL(params(redirect)), "alice", alicePassword, "approve")
		if got := u.Scheme + "://" + u.Host + u.Path; got != redirect {
			t.Fatalf("redirected to %s, want %s", got, redirect)
		}
		form := url.Values{"grant_type": {"authorization_code"}, "code": {u.Query().Get("code")},
			"code_verifier": {verifier}, "redirect_uri": {"http://127.0.0.1/cb"}}
		wantErr(t, e.post(oauth.PathToken, "native", form), oauth.CodeInvalidGrant)
	})
	t.Run("OK", func(t *testing.T) {
		redirect := "http://127.0.0.1:" + port + "/cb"
		u := e.agent().authorize(e.authURL(params(redirect)), "alice", alicePassword, "approve")
		form := url.Values{"grant_type": {"authorization_code"}, "code": {u.Query().Get("code")},
			"code_verifier": {verifier}, "redirect_uri": {redirect}}
		wantOK(t, e.post(oauth.PathToken, "native", form))
	})
	for _, c := range []struct{ name, redirect string }{
		{"ErrOtherPath", "http://127.0.0.1:" + port + "/other"},
		{"ErrLocalhostForIP", "http://localhost:" + port + "/cb"},
		{"ErrHTTPS", "https://127.0.0.1:" + port + "/cb"},
		{"ErrQueryAdded", "http://127.0.0.1:" + port + "/cb?x=1"},
		{"ErrOtherAddress", "http://127.0.0.2:" + port + "/cb"},
		{"ErrBadPort", "http://127.0.0.1:99999/cb"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := e.agent().do("GET", e.authURL(params(c.redirect)), nil)
			if p.status != http.StatusBadRequest || p.location != "" {
				t.Errorf("got %d to %q, want an error page", p.status, p.location)
			}
		})
	}
}

// TestCodeSingleUse checks RFC 6749 §4.1.2: a code works once, and its
// second use revokes the tokens the first one issued.
func TestCodeSingleUse(t *testing.T) {
	e := newFlowEnv(t)
	params, verifier := e.webParams("openid offline_access api:read")
	code := e.agent().code(params, "alice", alicePassword)
	first := e.exchange("webapp", code, verifier)
	wantOK(t, first)
	at, rt := first.str("access_token"), first.str("refresh_token")
	if !e.active(at) || !e.active(rt) {
		t.Fatalf("fresh tokens are not active")
	}
	wantErr(t, e.exchange("webapp", code, verifier), oauth.CodeInvalidGrant)
	if e.active(at) || e.active(rt) {
		t.Errorf("after the code's second use: access active %v, refresh active %v; want both revoked", e.active(at), e.active(rt))
	}
	wantErr(t, e.refresh("webapp", rt, nil), oauth.CodeInvalidGrant)
}

func TestCodeExchange(t *testing.T) {
	e := newFlowEnv(t)
	t.Run("ErrExpired", func(t *testing.T) {
		params, verifier := e.webParams("api:read")
		code := e.agent().code(params, "alice", alicePassword)
		e.clk.Advance(oauth.DefaultCodeLifetime)
		wantErr(t, e.exchange("webapp", code, verifier), oauth.CodeInvalidGrant)
	})
	t.Run("ErrWrongVerifier", func(t *testing.T) {
		params, _ := e.webParams("api:read")
		code := e.agent().code(params, "alice", alicePassword)
		wantErr(t, e.exchange("webapp", code, strings.Repeat("w", 43)), oauth.CodeInvalidGrant)
	})
	t.Run("ErrNoVerifier", func(t *testing.T) {
		params, _ := e.webParams("api:read")
		code := e.agent().code(params, "alice", alicePassword)
		wantErr(t, e.exchange("webapp", code, ""), oauth.CodeInvalidGrant)
	})
	t.Run("ErrRedirectMismatch", func(t *testing.T) {
		params, verifier := e.webParams("api:read")
		code := e.agent().code(params, "alice", alicePassword)
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier},
			"redirect_uri": {e.callback.URL + "/other"}}
		wantErr(t, e.post(oauth.PathToken, "webapp", form), oauth.CodeInvalidGrant)
	})
	t.Run("ErrOtherClient", func(t *testing.T) {
		params, verifier := e.webParams("api:read")
		code := e.agent().code(params, "alice", alicePassword)
		wantErr(t, e.exchange("native", code, verifier), oauth.CodeInvalidGrant)
	})
	t.Run("OKPlainWhenAllowed", func(t *testing.T) {
		e.updateClient("webapp", func(c *keypad.Client) { c.Options.AllowPlainPKCE = true })
		defer e.updateClient("webapp", func(c *keypad.Client) { c.Options.AllowPlainPKCE = false })
		params, _ := e.webParams("api:read")
		plain := strings.Repeat("p", 50)
		params.Set("code_challenge", plain)
		params.Set("code_challenge_method", "plain")
		code := e.agent().code(params, "alice", alicePassword)
		wantOK(t, e.exchange("webapp", code, plain))
	})
	t.Run("OKConfidentialWithoutPKCEWhenConfigured", func(t *testing.T) {
		e2 := newFlowEnv(t, func(s *flowSettings) { s.authCode.PKCEOptionalForConfidential = true })
		params, _ := e2.webParams("api:read")
		params.Del("code_challenge")
		params.Del("code_challenge_method")
		code := e2.agent().code(params, "alice", alicePassword)
		wantOK(t, e2.exchange("webapp", code, ""))
		// A downgrade: a verifier for a code that had no challenge.
		code = e2.agent().code(params, "alice", alicePassword)
		wantErr(t, e2.exchange("webapp", code, strings.Repeat("v", 43)), oauth.CodeInvalidGrant)
	})
}

// TestResourceIndicator: RFC 8707 resource sets the access token's aud.
func TestResourceIndicator(t *testing.T) {
	e := newFlowEnv(t)
	params, verifier := e.webParams("api:read")
	params["resource"] = []string{"https://api.example.com/", "https://meter.example.com/"}
	code := e.agent().code(params, "alice", alicePassword)
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier},
		"redirect_uri": {e.callback.URL + "/callback"}, "resource": {"https://meter.example.com/"}}
	r := e.post(oauth.PathToken, "webapp", form)
	wantOK(t, r)
	_, claims := e.verifyJWT(r.str("access_token"))
	if claims["aud"] != "https://meter.example.com/" {
		t.Errorf("aud = %v, want the one resource asked for at the token endpoint", claims["aud"])
	}
}

// TestAccessTokenLifetimes: only opaque access tokens may live long.
func TestAccessTokenLifetimes(t *testing.T) {
	e := newFlowEnv(t)
	tenYears := 10 * 8766 * time.Hour
	for _, c := range []struct {
		name   string
		format keypad.TokenFormat
		want   time.Duration
	}{
		{"OKOpaqueLongLived", keypad.FormatOpaque, tenYears},
		{"OKJWTCapped", keypad.FormatJWT, token.MaxJWTAccessTTL},
	} {
		t.Run(c.name, func(t *testing.T) {
			e.updateClient("webapp", func(cl *keypad.Client) { cl.TokenFormat, cl.AccessTTL = c.format, tenYears })
			params, verifier := e.webParams("api:read")
			r := e.exchange("webapp", e.agent().code(params, "alice", alicePassword), verifier)
			wantOK(t, r)
			if got := time.Duration(r.body["expires_in"].(float64)) * time.Second; got != c.want {
				t.Errorf("expires_in = %s, want %s", got, c.want)
			}
		})
	}
}
