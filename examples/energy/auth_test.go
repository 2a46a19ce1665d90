package energy

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/oauth"
	"github.com/keypadauth/keypad/rs"
)

const listPath = "/api/usage-points"

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func b64JSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b64(b)
}

// signWithTestKey signs header and claims with a P-256 key the test made,
// which keypad never published.
func signWithTestKey(t *testing.T, header, claims map[string]any) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	input := b64JSON(t, header) + "." + b64JSON(t, claims)
	digest := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, k, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + b64(sig)
}

// changed is claims with change applied; a nil value deletes the claim.
func changed(claims, change map[string]any) map[string]any {
	c := maps.Clone(claims)
	for k, v := range change {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

// mustInvalidToken asserts the RFC 6750 invalid_token answer whose
// description mentions want.
func mustInvalidToken(t *testing.T, resp *http.Response, body map[string]any, want string) {
	t.Helper()
	if resp.StatusCode != 401 || body["error"] != "invalid_token" {
		t.Fatalf("got %d %v, want 401 invalid_token", resp.StatusCode, body)
	}
	if d, _ := body["error_description"].(string); !strings.Contains(d, want) {
		t.Errorf("error_description = %q, want it to mention %q", d, want)
	}
	if got := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, `Bearer realm="energy", error="invalid_token", error_description="`) {
		t.Errorf("WWW-Authenticate = %q", got)
	}
}

// TestJWT runs keypad's real JWT access tokens past the API, and tokens
// keypad would never issue: those that need a valid signature to reach
// the check under test are signed with keypad's own current key (see
// testKeypad.sign); the rest are real tokens tampered with or signed by
// the test.
func TestJWT(t *testing.T) {
	// keypad's access tokens name its issuer URL as their audience when
	// the client asks for no resource.
	e := newEnv(t, func(c *Config) { c.Audience = c.Issuer })
	heather, bob := e.token(t, "heather"), e.token(t, "bob")
	header, claims, parts := jwtSegments(t, heather)
	if header["alg"] != keypad.AlgES256 || header["typ"] != "at+jwt" || claims["sub"] != "sub-heather" {
		t.Fatalf("keypad's token has header %v, claims %v; want ES256, at+jwt, sub-heather", header, claims)
	}
	rs256 := e.kp.token(t, appRS256, "heather", "")
	if h, _, _ := jwtSegments(t, rs256); h["alg"] != keypad.AlgRS256 {
		t.Fatalf("the RS256 app's token has header %v, want alg RS256", h)
	}
	kpSigned := func(typ string, change map[string]any) string {
		return e.kp.sign(t, keypad.AlgES256, typ, changed(claims, change))
	}
	withHeader := func(h map[string]any) string { // the signature no longer covers it
		return b64JSON(t, h) + "." + parts[1] + "." + parts[2]
	}
	hs256 := func() string { // alg confusion: HMAC keyed with keypad's public keys
		input := b64JSON(t, changed(header, map[string]any{"alg": "HS256"})) + "." + parts[1]
		m := hmac.New(sha256.New, e.kp.jwks(t))
		m.Write([]byte(input))
		return input + "." + b64(m.Sum(nil))
	}
	tampered := func() string { // bob's token carrying heather's claims
		p := strings.Split(bob, ".")
		return p[0] + "." + parts[1] + "." + p[2]
	}
	now := e.clock.Now()

	tests := []struct {
		name string
		tok  string
		want string // "" for success, else a fragment of error_description
	}{
		{"OK", heather, ""},
		{"OKRS256", rs256, ""},
		{"OKMediaTypeTyp", kpSigned("application/AT+JWT", nil), ""},
		{"OKAudArray", kpSigned("at+jwt", map[string]any{"aud": []string{"https://other.example", e.kp.url}}), ""},
		{"ErrNoExpiry", kpSigned("at+jwt", map[string]any{"exp": nil}), "no expiry"},
		{"ErrNotYetValid", kpSigned("at+jwt", map[string]any{"nbf": now.Add(time.Hour).Unix()}), "not valid yet"},
		{"ErrWrongIssuer", kpSigned("at+jwt", map[string]any{"iss": "https://evil.example"}), "another server"},
		{"ErrNoSubject", kpSigned("at+jwt", map[string]any{"sub": nil}), "no subject"},
		// keypad signs its ID tokens with typ JWT.
		{"ErrIDTokenTyp", kpSigned("JWT", nil), "typ must be at+jwt"},
		{"ErrNoTyp", kpSigned("", nil), "typ must be at+jwt"},
		{"ErrAlgNone", b64JSON(t, map[string]any{"alg": "none", "typ": "at+jwt"}) + "." + parts[1] + ".", `"none"`},
		{"ErrAlgHS256", hs256(), `"HS256"`},
		{"ErrAlgMismatch", withHeader(changed(header, map[string]any{"alg": "RS256"})), "unknown key"},
		{"ErrTampered", tampered(), "signature is not valid"},
		{"ErrForeignKey", signWithTestKey(t, header, claims), "signature is not valid"},
		// Without a kid the API tries every published key of the alg.
		{"ErrForeignKeyNoKid", signWithTestKey(t, changed(header, map[string]any{"kid": nil}), claims), "signature is not valid"},
		{"ErrGarbage", "a.b.c", "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := e.get(t, listPath, tt.tok)
			if tt.want == "" {
				if resp.StatusCode != 200 {
					t.Fatalf("status %d, body %v; want 200", resp.StatusCode, body)
				}
				return
			}
			mustInvalidToken(t, resp, body, tt.want)
		})
	}

	t.Run("ErrWrongAudience", func(t *testing.T) {
		// A real token, at an API that wants its own name in aud.
		named := newAPI(t, e.kp, func(c *Config) { c.Audience = "https://energy.example" })
		resp, body := named.get(t, listPath, e.token(t, "heather"))
		mustInvalidToken(t, resp, body, "another audience")
	})
}

