package oauth

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/token"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name, issuer, wantErr string
	}{
		{"OKHTTPS", "https://auth.example.com", ""},
		{"OKHTTPSWithPath", "https://example.com/keypad", ""},
		{"OKLocalhostHTTP", "http://localhost:8080", ""},
		{"OKLoopbackHTTP", "http://127.0.0.1:8080", ""},
		{"ErrEmpty", "", "not a URL"},
		{"ErrPlainHTTP", "http://auth.example.com", "https"},
		{"ErrQuery", "https://auth.example.com?x=1", "query"},
		{"ErrFragment", "https://auth.example.com#x", "fragment"},
		{"ErrNoHost", "https:///path", "no host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Config{Issuer: tt.issuer}
			err := c.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate(%q) = %v, want nil", tt.issuer, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate(%q) = %v, want an error mentioning %q", tt.issuer, err, tt.wantErr)
			}
		})
	}
}

func TestNewCompletesIssuer(t *testing.T) {
	e := newEnv(t)
	if tok := e.srv.Tokens(); tok.Issuer != testIssuer || tok.DefaultAccessTTL != accessTTL || tok.Grants == nil || tok.Clients == nil {
		t.Errorf("issuer after New = %+v, want URL, access TTL, grants and clients filled in", tok)
	}
	// New works on a copy: the caller's Issuer, which another server
	// may share, is left as it was.
	if e.issuer.Issuer != "" || e.issuer.DefaultAccessTTL != 0 || e.issuer.Grants != nil || e.issuer.Clients != nil {
		t.Errorf("New changed the caller's issuer to %+v", e.issuer)
	}
	if e.srv.Tokens() == e.issuer {
		t.Error("Tokens is the caller's issuer, not New's copy")
	}
	t.Run("ErrIssuerMismatch", func(t *testing.T) {
		other := &token.Issuer{Issuer: "https://other.example", Keys: e.keys, Store: e.st}
		if _, err := New(Config{Issuer: testIssuer}, Deps{Store: e.st, Issuer: other}); err == nil {
			t.Fatal("New accepted an Issuer with another URL")
		}
	})
	t.Run("ErrMissingDeps", func(t *testing.T) {
		if _, err := New(Config{Issuer: testIssuer}, Deps{}); err == nil {
			t.Fatal("New accepted no Store and no Issuer")
		}
	})
}

// TestNewInstallsTheConfiguredFlows: the flows a server offers are the
// ones its Config lists, installed by New alone, whatever order the
// fields are set in; a flow whose collaborators are missing stops New
// with a FlowError naming it.
func TestNewInstallsTheConfiguredFlows(t *testing.T) {
	e := newEnv(t)
	if got, want := e.srv.grantTypes(), []string{keypad.GrantClientCredentials}; !slices.Equal(got, want) {
		t.Errorf("grant types with no flows = %v, want %v", got, want)
	}
	dcfg := keyed(DeviceConfig{})
	e.mustRebuild(func(c *Config, _ *Deps) {
		c.Refresh = true
		c.JWTBearer = &JWTBearerConfig{}
		c.Device = &dcfg
	})
	want := []string{keypad.GrantClientCredentials, keypad.GrantDeviceCode, keypad.GrantJWTBearer, keypad.GrantRefreshToken}
	if got := e.srv.grantTypes(); !slices.Equal(got, want) {
		t.Errorf("grant types = %v, want %v", got, want)
	}
	for _, tt := range []struct {
		flow string
		mod  func(*Config, *Deps)
	}{
		{"AuthorizationCode", func(c *Config, _ *Deps) { c.AuthorizationCode = &AuthCodeConfig{} }},
		{"Password", func(c *Config, _ *Deps) { c.Password = &PasswordConfig{} }},
		{"OTP", func(c *Config, _ *Deps) { c.OTP = &OTPConfig{} }},
	} {
		var fe *FlowError
		if err := e.rebuild(tt.mod); !errors.As(err, &fe) || fe.Flow != tt.flow {
			t.Errorf("New with %s but not its Deps = %v, want a FlowError of %s", tt.flow, err, tt.flow)
		}
	}
}
