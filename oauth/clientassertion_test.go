package oauth

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
)

// keyJWTEnv is a server with three clients: "kj" (private_key_jwt with
// the partner's RSA key "r1" and EC key "e1"), "basic-only" (registered
// for client_secret_basic, with the same keys on file for jwt-bearer) and
// "legacy" (no registered method).
type keyJWTEnv struct {
	*env
	keys    *partnerKeys
	secrets map[string]string
	jti     atomic.Int64
}

func newKeyJWTEnv(t *testing.T, opts ...envOption) *keyJWTEnv {
	t.Helper()
	e := newEnv(t, opts...).start()
	k := &keyJWTEnv{env: e, keys: sharedPartnerKeys(), secrets: map[string]string{}}
	keys := jwks(jwkOf(&k.keys.rsa.PublicKey, "r1"), jwkOf(&k.keys.ec.PublicKey, "e1"))
	for id, method := range map[string]string{"kj": keypad.AuthMethodPrivateKeyJWT, "basic-only": keypad.AuthMethodSecretBasic, "legacy": ""} {
		c := service(id, keypad.FormatOpaque, "read")
		c.Name = id
		c.Options = keypad.ClientOptions{TokenEndpointAuthMethod: method, AssertionKeys: keys}
		if err := c.Validate(); err != nil {
			t.Fatalf("client %s: %v", id, err)
		}
		k.secrets[id] = e.mustClient(c)
	}
	return k
}

// claims are valid client-assertion claims of "kj", each with a new jti.
func (k *keyJWTEnv) claims() map[string]any {
	now := k.clk.Now()
	return map[string]any{
		"iss": "kj", "sub": "kj", "aud": testIssuer + PathToken,
		"iat": now.Unix(), "exp": now.Add(2 * time.Minute).Unix(),
		"jti": fmt.Sprintf("ca-%d", k.jti.Add(1)),
	}
}

// es256 signs claims with the EC key "e1".
func (k *keyJWTEnv) es256(claims map[string]any) string {
	return signJWS(k.keys.ec, nil, map[string]any{"alg": "ES256", "kid": "e1", "typ": "JWT"}, claims)
}

// withAssertion is a client_credentials request authenticated by the
// client assertion a.
func withAssertion(a string) url.Values {
	return url.Values{"grant_type": {keypad.GrantClientCredentials},
		"client_assertion_type": {ClientAssertionType}, "client_assertion": {a}}
}

func TestClientAssertionOK(t *testing.T) {
	k := newKeyJWTEnv(t)
	for name, a := range map[string]string{
		"ES256":        k.es256(k.claims()),
		"RS256":        signJWS(k.keys.rsa, nil, map[string]any{"alg": "RS256", "kid": "r1"}, k.claims()),
		"AudIssuer":    k.es256(with(k.claims(), "aud", testIssuer)),
		"AudList":      k.es256(with(k.claims(), "aud", []string{"https://other.example", testIssuer + PathToken})),
		"NoKid":        signJWS(k.keys.ec, nil, map[string]any{"alg": "ES256"}, k.claims()),
		"WithClientID": k.es256(k.claims()),
	} {
		t.Run(name, func(t *testing.T) {
			form := withAssertion(a)
			if name == "WithClientID" {
				form.Set("client_id", "kj")
			}
			r := k.post(PathToken, form, nil)
			if r.status != http.StatusOK || r.body["access_token"] == nil {
				t.Fatalf("got %d %s, want a token", r.status, r.raw)
			}
		})
	}
}

// with is claims with name set to v (or removed, for nil).
func with(claims map[string]any, name string, v any) map[string]any {
	if v == nil {
		delete(claims, name)
	} else {
		claims[name] = v
	}
	return claims
}

