package oauth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/keypadauth/keypad"
)

func TestClientCredentials(t *testing.T) {
	e := newEnv(t).start()
	jwtSecret := e.mustClient(service("svc-jwt", keypad.FormatJWT, "read", "write"))
	opaqueSecret := e.mustClient(service("svc-opaque", keypad.FormatOpaque, "read"))

	t.Run("OKJWT", func(t *testing.T) {
		r := e.clientToken("svc-jwt", jwtSecret, "read")
		if r.status != http.StatusOK {
			t.Fatalf("status %d: %s", r.status, r.raw)
		}
		if r.header.Get("Cache-Control") != "no-store" || r.header.Get("Pragma") != "no-cache" {
			t.Errorf("token response headers: Cache-Control %q, Pragma %q", r.header.Get("Cache-Control"), r.header.Get("Pragma"))
		}
		if r.body["token_type"] != "Bearer" || r.body["expires_in"] != accessTTL.Seconds() || r.body["scope"] != "read" {
			t.Errorf("body = %s, want Bearer, expires_in %v, scope read", r.raw, accessTTL.Seconds())
		}
		if _, ok := r.body["refresh_token"]; ok {
			t.Error("client_credentials issued a refresh token (RFC 6749 section 4.4.3: it should not)")
		}
		claims := verifyWithJWKS(t, e, r.body["access_token"].(string))
		if claims["sub"] != "svc-jwt" || claims["client_id"] != "svc-jwt" || claims["iss"] != testIssuer || claims["scope"] != "read" {
			t.Errorf("claims = %v", claims)
		}
		if _, ok := claims["gid"]; ok {
			t.Error("client_credentials token carries a grant ID")
		}
	})
	t.Run("OKOpaque", func(t *testing.T) {
		r := e.clientToken("svc-opaque", opaqueSecret, "")
		tok, _ := r.body["access_token"].(string)
		if r.status != http.StatusOK || !strings.HasPrefix(tok, keypad.PrefixAccessToken) {
			t.Fatalf("got %d %s, want a kp_at_ token", r.status, r.raw)
		}
		rec, err := e.st.GetToken(context.Background(), keypad.TokenKey(tok))
		if err != nil || rec.ClientID != "svc-opaque" || rec.Subject != "svc-opaque" {
			t.Fatalf("stored token = %+v, %v", rec, err)
		}
	})
	t.Run("OKMetrics", func(t *testing.T) {
		jwt := issuedCount(t, e, keypad.GrantClientCredentials, "jwt")
		opaque := issuedCount(t, e, keypad.GrantClientCredentials, "opaque")
		if jwt != 1 || opaque != 1 {
			t.Errorf("tokens issued counted jwt=%v opaque=%v, want 1 and 1", jwt, opaque)
		}
	})
	t.Run("ErrWrongMethod", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, e.ts.URL+PathToken, nil)
		if r := e.do(req); r.status != http.StatusMethodNotAllowed {
			t.Errorf("GET %s = %d, want 405", PathToken, r.status)
		}
	})
}

// issuedCount reads the tokens-issued counter.
func issuedCount(t *testing.T, e *env, grant, format string) float64 {
	t.Helper()
	var m dto.Metric
	if err := e.metrics.TokensIssued.WithLabelValues(grant, format).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// verifyWithJWKS checks a JWT the way a resource server would: fetch the
// JWKS over HTTP, pick the key by kid, verify the signature, return the
// claims.
func verifyWithJWKS(t *testing.T, e *env, tok string) map[string]any {
	t.Helper()
	resp, err := http.Get(e.ts.URL + PathJWKS)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatalf("JWKS: %v", err)
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("access token %q is not a JWT", tok)
	}
	dec := func(s string) []byte {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("base64url: %v", err)
		}
		return b
	}
	var hdr map[string]string
	json.Unmarshal(dec(parts[0]), &hdr)
	if hdr["typ"] != "at+jwt" {
		t.Errorf("typ = %q, want at+jwt", hdr["typ"])
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	sig := dec(parts[2])
	found := false
	for _, k := range set.Keys {
		if k["kid"] != hdr["kid"] {
			continue
		}
		found = true
		if k["alg"] != hdr["alg"] {
			t.Fatalf("JWK alg %s, token alg %s", k["alg"], hdr["alg"])
		}
		switch k["kty"] {
		case "EC":
			pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append([]byte{4}, append(dec(k["x"]), dec(k["y"])...)...))
			if err != nil {
				t.Fatal(err)
			}
			if !ecdsa.Verify(pub, sum[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
				t.Fatal("ES256 signature does not verify against the JWKS")
			}
		case "RSA":
			pub := &rsa.PublicKey{N: new(big.Int).SetBytes(dec(k["n"])), E: int(new(big.Int).SetBytes(dec(k["e"])).Int64())}
			if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
				t.Fatalf("RS256 signature does not verify against the JWKS: %v", err)
			}
		}
	}
	if !found {
		t.Fatalf("kid %s not in the JWKS", hdr["kid"])
	}
	var claims map[string]any
	json.Unmarshal(dec(parts[1]), &claims)
	return claims
}

