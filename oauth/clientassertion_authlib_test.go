package oauth

import (
	"encoding/json"
	"os"
	"os/exec"
	"testing"
	"time"
)

// TestClientAssertionAuthlib runs private_key_jwt with an independent
// client, Python's Authlib (Debian's python3-authlib and python3-requests),
// at the token endpoint and at introspection, with Authlib's defaults.
func TestClientAssertionAuthlib(t *testing.T) {
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import authlib, requests").Run(); err != nil {
		msg := "Authlib is missing: apt-get install python3-authlib python3-requests"
		if os.Getenv("KEYPAD_TEST_STRICT") == "1" {
			t.Fatal(msg + " (KEYPAD_TEST_STRICT=1 makes a missing component a failure)")
		}
		t.Skip(msg)
	}
	k := newKeyJWTEnv(t)
	keyFile := t.TempDir() + "/kj.pem"
	if err := os.WriteFile(keyFile, rsaPEM(t, k.keys.rsa), 0o600); err != nil {
		t.Fatal(err)
	}
	// Authlib signs with the wall clock, so the server's test clock is set
	// to it (nothing here asserts on time).
	k.clk.Advance(time.Since(k.clk.Now()))
	out, err := exec.Command(python, "testdata/authlib_private_key_jwt.py", k.ts.URL, testIssuer, "kj", keyFile).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("authlib client: %v\n%s", err, stderr)
	}
	var got struct {
		Token struct {
			AccessToken string `json:"access_token"`
			TokenType   string `json:"token_type"`
		} `json:"token"`
		Introspection       map[string]any `json:"introspection"`
		IntrospectionStatus int            `json:"introspection_status"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("authlib client printed %q: %v", out, err)
	}
	if got.Token.AccessToken == "" || got.IntrospectionStatus != 200 || got.Introspection["active"] != true || got.Introspection["client_id"] != "kj" {
		t.Fatalf("authlib client got %s, want a token that introspects active for kj", out)
	}
}
