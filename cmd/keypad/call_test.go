package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runCallCmd runs `keypad call` with args, keys under dir.
func runCallCmd(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	c := &call{client: http.DefaultClient, now: func() time.Time { return time.Unix(1900000000, 0) },
		configDir: func() (string, error) { return dir, nil }}
	cmd := c.command()
	cmd.SetArgs(args)
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	err := cmd.ExecuteContext(context.Background())
	return stdout.String(), err
}

func writeTokens(t *testing.T, v map[string]string) string {
	t.Helper()
	b, _ := json.Marshal(v)
	p := filepath.Join(t.TempDir(), "tokens.json")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// proofClaims decodes a DPoP proof's claims (the signature is the
// resource server's business; the demo test covers it end to end).
func proofClaims(t *testing.T, proof string) map[string]any {
	parts := strings.Split(proof, ".")
	if len(parts) != 3 {
		t.Fatalf("proof %q is not a JWS", proof)
	}
	b, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var c map[string]any
	json.Unmarshal(b, &c)
	return c
}

// TestCallBearer: a Bearer token is sent as such, without a proof and
// without needing a key.
func TestCallBearer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok-1" || r.Header.Get("DPoP") != "" {
			http.Error(w, "wrong credentials", http.StatusUnauthorized)
			return
		}
		w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	out, err := runCallCmd(t, t.TempDir(), "--tokens", writeTokens(t, map[string]string{"access_token": "tok-1", "token_type": "Bearer"}), srv.URL+"/x")
	if err != nil || out != `{"ok":true}` {
		t.Errorf("call = %q, %v", out, err)
	}
}

// TestCallDPoPNonce: a DPoP token goes with a proof naming the URL
// without its query and the token's hash; a 401 with a DPoP-Nonce is
// tried once more with the nonce, and a refusal then is an error.
func TestCallDPoPNonce(t *testing.T) {
	dir := t.TempDir()
	const issuer = "https://auth.example.com"
	if _, err := loadDPoPKey(dpopKeyPath(dir, issuer, "tv")); err != nil {
		t.Fatal(err)
	}
	var seen []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := proofClaims(t, r.Header.Get("DPoP"))
		seen = append(seen, c)
		if r.Header.Get("Authorization") != "DPoP tok-2" || c["nonce"] != "n-1" {
			w.Header().Set("DPoP-Nonce", "n-1")
			http.Error(w, "use_dpop_nonce", http.StatusUnauthorized)
			return
		}
		w.Write([]byte("usage"))
	}))
	defer srv.Close()
	tokens := writeTokens(t, map[string]string{"access_token": "tok-2", "token_type": "DPoP"})
	out, err := runCallCmd(t, dir, "--issuer", issuer+"/", "--client-id", "tv", "--tokens", tokens, srv.URL+"/api?x=1")
	if err != nil || out != "usage" || len(seen) != 2 {
		t.Fatalf("call = %q, %v after %d requests; want usage after 2", out, err, len(seen))
	}
	// base64url(SHA-256("tok-2"))
	const ath = "udfygmx5jpkNMN0pH920NqATJ8KTeIzlcZXmDH77grI"
	if c := seen[1]; c["htm"] != "GET" || c["htu"] != srv.URL+"/api" || c["ath"] != ath || c["jti"] == seen[0]["jti"] {
		t.Errorf("second proof %v: want htm GET, htu without query, ath of the token, a new jti", c)
	}
	// A server that keeps refusing: one retry, then an error naming the status.
	refuse := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("DPoP-Nonce", "n-2")
		w.Header().Set("WWW-Authenticate", `DPoP error="invalid_token"`)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer refuse.Close()
	if _, err := runCallCmd(t, dir, "--issuer", issuer, "--client-id", "tv", "--tokens", tokens, refuse.URL); err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "invalid_token") {
		t.Errorf("refused call: %v, want an error with 401 and the challenge", err)
	}
}

// TestCallErrors: each bad input says what to do.
func TestCallErrors(t *testing.T) {
	dpopTokens := writeTokens(t, map[string]string{"access_token": "tok", "token_type": "DPoP"})
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"ErrNoTokens":    {[]string{"http://127.0.0.1:1/x"}, "--tokens is required"},
		"ErrNotAURL":     {[]string{"--tokens", dpopTokens, "ftp://x/"}, "not an http(s) URL"},
		"ErrNotJSON":     {[]string{"--tokens", writeTokens(t, nil), "http://127.0.0.1:1/x"}, "no access_token"},
		"ErrNoClient":    {[]string{"--tokens", dpopTokens, "http://127.0.0.1:1/x"}, "--issuer and --client-id"},
		"ErrNoKeyMadeUp": {[]string{"--issuer", "https://a.example", "--client-id", "tv", "--tokens", dpopTokens, "http://127.0.0.1:1/x"}, "device-login --dpop"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := runCallCmd(t, dir, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one saying %q", err, tc.want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("call wrote %v into the config directory", entries)
			}
		})
	}
}
