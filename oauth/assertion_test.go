package oauth

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/jwt"

	"github.com/keypadauth/keypad"
)

// TestJWTBearerRealClient: a partner using golang.org/x/oauth2/jwt, which
// sends no client authentication, gets a token for alice over HTTP.
func TestJWTBearerRealClient(t *testing.T) {
	a := newAssertionEnv(t)
	// The library stamps iat and exp from the wall clock, so the server's
	// injected clock is set to it; nothing below depends on the time.
	a.clk.Advance(time.Now().Sub(a.clk.Now()))
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, a.ts.Client())
	conf := &jwt.Config{
		Email: directID, Subject: "alice", PrivateKey: rsaPEM(t, a.keys.rsa),
		Scopes: []string{"read"}, TokenURL: a.ts.URL + PathToken, Audience: testIssuer + PathToken,
		PrivateClaims: map[string]any{"jti": "real-client-1"},
	}
	tok, err := conf.TokenSource(ctx).Token()
	if err != nil {
		t.Fatalf("x/oauth2/jwt: %v", err)
	}
	if tok.Extra("refresh_token") != nil {
		t.Error("the grant issued a refresh token; the partner should sign a new assertion instead")
	}
	claims := verifyWithJWKS(t, a.env, tok.AccessToken)
	if claims["sub"] != "sub-alice" || claims["client_id"] != directID || claims["scope"] != "read" {
		t.Errorf("access token claims = %v, want sub sub-alice, client_id %s, scope read", claims, directID)
	}
	if got := issuedCount(t, a.env, keypad.GrantJWTBearer, "jwt"); got != 1 {
		t.Errorf("tokens issued for jwt-bearer = %v, want 1", got)
	}

	// The same jti again (a fresh token source, so the library asks
	// again) is a replay.
	_, err = conf.TokenSource(ctx).Token()
	var re *oauth2.RetrieveError
	// x/oauth2/jwt leaves the body unparsed.
	if !errors.As(err, &re) || !strings.Contains(string(re.Body), `"error":"invalid_grant"`) || !strings.Contains(string(re.Body), "assertion already used") {
		t.Fatalf("replayed assertion: %v, want invalid_grant 'assertion already used'", err)
	}
	conf.PrivateClaims["jti"] = "real-client-2"
	if _, err := conf.TokenSource(ctx).Token(); err != nil {
		t.Errorf("a new jti: %v", err)
	}
}

