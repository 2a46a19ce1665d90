package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// TestClientPrivateKeyJWT registers a private_key_jwt client with the CLI
// and uses it against `keypad serve` with a go-jose client: a token, then
// introspection, each authenticated by a fresh signed assertion.
func TestClientPrivateKeyJWT(t *testing.T) {
	key := testKeys().ec
	raw, _ := key.PublicKey.Bytes()
	doc, _ := json.Marshal(map[string]any{"keys": []any{map[string]any{"kty": "EC", "crv": "P-256", "kid": "svc-1",
		"x": base64.RawURLEncoding.EncodeToString(raw[1:33]), "y": base64.RawURLEncoding.EncodeToString(raw[33:])}}})
	e := migrated(t)
	c := mustJSON[clientJSON](t, e, "client", "create", "--id", "svc", "--name", "Svc", "--grant-types", "client_credentials",
		"--scopes", "read", "--token-format", "opaque", "--auth-method", "private_key_jwt", "--jwks", tempFile(t, "svc.jwks", doc), "--json")
	if c.ClientSecret != "" || c.AuthMethod != "private_key_jwt" || len(c.AssertionKeys) != 1 {
		t.Fatalf("created %+v, want private_key_jwt with one key and no secret", c)
	}
	if text := mustRun(t, e, "", "client", "get", "svc"); !strings.Contains(strings.Join(strings.Fields(text), " "), "token_endpoint_auth_method: private_key_jwt") {
		t.Errorf("client get printed\n%s\nwant the auth method", text)
	}

	if _, err := run(t, e, "", "client", "rotate-secret", "svc"); err == nil || !strings.Contains(err.Error(), "a secret would not be accepted") {
		t.Errorf("rotate-secret of a private_key_jwt client = %v, want it refused", err)
	}

	s := startServe(t, e)
	base := s.srv.URL()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: "svc-1"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	post := func(path string, form url.Values) map[string]any {
		t.Helper()
		n++
		a, err := jwt.Signed(signer).Claims(jwt.Claims{Issuer: "svc", Subject: "svc", Audience: jwt.Audience{base + path},
			Expiry: jwt.NewNumericDate(time.Now().Add(time.Minute)), ID: fmt.Sprintf("cli-%d", n)}).Serialize()
		if err != nil {
			t.Fatal(err)
		}
		form.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
		form.Set("client_assertion", a)
		resp, err := http.PostForm(base+path, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
		}
		return m
	}
	tok := post("/oauth2/token", url.Values{"grant_type": {"client_credentials"}})
	at, _ := tok["access_token"].(string)
	in := post("/oauth2/introspect", url.Values{"token": {at}})
	if in["active"] != true || in["client_id"] != "svc" {
		t.Fatalf("introspection = %v, want active for svc", in)
	}
}

// TestClientAuthMethodRefused: the CLI words the auth-method rules as its
// flags.
func TestClientAuthMethodRefused(t *testing.T) {
	e := migrated(t)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--auth-method", "client_secret_jwt"}, "--auth-method: client_secret_jwt is not offered: keypad stores only a hash"},
		{[]string{"--auth-method", "private_key_jwt"}, "--jwks is required with private_key_jwt"},
		{[]string{"--auth-method", "private_key_jwt", "--jwks-uri", "http://svc.example.com/jwks"}, "--jwks-uri: \"http://svc.example.com/jwks\" must use https"},
		{[]string{"--jwks-uri", "https://svc.example.com/jwks"}, "--jwks-uri is only read for private_key_jwt clients"},
	} {
		args := append([]string{"client", "create", "--name", "Svc", "--grant-types", "client_credentials"}, tt.args...)
		if _, err := run(t, e, "", args...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %v, want an error containing %q", tt.args, err, tt.want)
		}
	}
}