// TestJWTExpiry lets a real token age on the shared clock: keypad's
// access tokens live an hour, and the API allows rs.ClockSkew past exp.
func TestJWTExpiry(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.token(t, "heather")
	_, claims, _ := jwtSegments(t, tok)
	exp := time.Unix(int64(claims["exp"].(float64)), 0)
	if got := exp.Sub(e.clock.Now()); got != time.Hour {
		t.Fatalf("keypad's token lives %s, want the default hour", got)
	}

	t.Run("OKWithinSkew", func(t *testing.T) {
		e.clock.Advance(exp.Add(rs.ClockSkew - time.Second).Sub(e.clock.Now()))
		if resp, body := e.get(t, listPath, tok); resp.StatusCode != 200 {
			t.Fatalf("status %d (%v) a second before the skew runs out, want 200", resp.StatusCode, body)
		}
	})
	t.Run("ErrExpired", func(t *testing.T) {
		e.clock.Advance(time.Second)
		resp, body := e.get(t, listPath, tok)
		mustInvalidToken(t, resp, body, "expired")
	})
}

func TestKeyRotation(t *testing.T) {
	e := newEnv(t, nil)
	jwks := func() int { return e.calls.count(oauth.PathJWKS) }
	mustStatus := func(t *testing.T, tok string, want int) map[string]any {
		t.Helper()
		resp, body := e.get(t, listPath, tok)
		if resp.StatusCode != want {
			t.Fatalf("status %d (%v), want %d", resp.StatusCode, body, want)
		}
		return body
	}
	kid := func(tok string) any { h, _, _ := jwtSegments(t, tok); return h["kid"] }

	first := e.token(t, "heather")
	mustStatus(t, first, 200)
	mustStatus(t, e.token(t, "heather"), 200)
	if n := jwks(); n != 1 {
		t.Fatalf("JWKS fetched %d times for one known key, want 1", n)
	}

	t.Run("OKNewKidRefreshes", func(t *testing.T) {
		e.clock.Advance(rs.KeyRefreshMin)
		e.kp.rotateKeys(t)
		tok := e.token(t, "heather")
		if kid(tok) == kid(first) {
			t.Fatalf("after rotation keypad still signs with kid %v", kid(first))
		}
		mustStatus(t, tok, 200)
		if n := jwks(); n != 2 {
			t.Errorf("JWKS fetched %d times, want 2", n)
		}
		// The retired key stays published, so its tokens keep working.
		mustStatus(t, first, 200)
		if n := jwks(); n != 2 {
			t.Errorf("a token of the retired key fetched the JWKS again (%d times)", n)
		}
	})
	t.Run("ErrUnknownKidRateLimited", func(t *testing.T) {
		e.clock.Advance(rs.KeyRefreshMin)
		header, claims, _ := jwtSegments(t, e.token(t, "heather"))
		forged := signWithTestKey(t, changed(header, map[string]any{"kid": "forged"}), claims)
		before := jwks()
		for range 5 {
			mustStatus(t, forged, 401)
		}
		if n := jwks(); n != before+1 {
			t.Errorf("5 tokens with an unknown kid fetched the JWKS %d times, want 1", n-before)
		}
		// keypad rotates again, but the limiter holds the API back.
		e.kp.rotateKeys(t)
		tok := e.token(t, "heather")
		if body := mustStatus(t, tok, 401); !strings.Contains(body["error_description"].(string), "unknown key") {
			t.Errorf("error_description = %q, want it to mention the unknown key", body["error_description"])
		}
		e.clock.Advance(rs.KeyRefreshMin)
		mustStatus(t, tok, 200)
		if n := jwks(); n != before+2 {
			t.Errorf("JWKS fetched %d times since the forged kid, want 2", n-before)
		}
	})
	t.Run("OKStaleSetReread", func(t *testing.T) {
		before := jwks()
		e.clock.Advance(rs.KeyMaxAge)
		mustStatus(t, e.token(t, "heather"), 200) // issued now, by a known key
		if n := jwks(); n != before+1 {
			t.Errorf("an hour-old key set was re-read %d times, want 1", n-before)
		}
	})
}

