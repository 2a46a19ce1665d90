package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keypadauth/keypad"
)

// TestDeviceLoginDPoP: with --dpop the device flow's tokens are bound to
// a key the command keeps in the config directory (0600), made on the
// first run and reused on the next, for a client registered
// --dpop required.
func TestDeviceLoginDPoP(t *testing.T) {
	s := newLoginServer(t, true)
	s.configDir = t.TempDir()
	c := deviceTV("tv")
	c.Options.DPoP = keypad.DPoPRequired
	s.mustClient(c)
	approveFirst := func(n int) {
		if n == 1 {
			s.answer(true)
		}
	}
	s.onPoll = approveFirst
	if run := runLogin(t, s, "", nil, "--client-id", "tv", "--qr", "none"); run.err == nil {
		t.Fatalf("without --dpop a --dpop required client got tokens:\n%s", run.stdout)
	}

	var jkts []string
	for i := range 2 {
		s2 := newLoginServer(t, true)
		s2.configDir = s.configDir
		s2.mustClient(c)
		s2.onPoll = func(n int) {
			if n == 1 {
				s2.answer(true)
			}
		}
		run := runLogin(t, s2, "", nil, "--client-id", "tv", "--qr", "none", "--dpop")
		tok := mustTokens(t, run)
		if tok["token_type"] != "DPoP" {
			t.Fatalf("run %d: token_type %v, want DPoP", i+1, tok["token_type"])
		}
		jkts = append(jkts, cnfJKT(t, tok["access_token"].(string)))
		rec, err := s2.st.GetToken(context.Background(), keypad.TokenKey(tok["refresh_token"].(string)))
		if err != nil || rec.JKT != jkts[i] {
			t.Errorf("run %d: refresh token %+v, %v; want it bound to %s", i+1, rec, err, jkts[i])
		}
	}
	// Each test server has its own issuer URL, so each run has its own key
	// file; the same issuer and client reuse theirs.
	files, _ := filepath.Glob(filepath.Join(s.configDir, "keypad", "dpop", "*.pem"))
	if len(files) != 2 {
		t.Fatalf("key files %v, want one per issuer and client", files)
	}
	for _, f := range files {
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("key file %s: mode %v, %v; want 0600", f, fi.Mode().Perm(), err)
		}
	}
	key, err := loadDPoPKey(dpopKeyPath(s.configDir, "x", "y"))
	if err != nil {
		t.Fatal(err)
	}
	again, err := loadDPoPKey(key.path)
	if err != nil || again.jkt != key.jkt {
		t.Errorf("reloaded key %v, %v; want the stored one (%s)", again, err, key.jkt)
	}
}

// cnfJKT reads cnf.jkt from a JWT access token.
func cnfJKT(t *testing.T, tok string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", tok)
	}
	b, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var c struct {
		Cnf struct {
			JKT string `json:"jkt"`
		} `json:"cnf"`
	}
	if err := json.Unmarshal(b, &c); err != nil || c.Cnf.JKT == "" {
		t.Fatalf("access token without cnf.jkt: %s", b)
	}
	return c.Cnf.JKT
}
