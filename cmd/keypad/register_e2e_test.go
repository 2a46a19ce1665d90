package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad/internal/dpoptest"
	"github.com/keypadauth/keypad/oauth"
)

// postJSON sends body as JSON with a bearer token and returns the status
// and the decoded answer.
func postJSON(t *testing.T, endpoint, bearer, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var m map[string]any
	json.Unmarshal(b, &m)
	return res.StatusCode, m
}

// TestInitialTokenCommands: the CLI issues, lists and deletes initial
// access tokens, and the running binary registers clients with them, as
// many as the token allows; an admin client gets more from the admin
// listener, which the public one does not serve without admin_public.
func TestInitialTokenCommands(t *testing.T) {
	e := migrated(t)
	tok := mustJSON[oauth.InitialAccessTokenJSON](t, e, "client", "initial-token", "create", "--expires", "2h", "--uses", "1", "--json")
	if !strings.HasPrefix(tok.Token, "kp_it_") || tok.MaxUses != 1 || !strings.HasPrefix(tok.ID, "iat_") {
		t.Fatalf("initial-token create --json = %+v", tok)
	}
	if strings.Contains(string(sqliteFiles(t, e)), tok.Token) {
		t.Error("the initial access token is stored in clear")
	}
	for _, bad := range [][]string{{"--expires", "30s"}, {"--expires", "400d"}, {"--uses", "-1"}, {"--expires", "soon"}} {
		if _, err := run(t, e, "", append([]string{"client", "initial-token", "create"}, bad...)...); err == nil {
			t.Errorf("initial-token create %v was accepted", bad)
		}
	}
	s := startServe(t, e)
	base := s.srv.URL()
	body := `{"client_name":"Bright Audits","grant_types":["client_credentials"],"response_types":[]}`
	if code, m := postJSON(t, base+oauth.PathRegister, "", body); code != http.StatusUnauthorized || m["error"] != "invalid_token" {
		t.Fatalf("registration without a token: %d %v, want 401 invalid_token (closed by default)", code, m)
	}
	code, m := postJSON(t, base+oauth.PathRegister, tok.Token, body)
	if code != http.StatusCreated {
		t.Fatalf("registration with the CLI's token: %d %v", code, m)
	}
	id, secret := m["client_id"].(string), m["client_secret"].(string)
	if code, tr := postForm(t, base+"/oauth2/token", id, secret, url.Values{"grant_type": {"client_credentials"}}); code != http.StatusOK {
		t.Fatalf("the registered client's token request: %d %s", code, tr)
	}
	if code, m := postJSON(t, base+oauth.PathRegister, tok.Token, body); code != http.StatusUnauthorized || !strings.Contains(m["error_description"].(string), "used up") {
		t.Fatalf("a second registration with a one-use token: %d %v", code, m)
	}
	list := mustJSON[[]oauth.InitialAccessTokenJSON](t, e, "client", "initial-token", "list", "--json")
	if len(list) != 1 || list[0].Uses != 1 || list[0].Token != "" {
		t.Errorf("initial-token list = %+v, want the one token, used once, without its secret", list)
	}
	if out := mustRun(t, e, "", "client", "initial-token", "list"); !strings.Contains(out, "used up") {
		t.Errorf("initial-token list does not say the token is used up:\n%s", out)
	}

	admin := mustJSON[clientJSON](t, e, "client", "create", "--name", "Ops", "--grant-types", "client_credentials", "--scopes", "keypad:clients", "--json")
	code, tr := postForm(t, base+"/oauth2/token", admin.ClientID, admin.ClientSecret, url.Values{"grant_type": {"client_credentials"}, "scope": {"keypad:clients"}})
	var at struct {
		AccessToken string `json:"access_token"`
	}
	if json.Unmarshal(tr, &at); code != http.StatusOK || at.AccessToken == "" {
		t.Fatalf("admin token: %d %s", code, tr)
	}
	adminBase := strings.TrimSuffix(s.srv.MetricsURL(), "/metrics")
	if code, _ := postJSON(t, base+oauth.PathInitialAccessTokens, at.AccessToken, `{}`); code != http.StatusNotFound {
		t.Errorf("the public listener serves the admin endpoint without admin_public: %d", code)
	}
	code, m = postJSON(t, adminBase+oauth.PathInitialAccessTokens, at.AccessToken, `{"uses":2}`)
	if code != http.StatusCreated || m["created_by"] != admin.ClientID {
		t.Fatalf("admin listener: %d %v", code, m)
	}
	if code, m := postJSON(t, base+oauth.PathRegister, m["token"].(string), body); code != http.StatusCreated {
		t.Fatalf("registration with the admin endpoint's token: %d %v", code, m)
	}

	mustRun(t, e, "", "client", "initial-token", "delete", tok.ID)
	if _, err := run(t, e, "", "client", "initial-token", "delete", tok.ID); err == nil || !strings.Contains(err.Error(), "no initial access token") {
		t.Errorf("second delete = %v", err)
	}
	for _, secret := range []string{tok.Token, m["token"].(string), secret} {
		if strings.Contains(s.logs.String(), secret) {
			t.Errorf("the log contains a secret %.12s...", secret)
		}
	}
}