// TestIntrospection runs keypad's real opaque tokens past the API, which
// asks keypad about them (RFC 7662) with its real client credentials.
func TestIntrospection(t *testing.T) {
	e := newEnv(t, nil)
	opaque := func(t *testing.T, scope string) string {
		t.Helper()
		tok := e.kp.token(t, appOpaque, "heather", scope)
		if !strings.HasPrefix(tok, keypad.PrefixAccessToken) {
			t.Fatalf("the opaque app got %q, want a kp_at_ token", tok)
		}
		return tok
	}
	intro := func() int { return e.calls.count(oauth.PathIntrospect) }

	t.Run("OK", func(t *testing.T) {
		tok, before := opaque(t, ""), intro()
		for range 3 {
			if resp, body := e.get(t, listPath, tok); resp.StatusCode != 200 {
				t.Fatalf("status %d (%v), want 200", resp.StatusCode, body)
			}
		}
		if n := intro(); n != before+1 {
			t.Errorf("3 calls introspected %d times, want 1 (cached)", n-before)
		}
		e.clock.Advance(rs.IntrospectTTL)
		if resp, body := e.get(t, listPath, tok); resp.StatusCode != 200 {
			t.Fatalf("status %d (%v), want 200", resp.StatusCode, body)
		}
		if n := intro(); n != before+2 {
			t.Errorf("after the cache lifetime: %d introspections, want 2", n-before)
		}
	})
	t.Run("ErrRevoked", func(t *testing.T) {
		tok := opaque(t, "")
		if resp, body := e.get(t, listPath, tok); resp.StatusCode != 200 {
			t.Fatalf("status %d (%v), want 200", resp.StatusCode, body)
		}
		e.kp.revoke(t, appOpaque, tok)
		// The cached answer stands until its lifetime ends: that is the
		// bound on how late a revocation takes effect.
		if resp, _ := e.get(t, listPath, tok); resp.StatusCode != 200 {
			t.Errorf("status %d within the cache lifetime, want the cached 200", resp.StatusCode)
		}
		e.clock.Advance(rs.IntrospectTTL)
		resp, body := e.get(t, listPath, tok)
		mustInvalidToken(t, resp, body, "not active")
	})
	t.Run("ErrInactive", func(t *testing.T) {
		tok := opaque(t, "")
		e.kp.revoke(t, appOpaque, tok)
		before := intro()
		for range 2 {
			resp, body := e.get(t, listPath, tok)
			mustInvalidToken(t, resp, body, "not active")
		}
		if n := intro(); n != before+1 {
			t.Errorf("2 calls with an inactive token introspected %d times, want 1", n-before)
		}
	})
	t.Run("ErrInsufficientScope", func(t *testing.T) {
		resp, body := e.get(t, listPath, opaque(t, "profile"))
		if resp.StatusCode != 403 || body["error"] != "insufficient_scope" {
			t.Errorf("got %d %v, want 403 insufficient_scope", resp.StatusCode, body)
		}
	})
	t.Run("ErrRefreshToken", func(t *testing.T) {
		rt := e.kp.login(t, appOpaque, "heather", "").RefreshToken
		if !strings.HasPrefix(rt, keypad.PrefixRefreshToken) {
			t.Fatalf("refresh token %q, want a kp_rt_ one", rt)
		}
		before := intro()
		resp, body := e.get(t, listPath, rt)
		mustInvalidToken(t, resp, body, "refresh token")
		if intro() != before {
			t.Error("a refresh token was sent to introspection")
		}
	})
	t.Run("ErrWrongCredentials", func(t *testing.T) {
		bad := newAPI(t, e.kp, func(c *Config) { c.ClientSecret += "x" })
		resp, body := bad.get(t, listPath, opaque(t, ""))
		if resp.StatusCode != 503 || body["error"] != "temporarily_unavailable" {
			t.Errorf("got %d %v, want 503 temporarily_unavailable", resp.StatusCode, body)
		}
		if bad.calls.count(oauth.PathIntrospect) != 1 {
			t.Error("the API did not ask keypad, so keypad did not refuse its credentials")
		}
	})
	t.Run("ErrNotConfigured", func(t *testing.T) {
		jwtOnly := newAPI(t, e.kp, func(c *Config) { c.ClientID, c.ClientSecret = "", "" })
		resp, body := jwtOnly.get(t, listPath, opaque(t, ""))
		mustInvalidToken(t, resp, body, "only JWT")
	})
}