func TestJWTBearer(t *testing.T) {
	a := newAssertionEnv(t)
	t.Run("OKSubjectID", func(t *testing.T) {
		c := a.claims()
		c["sub"] = "sub-alice"
		r := a.exchange("partner", a.rs256(c), nil)
		if r.status != http.StatusOK {
			t.Fatalf("got %d %s", r.status, r.raw)
		}
		claims := verifyWithJWKS(t, a.env, r.body["access_token"].(string))
		if claims["sub"] != "sub-alice" || claims["client_id"] != "partner" || claims["scope"] != "read write" {
			t.Errorf("claims = %v, want sub-alice, partner and the client's default scopes", claims)
		}
		if _, ok := r.body["refresh_token"]; ok {
			t.Errorf("a refresh token was issued: %s", r.raw)
		}
	})
	for _, sub := range []string{"alice", "CUST-1001"} {
		t.Run("OKSubjectBy"+sub, func(t *testing.T) {
			c := a.claims()
			c["sub"] = sub
			r := a.exchange("partner", a.rs256(c), url.Values{"scope": {"write"}})
			if r.status != http.StatusOK || r.body["scope"] != "write" {
				t.Fatalf("got %d %s, want a token with scope write", r.status, r.raw)
			}
			if got := verifyWithJWKS(t, a.env, r.body["access_token"].(string))["sub"]; got != "sub-alice" {
				t.Errorf("sub = %v, want sub-alice", got)
			}
		})
	}
	t.Run("OKES256", func(t *testing.T) {
		for _, kid := range []string{"e1", ""} {
			h := map[string]any{"alg": "ES256"}
			if kid != "" {
				h["kid"] = kid
			}
			r := a.exchange("partner", signJWS(a.keys.ec, nil, h, a.claims()), nil)
			if r.status != http.StatusOK {
				t.Errorf("ES256 with kid %q: got %d %s", kid, r.status, r.raw)
			}
		}
	})
	t.Run("OKNoKidTriesKeys", func(t *testing.T) {
		r := a.exchange("partner", signJWS(a.keys.rsa, nil, map[string]any{"alg": "RS256"}, a.claims()), nil)
		if r.status != http.StatusOK {
			t.Errorf("RS256 without kid: got %d %s", r.status, r.raw)
		}
	})
	t.Run("OKAudienceListWithIssuer", func(t *testing.T) {
		c := a.claims()
		c["aud"] = []string{"https://other.example", testIssuer}
		if r := a.exchange("partner", a.rs256(c), nil); r.status != http.StatusOK {
			t.Errorf("aud list with the issuer: got %d %s", r.status, r.raw)
		}
	})
	t.Run("OKWithinSkew", func(t *testing.T) {
		c := a.claims()
		now := a.clk.Now()
		c["exp"], c["iat"], c["nbf"] = now.Add(-30*time.Second).Unix(), now.Add(30*time.Second).Unix(), now.Add(30*time.Second).Unix()
		if r := a.exchange("partner", a.rs256(c), nil); r.status != http.StatusOK {
			t.Errorf("times within the 60 s skew: got %d %s", r.status, r.raw)
		}
	})
	t.Run("OKWithoutClientAuthentication", func(t *testing.T) {
		c := a.claims()
		c["iss"] = directID
		r := a.exchange("", signJWS(a.keys.rsa, nil, map[string]any{"alg": "RS256"}, c), nil)
		if r.status != http.StatusOK {
			t.Fatalf("got %d %s", r.status, r.raw)
		}
		if got := verifyWithJWKS(t, a.env, r.body["access_token"].(string))["client_id"]; got != directID {
			t.Errorf("client_id = %v, want %s (named by iss)", got, directID)
		}
	})
	t.Run("OKAudit", func(t *testing.T) {
		evs, err := a.st.ListAuditEvents(context.Background(), 100)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, ev := range evs {
			if ev.Type == "jwt_bearer.succeeded" && ev.Subject == "sub-alice" {
				n++
			}
		}
		if got := bearerEvents(t, a.env, "succeeded"); n == 0 || float64(n) != got {
			t.Errorf("%d jwt_bearer.succeeded audit events, %v succeeded events counted; want the same, more than 0", n, got)
		}
	})
}