// TestInitialTokenAdminPublic: with admin_public the public listener
// serves the admin endpoint too, still only to an admin-scoped token.
func TestInitialTokenAdminPublic(t *testing.T) {
	e := migrated(t)
	admin := mustJSON[clientJSON](t, e, "client", "create", "--name", "Ops", "--grant-types", "client_credentials", "--scopes", "keypad:clients api:read", "--json")
	s := startServe(t, e, "--admin-public")
	base := s.srv.URL()
	token := func(scope string) string {
		code, tr := postForm(t, base+"/oauth2/token", admin.ClientID, admin.ClientSecret, url.Values{"grant_type": {"client_credentials"}, "scope": {scope}})
		var at struct {
			AccessToken string `json:"access_token"`
		}
		if json.Unmarshal(tr, &at); code != http.StatusOK {
			t.Fatalf("token: %d %s", code, tr)
		}
		return at.AccessToken
	}
	if code, m := postJSON(t, base+oauth.PathInitialAccessTokens, token("keypad:clients"), `{}`); code != http.StatusCreated {
		t.Fatalf("admin_public: %d %v", code, m)
	}
	if code, m := postJSON(t, base+oauth.PathInitialAccessTokens, token("api:read"), `{}`); code != http.StatusForbidden || m["error"] != "insufficient_scope" {
		t.Fatalf("a token without keypad:clients: %d %v", code, m)
	}
}

// TestSoftwareStatementAuthorities: registration.authorities names one
// authority by a JWK Set file and one by a jwks_uri; with
// registration.require_software_statement and registration.open, the
// binary registers a client whose statement either signed, and refuses
// one without.
func TestSoftwareStatementAuthorities(t *testing.T) {
	e := migrated(t)
	fileKey, uriKey := dpoptest.NewKey(t, "ES256"), dpoptest.NewKey(t, "EdDSA")
	jwksFile := filepath.Join(t.TempDir(), "directory.jwks")
	writeFile(t, jwksFile, string(fileKey.JWKS("dir-1")))
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Write(uriKey.JWKS("fed-1"))
	}))
	t.Cleanup(jwks.Close)
	s := startServe(t, e, "--registration-open", "--registration-require-software-statement", "--client-jwks-allow-private",
		"--registration-authorities", "https://directory.example "+jwksFile+",https://federation.example "+jwks.URL+"/jwks")
	base := s.srv.URL()
	now := time.Now().Unix()
	for _, c := range []struct {
		iss, alg, kid string
		key           *dpoptest.Key
	}{
		{"https://directory.example", "ES256", "dir-1", fileKey},
		{"https://federation.example", "EdDSA", "fed-1", uriKey},
	} {
		st := c.key.JWT(t, map[string]any{"alg": c.alg, "kid": c.kid}, map[string]any{
			"iss": c.iss, "iat": now, "exp": now + 600, "software_id": "bright", "client_name": "Bright (vetted)",
			"grant_types": []string{"client_credentials"}, "response_types": []string{},
		})
		code, m := postJSON(t, base+oauth.PathRegister, "", `{"client_name":"Other","software_statement":"`+st+`"}`)
		if code != http.StatusCreated || m["client_name"] != "Bright (vetted)" {
			t.Errorf("statement of %s: %d %v", c.iss, code, m)
		}
	}
	if code, m := postJSON(t, base+oauth.PathRegister, "", `{"client_name":"Other","grant_types":["client_credentials"],"response_types":[]}`); code != http.StatusBadRequest || m["error"] != "invalid_software_statement" {
		t.Errorf("no statement: %d %v", code, m)
	}
}
