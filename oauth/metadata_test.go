package oauth

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/keypadauth/keypad"
)

func TestMetadata(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, s := range []string{"write", "read"} {
		if err := e.st.PutScope(ctx, &keypad.Scope{Name: s, Description: "test " + s}); err != nil {
			t.Fatal(err)
		}
	}
	// A later flow registers itself: a grant, an endpoint, metadata.
	e.srv.registerGrant(keypad.GrantDeviceCode, GrantFunc(func(context.Context, *TokenRequest) (*TokenResponse, error) {
		return nil, InvalidGrant("test")
	}))
	e.srv.handle("POST /oauth2/device_authorization", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	}))
	e.srv.setMetadata("device_authorization_endpoint", e.srv.Endpoint("/oauth2/device_authorization"))
	e.srv.setMetadata("issuer", "https://spoofed.example") // computed members win
	e.start()

	for _, path := range []string{PathASMetadata, PathOIDCDiscovery} {
		t.Run("OK"+path, func(t *testing.T) {
			resp, err := http.Get(e.ts.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("GET %s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			var m map[string]any
			decodeJSON(t, resp, &m)
			want := map[string]any{
				"issuer":                        testIssuer,
				"token_endpoint":                testIssuer + PathToken,
				"jwks_uri":                      testIssuer + PathJWKS,
				"introspection_endpoint":        testIssuer + PathIntrospect,
				"revocation_endpoint":           testIssuer + PathRevoke,
				"device_authorization_endpoint": testIssuer + "/oauth2/device_authorization",
			}
			for k, v := range want {
				if m[k] != v {
					t.Errorf("%s = %v, want %v", k, m[k], v)
				}
			}
			lists := map[string][]string{
				"grant_types_supported":                                    {keypad.GrantClientCredentials, keypad.GrantDeviceCode},
				"token_endpoint_auth_methods_supported":                    {"client_secret_basic", "client_secret_post", "private_key_jwt", "none"},
				"token_endpoint_auth_signing_alg_values_supported":         {"ES256", "RS256", "PS256", "EdDSA"},
				"introspection_endpoint_auth_signing_alg_values_supported": {"ES256", "RS256", "PS256", "EdDSA"},
				"revocation_endpoint_auth_signing_alg_values_supported":    {"ES256", "RS256", "PS256", "EdDSA"},
				"scopes_supported":                                         {"read", "write"},
			}
			for k, v := range lists {
				if got := stringList(m[k]); !slices.Equal(got, v) {
					t.Errorf("%s = %v, want %v", k, got, v)
				}
			}
			if _, ok := m["authorization_endpoint"]; ok {
				t.Error("authorization_endpoint listed without an authorize flow")
			}
			if _, ok := m["response_types_supported"]; ok {
				t.Error("response_types_supported listed without an authorize flow")
			}
		})
	}
	t.Run("OKRegisteredEndpoint", func(t *testing.T) {
		resp, err := http.Post(e.ts.URL+"/oauth2/device_authorization", "application/x-www-form-urlencoded", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusTeapot {
			t.Errorf("handled endpoint answered %d, want the registered handler's 418", resp.StatusCode)
		}
	})
	t.Run("OKRegisteredGrantDispatched", func(t *testing.T) {
		e.mustClient(&keypad.Client{ID: "tv", Public: true, GrantTypes: []string{keypad.GrantDeviceCode}})
		r := e.post(PathToken, map[string][]string{"grant_type": {keypad.GrantDeviceCode}, "client_id": {"tv"}}, nil)
		wantError(t, r, http.StatusBadRequest, CodeInvalidGrant)
	})
	t.Run("OKJWKSHeaders", func(t *testing.T) {
		resp, err := http.Get(e.ts.URL + PathJWKS)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); ct != "application/jwk-set+json" {
			t.Errorf("JWKS Content-Type = %q", ct)
		}
	})
}

func stringList(v any) []string {
	var out []string
	l, _ := v.([]any)
	for _, x := range l {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}