// TestJWTBearerRefusals: every check of RFC 7523 §3 refuses on its own,
// with the code and a description naming it.
func TestJWTBearerRefusals(t *testing.T) {
	a := newAssertionEnv(t)
	k := a.keys
	now := a.clk.Now()
	with := func(edit func(c map[string]any)) string {
		c := a.claims()
		edit(c)
		return a.rs256(c)
	}
	pubPEM, _ := x509.MarshalPKIXPublicKey(&k.rsa.PublicKey)
	tampered := func() string {
		parts := strings.Split(a.rs256(a.claims()), ".")
		c := a.claims()
		c["sub"] = "sub-bob"
		other := strings.Split(a.rs256(c), ".")
		return parts[0] + "." + other[1] + "." + parts[2]
	}
	tests := []struct {
		name, client, assertion string
		extra                   url.Values
		status                  int
		code, want              string
	}{
		{"ErrMissing", "partner", "", nil, 400, CodeInvalidRequest, "assertion is missing"},
		{"ErrNotJWT", "partner", "not-a-jwt", nil, 400, CodeInvalidGrant, "not a signed JWT"},
		{"ErrBadSignature", "partner", tampered(), nil, 400, CodeInvalidGrant, "signature does not verify"},
		{"ErrOtherKey", "partner", signJWS(k.rsa2, nil, map[string]any{"alg": "RS256", "kid": "r1"}, a.claims()), nil, 400, CodeInvalidGrant, "signature does not verify"},
		{"ErrAlgNone", "partner", signJWS(nil, nil, map[string]any{"alg": "none"}, a.claims()), nil, 400, CodeInvalidGrant, "alg 'none' is not accepted"},
		{"ErrAlgHS256", "partner", signJWS(nil, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubPEM}), map[string]any{"alg": "HS256", "kid": "r1"}, a.claims()), nil, 400, CodeInvalidGrant, "alg 'HS256' is not accepted"},
		{"ErrAlgPS384", "partner", signJWS(k.rsa, nil, map[string]any{"alg": "PS384", "kid": "r1"}, a.claims()), nil, 400, CodeInvalidGrant, "alg 'PS384' is not accepted"},
		// PS256 is accepted, but a PKCS #1 v1.5 (RS256) signature under a
		// PS256 header is not a PSS signature.
		{"ErrPS256WithRS256Signature", "partner", signJWS(k.rsa, nil, map[string]any{"alg": "PS256", "kid": "r1"}, a.claims()), nil, 400, CodeInvalidGrant, "signature does not verify"},
		{"ErrAlgKeyMismatch", "partner", signJWS(k.ec, nil, map[string]any{"alg": "ES256", "kid": "r1"}, a.claims()), nil, 400, CodeInvalidGrant, "the key with kid 'r1' verifies RS256"},
		{"ErrUnknownKid", "partner", signJWS(k.rsa, nil, map[string]any{"alg": "RS256", "kid": "r9"}, a.claims()), nil, 400, CodeInvalidGrant, "kid 'r9' names no key"},
		{"ErrCrit", "partner", signJWS(k.rsa, nil, map[string]any{"alg": "RS256", "kid": "r1", "crit": []string{"exp"}}, a.claims()), nil, 400, CodeInvalidGrant, "crit"},
		{"ErrWrongIss", "partner", with(func(c map[string]any) { c["iss"] = "https://evil.example" }), nil, 400, CodeInvalidGrant, "iss is not the issuer registered"},
		{"ErrNoIss", "partner", with(func(c map[string]any) { delete(c, "iss") }), nil, 400, CodeInvalidGrant, "iss is missing"},
		{"ErrWrongAud", "partner", with(func(c map[string]any) { c["aud"] = "https://other.example/token" }), nil, 400, CodeInvalidGrant, "aud must name this server"},
		{"ErrNoAud", "partner", with(func(c map[string]any) { delete(c, "aud") }), nil, 400, CodeInvalidGrant, "aud must name this server"},
		{"ErrExpired", "partner", with(func(c map[string]any) { c["exp"] = now.Add(-2 * time.Minute).Unix() }), nil, 400, CodeInvalidGrant, "the assertion expired at"},
		{"ErrNoExp", "partner", with(func(c map[string]any) { delete(c, "exp") }), nil, 400, CodeInvalidGrant, "exp is missing"},
		{"ErrExpString", "partner", with(func(c map[string]any) { c["exp"] = "1999999999" }), nil, 400, CodeInvalidGrant, "exp is not a NumericDate"},
		{"ErrExpTooFar", "partner", with(func(c map[string]any) { c["exp"] = now.Add(2 * time.Hour).Unix() }), nil, 400, CodeInvalidGrant, "exp is more than 1h ahead;"},
		// Made to last a month, presented in its last half hour.
		{"ErrLongLived", "partner", with(func(c map[string]any) { c["iat"] = now.Add(-30 * 24 * time.Hour).Unix() }), nil, 400, CodeInvalidGrant, "lives from iat to exp for more than 1h"},
		{"ErrKidNull", "partner", signJWS(k.rsa, nil, map[string]any{"alg": "RS256", "kid": nil}, a.claims()), nil, 400, CodeInvalidGrant, "alg and kid must be strings"},
		{"ErrScopeNull", "partner", with(func(c map[string]any) { c["scope"] = nil }), nil, 400, CodeInvalidGrant, "scope claim must be a space-separated string"},
		{"ErrSubNull", "partner", with(func(c map[string]any) { c["sub"] = nil }), nil, 400, CodeInvalidGrant, "sub is missing"},
		{"ErrNbfFuture", "partner", with(func(c map[string]any) { c["nbf"] = now.Add(5 * time.Minute).Unix() }), nil, 400, CodeInvalidGrant, "nbf is"},
		{"ErrIatFuture", "partner", with(func(c map[string]any) { c["iat"] = now.Add(5 * time.Minute).Unix() }), nil, 400, CodeInvalidGrant, "iat is"},
		{"ErrNoJti", "partner", with(func(c map[string]any) { delete(c, "jti") }), nil, 400, CodeInvalidGrant, "jti is missing"},
		{"ErrNoSub", "partner", with(func(c map[string]any) { delete(c, "sub") }), nil, 400, CodeInvalidGrant, "sub is missing"},
		{"ErrUnknownSub", "partner", with(func(c map[string]any) { c["sub"] = "mallory" }), nil, 400, CodeInvalidGrant, "sub names no keypad subject"},
		{"ErrScopeNotAllowed", "partner", a.rs256(a.claims()), url.Values{"scope": {"admin"}}, 400, CodeInvalidScope, "scope 'admin' is not allowed"},
		{"ErrScopeClaimNotAllowed", "partner", with(func(c map[string]any) { c["scope"] = "read admin" }), nil, 400, CodeInvalidScope, "scope 'admin' is not allowed"},
		{"ErrClientNotAllowed", "svc", a.rs256(a.claims()), nil, 400, CodeUnauthorizedClient, "not registered for grant_type"},
		{"ErrWrongSecret", "", a.rs256(a.claims()), url.Values{"client_id": {"partner"}, "client_secret": {"wrong"}}, 401, CodeInvalidClient, "client authentication failed"},
		// Without client authentication, iss must be the ID of a client
		// registered for the grant with keys.
		{"ErrNoAuthIssNotAClient", "", a.rs256(a.claims()), nil, 401, CodeInvalidClient, "no client authentication was sent"},
		{"ErrNoAuthClientNotAllowed", "", with(func(c map[string]any) { c["iss"] = "svc" }), nil, 401, CodeInvalidClient, "no client authentication was sent"},
		{"ErrNoAuthClientIDOnly", "", with(func(c map[string]any) { c["iss"] = directID }), url.Values{"client_id": {directID}}, 401, CodeInvalidClient, "client authentication failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := a.exchange(tt.client, tt.assertion, tt.extra)
			wantError(t, r, tt.status, tt.code)
			desc, _ := r.body["error_description"].(string)
			if !strings.Contains(desc, tt.want) {
				t.Errorf("error_description = %q, want it to contain %q", desc, tt.want)
			}
			if len(tt.assertion) > 20 && strings.Contains(r.raw, tt.assertion[:20]) {
				t.Errorf("the answer echoes the assertion: %s", r.raw)
			}
		})
	}
	if got := bearerEvents(t, a.env, "succeeded"); got != 0 {
		t.Errorf("%v assertions succeeded, want none", got)
	}
	if got := bearerEvents(t, a.env, "signature"); got != 3 {
		t.Errorf("%v signature refusals counted, want 3", got)
	}
}