func TestClientAssertionRefused(t *testing.T) {
	k := newKeyJWTEnv(t)
	now := k.clk.Now()
	pubDER := jwks(jwkOf(&k.keys.rsa.PublicKey, "r1"))
	tests := []struct {
		name   string
		form   url.Values
		edit   func(*http.Request)
		status int
		code   string
		want   string // in error_description
	}{
		{"AlgNone", withAssertion(signJWS(nil, nil, map[string]any{"alg": "none"}, k.claims())),
			nil, 401, "invalid_client", "alg 'none' is not accepted"},
		{"HS256WithPublicKey", withAssertion(signJWS(nil, pubDER, map[string]any{"alg": "HS256", "kid": "r1"}, k.claims())),
			nil, 401, "invalid_client", "alg 'HS256' is not accepted"},
		{"WrongSub", withAssertion(k.es256(with(k.claims(), "sub", "someone"))),
			nil, 401, "invalid_client", "iss and sub must both be the client ID"},
		{"IssNotClientID", func() url.Values {
			f := withAssertion(k.es256(with(k.claims(), "iss", "legacy")))
			f.Set("client_id", "kj")
			return f
		}(), nil, 401, "invalid_client", "client_id differs from the client assertion's iss"},
		{"UnknownClient", withAssertion(k.es256(with(with(k.claims(), "iss", "nobody"), "sub", "nobody"))),
			nil, 401, "invalid_client", "client authentication failed"},
		{"WrongAud", withAssertion(k.es256(with(k.claims(), "aud", "https://evil.example.com/token"))),
			nil, 401, "invalid_client", "aud must name this server"},
		{"AudIntrospectionAtToken", withAssertion(k.es256(with(k.claims(), "aud", testIssuer+PathIntrospect))),
			nil, 401, "invalid_client", "aud must name this server"},
		{"Expired", withAssertion(k.es256(with(with(k.claims(), "iat", now.Add(-5*time.Minute).Unix()), "exp", now.Add(-2*time.Minute).Unix()))),
			nil, 401, "invalid_client", "expired at"},
		{"TooLongLived", withAssertion(k.es256(with(k.claims(), "exp", now.Add(2*time.Hour).Unix()))),
			nil, 401, "invalid_client", "more than 1h ahead"},
		{"IatLongAgo", withAssertion(k.es256(with(k.claims(), "iat", now.Add(-2*time.Hour).Unix()))),
			nil, 401, "invalid_client", "from iat to exp for more than 1h"},
		{"NoExp", withAssertion(k.es256(with(k.claims(), "exp", nil))),
			nil, 401, "invalid_client", "exp is missing"},
		{"NoJTI", withAssertion(k.es256(with(k.claims(), "jti", nil))),
			nil, 401, "invalid_client", "jti is missing"},
		{"UnknownKid", withAssertion(signJWS(k.keys.ec, nil, map[string]any{"alg": "ES256", "kid": "zz"}, k.claims())),
			nil, 401, "invalid_client", "kid 'zz' names no key"},
		{"OtherKey", withAssertion(signJWS(k.keys.rsa2, nil, map[string]any{"alg": "RS256", "kid": "r1"}, k.claims())),
			nil, 401, "invalid_client", "signature does not verify"},
		{"WrongType", func() url.Values {
			f := withAssertion(k.es256(k.claims()))
			f.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer")
			return f
		}(), nil, 401, "invalid_client", "client_assertion_type must be"},
		{"AssertionAndSecret", func() url.Values {
			f := withAssertion(k.es256(k.claims()))
			f.Set("client_secret", k.secrets["kj"])
			return f
		}(), nil, 400, "invalid_request", "one client authentication method"},
		{"AssertionAndBasic", withAssertion(k.es256(k.claims())), basic("kj", "x"), 400, "invalid_request", "one client authentication method"},
		{"BasicClientTriesKeyJWT", withAssertion(k.es256(with(with(k.claims(), "iss", "basic-only"), "sub", "basic-only"))),
			nil, 401, "invalid_client", "not registered for private_key_jwt; authenticate with client_secret_basic"},
		{"LegacyClientTriesKeyJWT", withAssertion(k.es256(with(with(k.claims(), "iss", "legacy"), "sub", "legacy"))),
			nil, 401, "invalid_client", "not registered for private_key_jwt"},
		{"KeyJWTClientTriesBasic", url.Values{"grant_type": {keypad.GrantClientCredentials}},
			basic("kj", k.secrets["kj"]), 401, "invalid_client", "registered to authenticate with private_key_jwt, not client_secret_basic"},
		{"KeyJWTClientTriesPost", url.Values{"grant_type": {keypad.GrantClientCredentials}, "client_id": {"kj"}, "client_secret": {k.secrets["kj"]}},
			nil, 401, "invalid_client", "registered to authenticate with private_key_jwt, not client_secret_post"},
		{"BasicClientTriesPost", url.Values{"grant_type": {keypad.GrantClientCredentials}, "client_id": {"basic-only"}, "client_secret": {k.secrets["basic-only"]}},
			nil, 401, "invalid_client", "registered to authenticate with client_secret_basic, not client_secret_post"},
	}
	for _, tt := range tests {
		t.Run("Err"+tt.name, func(t *testing.T) {
			r := k.post(PathToken, tt.form, tt.edit)
			wantError(t, r, tt.status, tt.code)
			if d, _ := r.body["error_description"].(string); !strings.Contains(d, tt.want) {
				t.Errorf("error_description = %q, want it to say %q", d, tt.want)
			}
		})
	}
	t.Run("OKSecretClientsStillWork", func(t *testing.T) {
		k.mustToken("basic-only", k.secrets["basic-only"])
		k.mustToken("legacy", k.secrets["legacy"])
	})
}

