package energy

import (
	"crypto/hmac"
	"crypto/sha256"
	"net/http"
	"strings"
	"testing"
	"time"
)

const listPath = "/api/usage-points"

func TestJWT(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Audience = "energy" })
	rsa := mustRSAKey(t)
	e.iss.publish("r1", rsa)
	hs := func() string { // alg confusion: HMAC keyed with public bytes
		h := b64([]byte(`{"alg":"HS256","kid":"k1","typ":"at+jwt"}`)) + "." + b64([]byte(`{"sub":"sub-heather"}`))
		m := hmac.New(sha256.New, []byte("k1"))
		m.Write([]byte(h))
		return h + "." + b64(m.Sum(nil))
	}
	tampered := func() string {
		parts := strings.Split(e.token(t, "sub-bob", nil), ".")
		parts[1] = b64([]byte(`{"sub":"sub-heather","iss":"` + e.iss.srv.URL + `","exp":9999999999,"scope":"usage:read","aud":"energy"}`))
		return strings.Join(parts, ".")
	}
	past := e.clock.Now().Add(-clockSkew - time.Second).Unix()

	tests := []struct {
		name string
		tok  string
		want string // "" for success, else a fragment of error_description
	}{
		{"OK", e.token(t, "sub-heather", nil), ""},
		{"OKRS256", signJWT(t, rsa, map[string]any{"alg": "RS256", "kid": "r1", "typ": "at+jwt"}, e.claims("sub-heather", nil)), ""},
		{"OKMediaTypeTyp", signJWT(t, e.key, map[string]any{"alg": "ES256", "kid": "k1", "typ": "application/AT+JWT"}, e.claims("sub-heather", nil)), ""},
		{"OKNoKid", signJWT(t, e.key, map[string]any{"alg": "ES256", "typ": "at+jwt"}, e.claims("sub-heather", nil)), ""},
		{"OKAudArray", e.token(t, "sub-heather", map[string]any{"aud": []string{"other", "energy"}}), ""},
		{"OKWithinSkew", e.token(t, "sub-heather", map[string]any{"exp": e.clock.Now().Add(-clockSkew + time.Second).Unix()}), ""},
		{"ErrExpired", e.token(t, "sub-heather", map[string]any{"exp": past}), "expired"},
		{"ErrNoExpiry", e.token(t, "sub-heather", map[string]any{"exp": nil}), "no expiry"},
		{"ErrNotYetValid", e.token(t, "sub-heather", map[string]any{"nbf": e.clock.Now().Add(time.Hour).Unix()}), "not valid yet"},
		{"ErrWrongIssuer", e.token(t, "sub-heather", map[string]any{"iss": "https://evil.example"}), "another server"},
		{"ErrWrongAudience", e.token(t, "sub-heather", map[string]any{"aud": "billing"}), "another audience"},
		{"ErrNoSubject", e.token(t, "", nil), "no subject"},
		{"ErrIDTokenTyp", signJWT(t, e.key, map[string]any{"alg": "ES256", "kid": "k1", "typ": "JWT"}, e.claims("sub-heather", nil)), "typ must be at+jwt"},
		{"ErrNoTyp", signJWT(t, e.key, map[string]any{"alg": "ES256", "kid": "k1"}, e.claims("sub-heather", nil)), "typ must be at+jwt"},
		{"ErrAlgNone", signJWT(t, nil, map[string]any{"alg": "none", "typ": "at+jwt"}, e.claims("sub-heather", nil)), `"none"`},
		{"ErrAlgHS256", hs(), `"HS256"`},
		{"ErrAlgMismatch", signJWT(t, e.key, map[string]any{"alg": "RS256", "kid": "k1", "typ": "at+jwt"}, e.claims("sub-heather", nil)), "unknown key"},
		{"ErrTampered", tampered(), "signature is not valid"},
		{"ErrForeignKey", signJWT(t, mustECKey(t), map[string]any{"alg": "ES256", "kid": "k1", "typ": "at+jwt"}, e.claims("sub-heather", nil)), "signature is not valid"},
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
			if resp.StatusCode != 401 || body["error"] != "invalid_token" {
				t.Fatalf("got %d %v, want 401 invalid_token", resp.StatusCode, body)
			}
			if d, _ := body["error_description"].(string); !strings.Contains(d, tt.want) {
				t.Errorf("error_description = %q, want it to mention %q", d, tt.want)
			}
			if got := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, `Bearer realm="energy", error="invalid_token", error_description="`) {
				t.Errorf("WWW-Authenticate = %q", got)
			}
		})
	}
}