func TestClientCredentialsScopes(t *testing.T) {
	e := newEnv(t).start()
	secret := e.mustClient(service("svc", keypad.FormatJWT, "read", "write", "device:{id}:control"))
	patternOnly := e.mustClient(service("maker", keypad.FormatJWT, "device:{id}:control"))
	tests := []struct {
		name, client, secret, scope string
		want                        string // granted scope, or the error code
	}{
		{"OKDefaultSkipsPatterns", "svc", secret, "", "read write"},
		{"OKSubset", "svc", secret, "write", "write"},
		{"OKOrderKept", "svc", secret, "write read", "write read"},
		{"OKDuplicatesFolded", "svc", secret, "read read", "read"},
		{"OKOnlyPatternsGivesNoScope", "maker", patternOnly, "", ""},
		{"ErrNotRegistered", "svc", secret, "read admin", CodeInvalidScope},
		{"ErrPatternLiteral", "svc", secret, "device:{id}:control", CodeInvalidScope},
		{"ErrPatternInstance", "svc", secret, "device:abc:control", CodeInvalidScope},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.clientToken(tt.client, tt.secret, tt.scope)
			if strings.HasPrefix(tt.name, "Err") {
				wantError(t, r, http.StatusBadRequest, tt.want)
				return
			}
			if r.status != http.StatusOK {
				t.Fatalf("status %d: %s", r.status, r.raw)
			}
			got, _ := r.body["scope"].(string)
			if got != tt.want {
				t.Errorf("scope = %q, want %q", got, tt.want)
			}
			claims := verifyWithJWKS(t, e, r.body["access_token"].(string))
			if s, _ := claims["scope"].(string); s != tt.want {
				t.Errorf("scope claim = %q, want %q", s, tt.want)
			}
		})
	}
}

// TestGoOAuth2ClientCredentials drives the endpoint with the client most Go
// services use.
func TestGoOAuth2ClientCredentials(t *testing.T) {
	e := newEnv(t).start()
	secret := e.mustClient(service("svc", keypad.FormatOpaque, "read", "write"))
	for _, style := range []struct {
		name  string
		style int
	}{{"OKBasic", 1}, {"OKPost", 2}} {
		t.Run(style.name, func(t *testing.T) {
			cfg := clientcredentials.Config{
				ClientID: "svc", ClientSecret: secret, TokenURL: e.ts.URL + PathToken,
				Scopes: []string{"write"}, AuthStyle: oauth2.AuthStyle(style.style),
			}
			ctx := context.WithValue(context.Background(), oauth2.HTTPClient, e.ts.Client())
			tok, err := cfg.Token(ctx)
			if err != nil {
				t.Fatalf("Token: %v", err)
			}
			if !strings.HasPrefix(tok.AccessToken, keypad.PrefixAccessToken) || tok.TokenType != "Bearer" || tok.Extra("scope") != "write" {
				t.Errorf("token = %+v scope %v", tok, tok.Extra("scope"))
			}
			if got := tok.Extra("expires_in"); got != accessTTL.Seconds() {
				t.Errorf("expires_in = %v, want %v", got, accessTTL.Seconds())
			}
		})
	}
	t.Run("ErrWrongSecret", func(t *testing.T) {
		cfg := clientcredentials.Config{ClientID: "svc", ClientSecret: "wrong", TokenURL: e.ts.URL + PathToken}
		_, err := cfg.Token(context.WithValue(context.Background(), oauth2.HTTPClient, e.ts.Client()))
		if err == nil || !strings.Contains(err.Error(), "invalid_client") {
			t.Fatalf("Token with a wrong secret: err = %v, want invalid_client", err)
		}
	})
}