func TestClientAssertionReplay(t *testing.T) {
	k := newKeyJWTEnv(t)
	a := k.es256(k.claims())
	if r := k.post(PathToken, withAssertion(a), nil); r.status != http.StatusOK {
		t.Fatalf("first use: %d %s", r.status, r.raw)
	}
	r := k.post(PathToken, withAssertion(a), nil)
	wantError(t, r, http.StatusUnauthorized, "invalid_client")
	if d, _ := r.body["error_description"].(string); !strings.Contains(d, "already used") {
		t.Errorf("error_description = %q, want it to say the jti was used", d)
	}
}

// TestClientAssertionReplayRace presents one assertion from many
// goroutines at once: the store's atomic count lets exactly one through.
func TestClientAssertionReplayRace(t *testing.T) {
	k := newKeyJWTEnv(t)
	a := k.es256(k.claims())
	const n = 16
	var wg sync.WaitGroup
	var ok, replayed atomic.Int32
	start := make(chan struct{})
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			req, _ := http.NewRequest(http.MethodPost, k.ts.URL+PathToken, strings.NewReader(withAssertion(a).Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := k.ts.Client().Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			switch resp.StatusCode {
			case http.StatusOK:
				ok.Add(1)
			case http.StatusUnauthorized:
				replayed.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	if ok.Load() != 1 || replayed.Load() != n-1 {
		t.Fatalf("%d succeeded and %d were refused as replays, want 1 and %d", ok.Load(), replayed.Load(), n-1)
	}
}

// TestClientAssertionRevoke authenticates at introspection and revocation
// with aud set to each endpoint's own URL.
func TestClientAssertionRevoke(t *testing.T) {
	k := newKeyJWTEnv(t)
	r := k.post(PathToken, withAssertion(k.es256(k.claims())), nil)
	tok, _ := r.body["access_token"].(string)
	if tok == "" {
		t.Fatalf("token: %d %s", r.status, r.raw)
	}
	at := func(path string) url.Values {
		return url.Values{"token": {tok}, "client_assertion_type": {ClientAssertionType},
			"client_assertion": {k.es256(with(k.claims(), "aud", testIssuer+path))}}
	}
	if in := k.post(PathIntrospect, at(PathIntrospect), nil); in.status != http.StatusOK || in.body["active"] != true {
		t.Fatalf("introspect before revocation: %d %s, want active", in.status, in.raw)
	}
	if r := k.post(PathRevoke, at(PathRevoke), nil); r.status != http.StatusOK {
		t.Fatalf("revoke: %d %s", r.status, r.raw)
	}
	if in := k.post(PathIntrospect, at(PathIntrospect), nil); in.status != http.StatusOK || in.body["active"] != false {
		t.Fatalf("introspect after revocation: %d %s, want inactive", in.status, in.raw)
	}
}

// TestClientAssertionDeviceAuthorization: the device authorization
// endpoint takes a client assertion too, with aud its own URL.
func TestClientAssertionDeviceAuthorization(t *testing.T) {
	e := newDeviceEnv(t, DeviceConfig{})
	keys := sharedPartnerKeys()
	c := &keypad.Client{ID: "box", Name: "Box", GrantTypes: []string{keypad.GrantDeviceCode}, Scopes: []string{"read"},
		Options: keypad.ClientOptions{TokenEndpointAuthMethod: keypad.AuthMethodPrivateKeyJWT,
			AssertionKeys: jwks(jwkOf(&keys.ec.PublicKey, "e1"))}}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	e.mustClient(c)
	now := e.clk.Now()
	sign := func(aud string) string {
		return signJWS(keys.ec, nil, map[string]any{"alg": "ES256", "kid": "e1"}, map[string]any{
			"iss": "box", "sub": "box", "aud": aud, "exp": now.Add(time.Minute).Unix(), "jti": "box-" + aud})
	}
	form := func(a string) url.Values {
		return url.Values{"scope": {"read"}, "client_assertion_type": {ClientAssertionType}, "client_assertion": {a}}
	}
	r := e.post(PathDeviceAuthorization, form(sign(testIssuer+PathDeviceAuthorization)), nil)
	if r.status != http.StatusOK || r.body["device_code"] == nil {
		t.Fatalf("device authorization: %d %s, want a device code", r.status, r.raw)
	}
	wantError(t, e.post(PathDeviceAuthorization, form(sign("https://elsewhere.example/device")), nil), http.StatusUnauthorized, "invalid_client")
}
