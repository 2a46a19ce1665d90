package admin_test

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/keypadauth/keypad/oauth"
)

// TestInitialAccessTokens: the registration endpoint's admin side, held
// to openapi.json: a token issued here registers one client at
// /oauth2/register and no second; bad input and a token without
// keypad:clients are refused.
func TestInitialAccessTokens(t *testing.T) {
	e := newEnv(t, sqliteDB(t), nil)
	clients := e.token("ops-clients", "keypad:clients")
	r := e.call(clients, "POST", oauth.PathInitialAccessTokens, map[string]any{"expires_in": 600, "uses": 1})
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store: the answer holds a bearer token", cc)
	}
	var it struct {
		ID, Token string
		CreatedBy string    `json:"created_by"`
		MaxUses   int       `json:"max_uses"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	r.json(t, &it)
	if it.Token == "" || it.CreatedBy != "ops-clients" || it.MaxUses != 1 || !it.ExpiresAt.Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("token %+v: want a token for 1 use, expiring 10 minutes from now", it)
	}
	register := func() int {
		body := `{"client_name":"Partner app","redirect_uris":["https://partner.example/cb"]}`
		req, _ := http.NewRequestWithContext(t.Context(), "POST", e.srv.URL()+"/oauth2/register", bytes.NewReader([]byte(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+it.Token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := register(); got != http.StatusCreated {
		t.Fatalf("register with the initial access token: %d, want 201", got)
	}
	if got := register(); got != http.StatusUnauthorized {
		t.Errorf("register again with a token for one use: %d, want 401", got)
	}

	if r := e.call(clients, "POST", oauth.PathInitialAccessTokens, map[string]any{"uses": -1}); r.status != http.StatusBadRequest {
		t.Errorf("uses -1: %d %s, want 400", r.status, r.body)
	}
	if r := e.call(clients, "POST", oauth.PathInitialAccessTokens, `{"expires_in": 5}`); r.status != http.StatusBadRequest {
		t.Errorf("expires_in 5 seconds: %d %s, want 400", r.status, r.body)
	}
	if r := e.call(clients, "POST", oauth.PathInitialAccessTokens, `{"ttl": 60}`); r.status != http.StatusBadRequest {
		t.Errorf("an unknown member: %d %s, want 400", r.status, r.body)
	}
	users := e.token("ops-users", "keypad:users")
	if r := e.call(users, "POST", oauth.PathInitialAccessTokens, map[string]any{}); r.status != http.StatusForbidden {
		t.Errorf("a token with keypad:users only: %d %s, want 403", r.status, r.body)
	}
	if r := e.call("", "POST", oauth.PathInitialAccessTokens, map[string]any{}); r.status != http.StatusUnauthorized {
		t.Errorf("no token: %d, want 401", r.status)
	}
}
