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