// TestChallenges pins the RFC 6750 §3 responses byte for byte.
func TestChallenges(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct {
		name   string
		header []string // Authorization values
		path   string
		status int
		want   string
	}{
		{"NoToken", nil, listPath, 401, `Bearer realm="energy"`},
		{"OtherScheme", []string{"Basic dXNlcjpwYXNz"}, listPath, 401, `Bearer realm="energy"`},
		{"EmptyBearer", []string{"Bearer "}, listPath, 400,
			`Bearer realm="energy", error="invalid_request", error_description="the Authorization header does not hold an access token"`},
		{"TwoHeaders", []string{"Bearer a", "Bearer b"}, listPath, 400,
			`Bearer realm="energy", error="invalid_request", error_description="send one Authorization header"`},
		{"TokenInQuery", nil, listPath + "?access_token=x", 400,
			`Bearer realm="energy", error="invalid_request", error_description="send the access token in the Authorization header, not in the URL"`},
		{"InvalidToken", []string{"Bearer kp_at_unknown"}, listPath, 401,
			`Bearer realm="energy", error="invalid_token", error_description="the token is not active"`},
		{"InsufficientScope", []string{"Bearer " + e.kp.token(t, appJWT, "heather", "profile email")}, listPath, 403,
			`Bearer realm="energy", error="insufficient_scope", error_description="the token lacks the usage:read scope; ask for it when getting the token", scope="usage:read"`},
		{"LowercaseScheme", []string{"bearer " + e.token(t, "heather")}, listPath, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", e.api.URL+tt.path, nil)
			for _, h := range tt.header {
				req.Header.Add("Authorization", h)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if got := resp.Header.Get("WWW-Authenticate"); got != tt.want {
				t.Errorf("WWW-Authenticate:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestQuotable(t *testing.T) {
	if got, want := quotable("say \"hi\"\\ é\n"), "say 'hi'' ''"; got != want {
		t.Errorf("quotable = %q, want %q", got, want)
	}
}

// TestIssuerDown stops keypad after it issued a token and before the API
// first asks it anything: its port is closed.
func TestIssuerDown(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.token(t, "heather")
	e.kp.stop(t)
	resp, body := e.get(t, listPath, tok)
	if resp.StatusCode != 503 || body["error"] != "temporarily_unavailable" {
		t.Errorf("got %d %v, want 503 temporarily_unavailable", resp.StatusCode, body)
	}
	if resp.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After on 503")
	}
}
