package main

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/manage"
)

func TestClientSpec(t *testing.T) {
	base := clientSpec{ClientSpec: manage.ClientSpec{Name: "svc", GrantTypes: []string{"client_credentials"}}}
	with := func(f func(s *clientSpec)) clientSpec {
		s := base
		f(&s)
		return s
	}
	tests := []struct {
		name string
		spec clientSpec
		want string // error substring; "" means OK
	}{
		{"OK", base, ""},
		{"OKPublicDevice", with(func(s *clientSpec) { s.Public = true; s.GrantTypes = []string{"device_code,refresh_token"} }), ""},
		{"OKAuthCode", with(func(s *clientSpec) {
			s.GrantTypes = []string{"authorization_code"}
			s.RedirectURIs = []string{"https://app.example.com/cb,http://127.0.0.1:8400/cb", "com.example.app:/cb"}
		}), ""},
		{"OKTTLs", with(func(s *clientSpec) { s.AccessTTL = "15m"; s.RefreshTTL = "3650d" }), ""},
		{"ErrNoName", with(func(s *clientSpec) { s.Name = "  " }), "--name is required"},
		{"ErrID", with(func(s *clientSpec) { s.ID = "a b" }), `--id "a b": use 1 to 64 letters`},
		{"ErrNoGrant", with(func(s *clientSpec) { s.GrantTypes = nil }), "--grant-types is required"},
		{"ErrUnknownGrant", with(func(s *clientSpec) { s.GrantTypes = []string{"implicit"} }), `unknown grant type "implicit"; known: authorization_code,`},
		{"ErrPublicClientCredentials", with(func(s *clientSpec) { s.Public = true }), "--public clients cannot use client_credentials"},
		{"ErrPublicAssertion", with(func(s *clientSpec) { s.Public = true; s.GrantTypes = []string{"jwt-bearer"} }), "cannot use assertion grants"},
		{"ErrScope", with(func(s *clientSpec) { s.Scopes = `read "write"` }), `--scopes: "\"write\"" is not a valid scope`},
		{"ErrAuthCodeNoRedirect", with(func(s *clientSpec) { s.GrantTypes = []string{"authorization_code"} }), "--redirect-uris is required with authorization_code"},
		{"ErrRedirectRelative", with(func(s *clientSpec) { s.RedirectURIs = []string{"/cb"} }), "is not an absolute URI"},
		{"ErrRedirectFragment", with(func(s *clientSpec) { s.RedirectURIs = []string{"https://a.example/cb#x"} }), "must not have a fragment"},
		{"ErrRedirectHTTP", with(func(s *clientSpec) { s.RedirectURIs = []string{"http://a.example/cb"} }), "must use https"},
		{"ErrRedirectScheme", with(func(s *clientSpec) { s.RedirectURIs = []string{"myapp:/cb"} }), "private-use schemes must be reverse domain names"},
		{"ErrRedirectJavascript", with(func(s *clientSpec) { s.RedirectURIs = []string{"javascript:alert(1)"} }), "private-use schemes"},
		{"ErrTokenFormat", with(func(s *clientSpec) { s.TokenFormat = "paseto" }), `--token-format "paseto": use jwt or opaque`},
		{"ErrSigningAlg", with(func(s *clientSpec) { s.SigningAlg = "HS256" }), `--signing-alg "HS256": use ES256 or RS256`},
		{"ErrAccessTTL", with(func(s *clientSpec) { s.AccessTTL = "2d" }), "--access-ttl 2d is out of range: allowed 1m to 1d"},
		{"ErrAccessTTLHours", with(func(s *clientSpec) { s.AccessTTL = "48h" }), "--access-ttl 48h is out of range: allowed 1m to 24h"},
		{"ErrAccessTTLSyntax", with(func(s *clientSpec) { s.AccessTTL = "1 hour" }), `--access-ttl: "1 hour" is not a duration`},
		{"ErrRefreshTTL", with(func(s *clientSpec) { s.RefreshTTL = "5m" }), "--refresh-ttl 5m is out of range"},
		{"OKOpaqueLongLived", with(func(s *clientSpec) { s.TokenFormat = "opaque"; s.AccessTTL = "3650d" }), ""},
		{"OKOpaqueThirtyYears", with(func(s *clientSpec) { s.TokenFormat = "opaque"; s.AccessTTL = "10958d" }), ""},
		{"ErrJWTLongLived", with(func(s *clientSpec) { s.AccessTTL = "3650d" }),
			"--access-ttl 3650d is out of range: allowed 1m to 1d for JWT access tokens; only opaque ones (--token-format opaque)"},
		{"ErrOpaqueTooLong", with(func(s *clientSpec) { s.TokenFormat = "opaque"; s.AccessTTL = "10959d" }),
			"--access-ttl 10959d is out of range: allowed 1m to 10958d (30 years)"},
		{"OKRefreshThirtyYears", with(func(s *clientSpec) { s.RefreshTTL = "10958d" }), ""},
		{"ErrRefreshTooLong", with(func(s *clientSpec) { s.RefreshTTL = "36500d" }), "--refresh-ttl 36500d is out of range: allowed 1h to 10958d (30 years)"},
		{"OKDefaultTTL", with(func(s *clientSpec) { s.AccessTTL, s.RefreshTTL = "default", "default" }), ""},
		{"OKCIBAPoll", with(func(s *clientSpec) { s.GrantTypes = []string{"ciba"}; s.CIBAMode = "poll" }), ""},
		{"OKCIBAPing", with(func(s *clientSpec) {
			s.GrantTypes = []string{"ciba"}
			s.CIBAMode, s.CIBAEndpoint = "ping", "https://tv.example/cb"
		}), ""},
		{"OKCIBAPingLoopback", with(func(s *clientSpec) {
			s.GrantTypes = []string{"ciba"}
			s.CIBAMode, s.CIBAEndpoint = "ping", "http://127.0.0.1:8080/cb"
		}), ""},
		{"ErrCIBAPingNoEndpoint", with(func(s *clientSpec) { s.GrantTypes = []string{"ciba"}; s.CIBAMode = "ping" }),
			"--backchannel-client-notification-endpoint is required in ping mode"},
		{"ErrCIBAPingHTTP", with(func(s *clientSpec) {
			s.GrantTypes = []string{"ciba"}
			s.CIBAMode, s.CIBAEndpoint = "ping", "http://tv.example/cb"
		}), "must use https"},
		{"ErrCIBAPush", with(func(s *clientSpec) { s.GrantTypes = []string{"ciba"}; s.CIBAMode = "push" }), `--backchannel-token-delivery-mode: "push": use poll or ping`},
		{"ErrCIBAUserCode", with(func(s *clientSpec) { s.GrantTypes = []string{"ciba"}; s.CIBAUserCode = true }),
			"--backchannel-user-code-parameter is not offered"},
		{"ErrCIBAWithoutGrant", with(func(s *clientSpec) { s.CIBAMode = "ping"; s.CIBAEndpoint = "https://tv.example/cb" }),
			"not registered for the CIBA grant"},
		{"ErrCIBAPublic", with(func(s *clientSpec) { s.Public = true; s.GrantTypes = []string{"ciba"} }), "cannot use the CIBA grant"},
		{"OKOptions", with(func(s *clientSpec) {
			s.AlwaysConsent, s.AllowPlainPKCE, s.ExplicitUnknownIdentifier, s.RefreshNoExpiry = true, true, true, true
			s.RefreshIdleTTL = "30d"
		}), ""},
		{"OKIdleShorter", with(func(s *clientSpec) { s.RefreshTTL, s.RefreshIdleTTL = "90d", "30d" }), ""},
		{"ErrIdleTTL", with(func(s *clientSpec) { s.RefreshIdleTTL = "10m" }), "--refresh-idle-ttl 10m is out of range: allowed 1h to 10958d (30 years)"},
		{"ErrIdleTTLSyntax", with(func(s *clientSpec) { s.RefreshIdleTTL = "a month" }), `--refresh-idle-ttl: "a month" is not a duration`},
		{"ErrIdleNotShorter", with(func(s *clientSpec) { s.RefreshTTL, s.RefreshIdleTTL = "30d", "30d" }),
			"--refresh-idle-ttl 30d is not shorter than --refresh-ttl 30d, so it would never end a token"},
		{"ErrNoExpiryWithTTL", with(func(s *clientSpec) { s.RefreshNoExpiry = true; s.RefreshTTL = "90d" }),
			"--refresh-no-expiry and --refresh-ttl 90d contradict each other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.spec.client()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("client() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("client() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestClientSpecBuildsClient(t *testing.T) {
	c, err := clientSpec{ClientSpec: manage.ClientSpec{
		Name: " TV app ", Public: true, GrantTypes: []string{"device_code", "refresh_token,device"},
		Scopes: "profile, device:abc:control profile", TokenFormat: "opaque", SigningAlg: "rs256",
		AccessTTL: "30m", RefreshTTL: "3650d", RefreshIdleTTL: "90d",
		AlwaysConsent: true, AllowPlainPKCE: true, ExplicitUnknownIdentifier: true, IntrospectAny: true,
	}}.client()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.GrantTypes, []string{keypad.GrantDeviceCode, keypad.GrantRefreshToken}; !slices.Equal(got, want) {
		t.Errorf("GrantTypes = %q, want %q (aliases expanded, duplicates dropped)", got, want)
	}
	if got, want := c.Scopes, []string{"profile", "device:abc:control"}; !slices.Equal(got, want) {
		t.Errorf("Scopes = %q, want %q", got, want)
	}
	checks := []struct {
		what      string
		got, want any
	}{
		{"Name", c.Name, "TV app"},
		{"Public", c.Public, true},
		{"TokenFormat", c.TokenFormat, keypad.FormatOpaque},
		{"SigningAlg", c.Options.SigningAlg, keypad.AlgRS256},
		{"AccessTTL", c.AccessTTL, 30 * time.Minute},
		{"RefreshTTL", c.RefreshTTL, 3650 * 24 * time.Hour},
		{"SecretHash", len(c.SecretHash), 0},
		{"RefreshIdleTTL", c.Options.RefreshIdleTTL, 90 * 24 * time.Hour},
		{"AlwaysConsent", c.Options.AlwaysConsent, true},
		{"AllowPlainPKCE", c.Options.AllowPlainPKCE, true},
		{"ExplicitUnknownIdentifier", c.Options.ExplicitUnknownIdentifier, true},
		{"IntrospectAny", c.Options.IntrospectAny, true},
		{"RefreshNoExpiry", c.Options.RefreshNoExpiry, false},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.what, ch.got, ch.want)
		}
	}
}

// TestSpecOfRoundTrip: the spec of a client creates the same client, so
// update changes nothing it was not told to.
func TestSpecOfRoundTrip(t *testing.T) {
	for _, c := range []*keypad.Client{
		{ID: "tv", Name: "TV", Public: true, GrantTypes: []string{keypad.GrantDeviceCode, keypad.GrantRefreshToken},
			Scopes: []string{"profile", "device:{id}:control"}, TokenFormat: keypad.FormatOpaque,
			AccessTTL: 3650 * 24 * time.Hour, Options: keypad.ClientOptions{
				SigningAlg: keypad.AlgRS256, RefreshNoExpiry: true, RefreshIdleTTL: 90 * 24 * time.Hour}},
		{ID: "web", Name: "Web", GrantTypes: []string{keypad.GrantAuthorizationCode, keypad.GrantOTP},
			RedirectURIs: []string{"https://app.example.com/cb"}, TokenFormat: keypad.FormatJWT,
			AccessTTL: 90 * time.Minute, RefreshTTL: 30 * 24 * time.Hour, Options: keypad.ClientOptions{
				AlwaysConsent: true, AllowPlainPKCE: true, ExplicitUnknownIdentifier: true, IntrospectAny: true}},
		{ID: "partner", Name: "Partner", GrantTypes: []string{keypad.GrantJWTBearer}, TokenFormat: keypad.FormatJWT,
			Options: keypad.ClientOptions{AssertionIssuer: "https://partner.example",
				AssertionKeys: mustPEMKeys(t, publicPEM(t, &testKeys().ec.PublicKey))}},
	} {
		t.Run(c.ID, func(t *testing.T) {
			got, err := specOf(c).client()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c) {
				t.Errorf("specOf(c).client() = %+v, want %+v", got, c)
			}
		})
	}
}

// mustPEMKeys is the JWK Set the CLI registers for a PEM file.
func mustPEMKeys(t *testing.T, pemBytes []byte) json.RawMessage {
	t.Helper()
	doc, err := pemToJWKS(pemBytes)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}