// TestJWTBearerOtherGrantsStillAuthenticate: the exemption from client
// authentication is the jwt-bearer grant's alone.
func TestJWTBearerOtherGrantsStillAuthenticate(t *testing.T) {
	a := newAssertionEnv(t)
	c := a.claims()
	c["iss"] = directID
	form := url.Values{"grant_type": {keypad.GrantClientCredentials}, "assertion": {a.rs256(c)}}
	wantError(t, a.post(PathToken, form, nil), 401, CodeInvalidClient)
}

// TestJWTBearerReplay: of 32 concurrent presentations of one assertion,
// exactly one gets a token.
func TestJWTBearerReplay(t *testing.T) {
	a := newAssertionEnv(t)
	assertion := a.rs256(a.claims())
	const n = 32
	var wg sync.WaitGroup
	results := make([]response, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			results[i] = a.exchange("partner", assertion, nil)
		})
	}
	close(start)
	wg.Wait()
	ok := 0
	for _, r := range results {
		switch {
		case r.status == http.StatusOK:
			ok++
		case r.status == 400 && r.body["error"] == CodeInvalidGrant && strings.Contains(r.body["error_description"].(string), "assertion already used"):
		default:
			t.Errorf("got %d %s, want a token or 'assertion already used'", r.status, r.raw)
		}
	}
	if ok != 1 {
		t.Errorf("%d of %d presentations got a token, want exactly 1", ok, n)
	}
	if got := bearerEvents(t, a.env, "replayed"); got != n-1 {
		t.Errorf("replays counted %v, want %d", got, n-1)
	}
	// Once the assertion has expired it is refused as expired: the replay
	// window never ends before the assertion does.
	a.clk.Advance(5*time.Minute + DefaultAssertionSkew)
	r := a.exchange("partner", assertion, nil)
	wantError(t, r, 400, CodeInvalidGrant)
	if desc := r.body["error_description"].(string); !strings.Contains(desc, "expired") {
		t.Errorf("after exp: %q, want expired", desc)
	}
}