func TestKeyRotation(t *testing.T) {
	e := newEnv(t, nil)
	mustStatus := func(t *testing.T, tok string, want int) {
		t.Helper()
		if resp, body := e.get(t, listPath, tok); resp.StatusCode != want {
			t.Fatalf("status %d (%v), want %d", resp.StatusCode, body, want)
		}
	}
	mustStatus(t, e.token(t, "sub-heather", nil), 200)
	mustStatus(t, e.token(t, "sub-heather", nil), 200)
	if jwks, _ := e.iss.hits(); jwks != 1 {
		t.Fatalf("JWKS fetched %d times for one known key, want 1", jwks)
	}

	t.Run("OKNewKidRefreshes", func(t *testing.T) {
		e.clock.Add(keyRefreshMin)
		k2 := mustECKey(t)
		e.iss.publish("k2", k2)
		mustStatus(t, signJWT(t, k2, map[string]any{"alg": "ES256", "kid": "k2", "typ": "at+jwt"}, e.claims("sub-heather", nil)), 200)
		if jwks, _ := e.iss.hits(); jwks != 2 {
			t.Errorf("JWKS fetched %d times, want 2", jwks)
		}
	})
	t.Run("ErrUnknownKidRateLimited", func(t *testing.T) {
		e.clock.Add(keyRefreshMin)
		k3 := mustECKey(t)
		forged := signJWT(t, k3, map[string]any{"alg": "ES256", "kid": "k3", "typ": "at+jwt"}, e.claims("sub-heather", nil))
		before, _ := e.iss.hits()
		for range 5 {
			mustStatus(t, forged, 401)
		}
		if jwks, _ := e.iss.hits(); jwks != before+1 {
			t.Errorf("5 tokens with an unknown kid fetched the JWKS %d times, want 1", jwks-before)
		}
		e.iss.publish("k3", k3) // rotated in, but the limiter holds
		mustStatus(t, forged, 401)
		e.clock.Add(keyRefreshMin)
		mustStatus(t, forged, 200)
	})
	t.Run("OKStaleSetReread", func(t *testing.T) {
		before, _ := e.iss.hits()
		e.clock.Add(keyMaxAge)
		mustStatus(t, e.token(t, "sub-heather", map[string]any{"iat": e.clock.Now().Unix(), "exp": e.clock.Now().Unix() + 60}), 200)
		if jwks, _ := e.iss.hits(); jwks != before+1 {
			t.Errorf("an hour-old key set was re-read %d times, want 1", jwks-before)
		}
	})
}

