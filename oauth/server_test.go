package oauth

import (
	"strings"
	"testing"

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
	if e.issuer.Issuer != testIssuer || e.issuer.DefaultAccessTTL != accessTTL || e.issuer.Grants == nil || e.issuer.Clients == nil {
		t.Errorf("issuer after New = %+v, want URL, access TTL, grants and clients filled in", e.issuer)
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