// TestJWTBearerRefusedAssertionNotUsedUp: a refusal for another reason
// does not burn the jti.
func TestJWTBearerRefusedAssertionNotUsedUp(t *testing.T) {
	a := newAssertionEnv(t)
	c := a.claims()
	assertion := a.rs256(c)
	wantError(t, a.exchange("partner", assertion, url.Values{"scope": {"admin"}}), 400, CodeInvalidScope)
	if r := a.exchange("partner", assertion, nil); r.status != http.StatusOK {
		t.Errorf("after a refused scope: got %d %s, want a token", r.status, r.raw)
	}
}

func TestJWTBearerMetadata(t *testing.T) {
	a := newAssertionEnv(t)
	resp, err := http.Get(a.ts.URL + PathASMetadata)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m struct {
		Grants []string `json:"grant_types_supported"`
	}
	decodeJSON(t, resp, &m)
	has := map[string]bool{}
	for _, g := range m.Grants {
		has[g] = true
	}
	if !has[keypad.GrantJWTBearer] || has[keypad.GrantSAML2Bearer] {
		t.Errorf("grant_types_supported = %v, want jwt-bearer and not saml2-bearer", m.Grants)
	}
	if err := (JWTBearerConfig{Skew: -time.Second}).Validate(); err == nil {
		t.Error("a negative skew validated")
	}
}

// TestJWTBearerKeyByThumbprint: a key registered without a kid goes by its
// RFC 7638 thumbprint, as `keypad client get` shows it, so an assertion
// may name it so.
func TestJWTBearerKeyByThumbprint(t *testing.T) {
	a := newAssertionEnv(t)
	c, err := a.st.GetClient(context.Background(), directID)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := keypad.ParseAssertionKeys(c.Options.AssertionKeys)
	if err != nil || len(keys) != 1 || keys[0].ID != "" || keys[0].Thumbprint == "" {
		t.Fatalf("%s's keys = %+v, %v; want one key without a kid", directID, keys, err)
	}
	claims := a.claims()
	claims["iss"] = directID
	r := a.exchange("", signJWS(a.keys.rsa, nil, map[string]any{"alg": "RS256", "kid": keys[0].Thumbprint}, claims), nil)
	if r.status != http.StatusOK {
		t.Errorf("assertion naming its key by thumbprint: %d %s, want a token", r.status, r.raw)
	}
}

// TestJWTBearerAmbiguousSubject: subject IDs, usernames and external IDs
// are each unique only among their kind; a sub that is one person's
// customer number and another's username is refused, not guessed.
func TestJWTBearerAmbiguousSubject(t *testing.T) {
	a := newAssertionEnv(t)
	now := a.clk.Now()
	if err := a.st.CreateSubject(context.Background(), &keypad.Subject{ID: "sub-bob", Username: "CUST-1001",
		Name: "Bob", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	claims := a.claims()
	claims["sub"] = "CUST-1001" // alice's external ID, bob's username
	r := a.exchange("partner", a.rs256(claims), nil)
	wantError(t, r, http.StatusBadRequest, CodeInvalidGrant)
	if desc, _ := r.body["error_description"].(string); !strings.Contains(desc, "sub names more than one person") {
		t.Errorf("error_description = %q, want it to say sub names more than one person", desc)
	}
	if got := bearerEvents(t, a.env, "ambiguous_subject"); got != 1 {
		t.Errorf("%v ambiguous_subject refusals counted, want 1", got)
	}
	claims = a.claims()
	claims["sub"] = "sub-bob"
	if r := a.exchange("partner", a.rs256(claims), nil); r.status != http.StatusOK {
		t.Errorf("bob by his subject ID: %d %s, want a token", r.status, r.raw)
	}
}