func TestIntrospection(t *testing.T) {
	e := newEnv(t, nil)
	exp := e.clock.Now().Add(time.Hour).Unix()
	e.iss.addOpaque("kp_at_good", map[string]any{"active": true, "sub": "sub-heather", "scope": "usage:read openid",
		"client_id": "kiosk", "iss": e.iss.srv.URL, "exp": exp, "token_type": "Bearer"})
	e.iss.addOpaque("kp_at_narrow", map[string]any{"active": true, "sub": "sub-heather", "scope": "profile", "exp": exp})
	e.iss.addOpaque("kp_at_foreign", map[string]any{"active": true, "sub": "sub-heather", "scope": "usage:read", "iss": "https://evil.example"})

	t.Run("OK", func(t *testing.T) {
		_, before := e.iss.hits()
		for range 3 {
			if resp, body := e.get(t, listPath, "kp_at_good"); resp.StatusCode != 200 {
				t.Fatalf("status %d (%v), want 200", resp.StatusCode, body)
			}
		}
		if _, after := e.iss.hits(); after != before+1 {
			t.Errorf("3 calls introspected %d times, want 1 (cached)", after-before)
		}
		e.clock.Add(introspectTTL)
		e.get(t, listPath, "kp_at_good")
		if _, after := e.iss.hits(); after != before+2 {
			t.Errorf("after the cache lifetime: %d introspections, want 2", after-before)
		}
	})
	t.Run("ErrInactive", func(t *testing.T) {
		_, before := e.iss.hits()
		for range 2 {
			if resp, body := e.get(t, listPath, "kp_at_revoked"); resp.StatusCode != 401 || body["error"] != "invalid_token" {
				t.Fatalf("got %d %v, want 401 invalid_token", resp.StatusCode, body)
			}
		}
		if _, after := e.iss.hits(); after != before+1 {
			t.Errorf("2 calls with an inactive token introspected %d times, want 1", after-before)
		}
	})
	t.Run("ErrForeignIssuer", func(t *testing.T) {
		if resp, _ := e.get(t, listPath, "kp_at_foreign"); resp.StatusCode != 401 {
			t.Errorf("status %d, want 401", resp.StatusCode)
		}
	})
	t.Run("ErrInsufficientScope", func(t *testing.T) {
		resp, body := e.get(t, listPath, "kp_at_narrow")
		if resp.StatusCode != 403 || body["error"] != "insufficient_scope" {
			t.Errorf("got %d %v, want 403 insufficient_scope", resp.StatusCode, body)
		}
	})
	t.Run("ErrRefreshToken", func(t *testing.T) {
		_, before := e.iss.hits()
		if resp, _ := e.get(t, listPath, "kp_rt_something"); resp.StatusCode != 401 {
			t.Errorf("status %d, want 401", resp.StatusCode)
		}
		if _, after := e.iss.hits(); after != before {
			t.Error("a refresh token was sent to introspection")
		}
	})
	t.Run("ErrWrongCredentials", func(t *testing.T) {
		bad := newEnv(t, func(c *Config) { c.ClientSecret = "wrong" })
		bad.iss.addOpaque("kp_at_good", map[string]any{"active": true, "sub": "sub-heather", "scope": "usage:read"})
		resp, body := bad.get(t, listPath, "kp_at_good")
		if resp.StatusCode != 503 || body["error"] != "temporarily_unavailable" {
			t.Errorf("got %d %v, want 503 temporarily_unavailable", resp.StatusCode, body)
		}
	})
	t.Run("ErrNotConfigured", func(t *testing.T) {
		jwtOnly := newEnv(t, func(c *Config) { c.ClientID = "" })
		if resp, _ := jwtOnly.get(t, listPath, "kp_at_good"); resp.StatusCode != 401 {
			t.Errorf("status %d, want 401", resp.StatusCode)
		}
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
			`Bearer realm="energy", error="invalid_request", error_description="the Authorization header does not hold a bearer token"`},
		{"TwoHeaders", []string{"Bearer a", "Bearer b"}, listPath, 400,
			`Bearer realm="energy", error="invalid_request", error_description="send one Authorization header"`},
		{"TokenInQuery", nil, listPath + "?access_token=x", 400,
			`Bearer realm="energy", error="invalid_request", error_description="send the access token in the Authorization header, not in the URL"`},
		{"InvalidToken", []string{"Bearer kp_at_unknown"}, listPath, 401,
			`Bearer realm="energy", error="invalid_token", error_description="the token is not active"`},
		{"InsufficientScope", []string{"Bearer " + e.token(t, "sub-heather", map[string]any{"scope": "profile email"})}, listPath, 403,
			`Bearer realm="energy", error="insufficient_scope", error_description="the token lacks the usage:read scope; ask for it when getting the token", scope="usage:read"`},
		{"LowercaseScheme", []string{"bearer " + e.token(t, "sub-heather", nil)}, listPath, 200, ""},
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

func TestIssuerDown(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.token(t, "sub-heather", nil)
	e.iss.srv.Close()
	resp, body := e.get(t, listPath, tok)
	if resp.StatusCode != 503 || body["error"] != "temporarily_unavailable" {
		t.Errorf("got %d %v, want 503 temporarily_unavailable", resp.StatusCode, body)
	}
	if resp.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After on 503")
	}
}
