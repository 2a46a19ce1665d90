package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// introspection is the part of an RFC 7662 answer the tests check.
type introspection struct {
	Active    bool   `json:"active"`
	ClientID  string `json:"client_id"`
	Scope     string `json:"scope"`
	Sub       string `json:"sub"`
	Iss       string `json:"iss"`
	TokenType string `json:"token_type"`
	Iat       int64  `json:"iat"`
	Exp       int64  `json:"exp"`
}

// postForm posts an authenticated form to the server and returns the
// status and body.
func postForm(t *testing.T, endpoint, clientID, secret string, form url.Values) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest("POST", endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

func introspect(t *testing.T, base, clientID, secret, tok string) introspection {
	t.Helper()
	code, body := postForm(t, base+"/oauth2/introspect", clientID, secret, url.Values{"token": {tok}})
	var in introspection
	if err := json.Unmarshal(body, &in); code != http.StatusOK || err != nil {
		t.Fatalf("introspect: %d %s", code, body)
	}
	return in
}

// TestClientCredentialsEndToEnd is the acceptance story of the core: a
// client registered through the CLI gets a token with the standard Go
// OAuth library, introspects it (active), revokes it and introspects it
// again (inactive); for both token formats, on both databases.
func TestClientCredentialsEndToEnd(t *testing.T) {
	for _, b := range backends {
		for _, format := range []string{"jwt", "opaque"} {
			t.Run(b.name+"/"+format, func(t *testing.T) {
				e := b.env(t)
				if out := mustRun(t, e, "", "migrate"); !strings.Contains(out, "from schema version 0 to") {
					t.Errorf("migrate printed %q, want the versions", out)
				}
				s := startServe(t, e)
				base := s.srv.URL()

				c := mustJSON[clientJSON](t, e, "client", "create", "--name", "Billing service",
					"--grant-types", "client_credentials", "--scopes", "usage:read usage:write",
					"--token-format", format, "--json")
				if !strings.HasPrefix(c.ClientSecret, "kp_cs_") || c.ClientID == "" {
					t.Fatalf("client create --json = %+v, want an id and a kp_cs_ secret", c)
				}

				cc := clientcredentials.Config{
					ClientID: c.ClientID, ClientSecret: c.ClientSecret,
					TokenURL: base + "/oauth2/token", Scopes: []string{"usage:read"},
					AuthStyle: oauth2.AuthStyleInHeader,
				}
				tok, err := cc.Token(context.Background())
				if err != nil {
					t.Fatalf("client credentials token: %v", err)
				}
				switch format {
				case "jwt":
					if strings.Count(tok.AccessToken, ".") != 2 {
						t.Errorf("access token %q is not a JWT", tok.AccessToken)
					}
				case "opaque":
					if !strings.HasPrefix(tok.AccessToken, "kp_at_") {
						t.Errorf("access token %q is not a kp_at_ token", tok.AccessToken)
					}
				}
				if got, want := tok.Type(), "Bearer"; got != want {
					t.Errorf("token type %q, want %q", got, want)
				}

				in := introspect(t, base, c.ClientID, c.ClientSecret, tok.AccessToken)
				if !in.Active || in.ClientID != c.ClientID || in.Scope != "usage:read" || in.Iss != base {
					t.Errorf("introspection of a fresh token = %+v, want active for %s with scope usage:read from %s", in, c.ClientID, base)
				}

				if code, body := postForm(t, base+"/oauth2/revoke", c.ClientID, c.ClientSecret, url.Values{"token": {tok.AccessToken}}); code != http.StatusOK {
					t.Fatalf("revoke: %d %s", code, body)
				}
				if in := introspect(t, base, c.ClientID, c.ClientSecret, tok.AccessToken); in.Active {
					t.Errorf("introspection after revocation = %+v, want inactive", in)
				}

				// Neither the secret nor the token reaches the log.
				logs := s.logs.String()
				for _, secret := range []string{c.ClientSecret, tok.AccessToken} {
					if strings.Contains(logs, secret) {
						t.Errorf("the log contains a secret %.12s...", secret)
					}
				}
			})
		}
	}
}

// TestOperations checks the operational endpoints of a running server and
// what the metrics count after a token was issued.
func TestOperations(t *testing.T) {
	e := sqliteBackend.env(t)
	s := startServe(t, e, "--auto-migrate")
	base := s.srv.URL()
	c := mustJSON[clientJSON](t, e, "client", "create", "--name", "svc", "--grant-types", "client_credentials", "--scopes", "a", "--json")
	cc := clientcredentials.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, TokenURL: base + "/oauth2/token"}
	if _, err := cc.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	postForm(t, base+"/oauth2/token", c.ClientID, "kp_cs_wrong", url.Values{"grant_type": {"client_credentials"}})

	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}

	t.Run("Healthz", func(t *testing.T) {
		if resp, body := get("/healthz"); resp.StatusCode != http.StatusOK {
			t.Errorf("GET /healthz = %d %s", resp.StatusCode, body)
		}
	})
	t.Run("Readyz", func(t *testing.T) {
		if resp, body := get("/readyz"); resp.StatusCode != http.StatusOK {
			t.Errorf("GET /readyz = %d %s", resp.StatusCode, body)
		}
	})
	t.Run("Metrics", func(t *testing.T) {
		if resp, _ := get("/metrics"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET /metrics on the public listener = %d, want 404", resp.StatusCode)
		}
		if !strings.Contains(s.out.String(), "metrics on "+s.srv.MetricsURL()) {
			t.Errorf("serve did not print the metrics address %s:\n%s", s.srv.MetricsURL(), s.out.String())
		}
		resp, err := http.Get(s.srv.MetricsURL())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body := string(b)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d", s.srv.MetricsURL(), resp.StatusCode)
		}
		for _, want := range []string{
			`keypad_http_requests_total{endpoint="POST /oauth2/token",outcome="200"} 1`,
			`keypad_http_requests_total{endpoint="POST /oauth2/token",outcome="invalid_client"} 1`,
			`keypad_tokens_issued_total{format="jwt",grant_type="client_credentials"} 1`,
			`keypad_http_request_duration_seconds_count{endpoint="POST /oauth2/token"} 2`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	})
	t.Run("ErrWrongMethod", func(t *testing.T) {
		resp, body := get("/oauth2/token")
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("GET /oauth2/token = %d %s, want 405", resp.StatusCode, body)
		}
		if got := resp.Header.Get("Allow"); !strings.Contains(got, "POST") {
			t.Errorf("Allow = %q, want POST", got)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		if resp, _ := get("/no/such/thing"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET /no/such/thing = %d, want 404", resp.StatusCode)
		}
	})
	t.Run("SecurityHeaders", func(t *testing.T) {
		resp, _ := get("/.well-known/oauth-authorization-server")
		for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"} {
			if got := resp.Header.Get(k); got != want {
				t.Errorf("%s = %q, want %q", k, got, want)
			}
		}
		if resp.Header.Get("X-Request-Id") == "" {
			t.Error("no X-Request-Id")
		}
	})
}

func TestServeRefusesUnmigratedDatabase(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			_, err := run(t, b.env(t), "", "serve", "--addr", "127.0.0.1:0")
			if err == nil || !strings.Contains(err.Error(), "run `keypad migrate` first") {
				t.Errorf("serve on an empty database = %v, want the migrate hint", err)
			}
		})
	}
}

func TestServeRejectsBadConfig(t *testing.T) {
	e := sqliteBackend.env(t)
	tests := []struct {
		name string
		env  env
		args []string
		want string
	}{
		{"ErrFlag", e, []string{"--access-ttl", "48h"}, "access_ttl: 48h is out of range: allowed 1m to 24h"},
		{"ErrFlagSyntax", e, []string{"--refresh-ttl", "forever"}, `--refresh-ttl (refresh_ttl): "forever" is not a duration`},
		{"ErrEnv", e.with("KEYPAD_LOG_LEVEL", "loud"), nil, `log_level: "loud" is not one of debug, info, warn, error`},
		{"ErrIssuer", e.with("KEYPAD_ISSUER", "http://auth.example.com"), nil, "issuer: \"http://auth.example.com\" must use https"},
		{"ErrUnknownFlag", e, []string{"--acces-ttl", "1h"}, "unknown flag: --acces-ttl (see `keypad serve --help`)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := run(t, tt.env, "", append([]string{"serve", "--addr", "127.0.0.1:0", "--auto-migrate"}, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("serve = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestServeConfigFile(t *testing.T) {
	e := sqliteBackend.env(t)
	file := t.TempDir() + "/keypad.yaml"
	writeFile(t, file, "access_ttl: 5m\nlog_format: json\nauto_migrate: true\n")
	s := startServe(t, e.with("KEYPAD_CONFIG", file))
	c := mustJSON[clientJSON](t, e, "client", "create", "--name", "svc", "--grant-types", "client_credentials", "--json")
	cc := clientcredentials.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, TokenURL: s.srv.URL() + "/oauth2/token"}
	tok, err := cc.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	in := introspect(t, s.srv.URL(), c.ClientID, c.ClientSecret, tok.AccessToken)
	if got, want := in.Exp-in.Iat, int64(300); got != want {
		t.Errorf("exp - iat = %d, want %d from access_ttl in the config file", got, want)
	}

	writeFile(t, file, "acces_ttl: 5m\n")
	if _, err := run(t, e, "", "serve", "--config", file); err == nil || !strings.Contains(err.Error(), "acces_ttl: unknown key") {
		t.Errorf("serve with a misspelt key = %v, want an unknown-key error", err)
	}
}

// TestServeStopsGracefully cancels serve's context (what SIGTERM does) and
// expects a clean exit.
func TestServeStopsGracefully(t *testing.T) {
	s := startServe(t, sqliteBackend.env(t), "--auto-migrate")
	if !strings.Contains(s.out.String(), "keypad listening on "+s.srv.URL()) {
		t.Errorf("serve printed %q, want the listening URL", s.out)
	}
	if err := s.stop(); err != nil {
		t.Errorf("serve after cancel = %v, want nil", err)
	}
	if !strings.Contains(s.out.String(), "keypad shutting down") {
		t.Errorf("serve printed %q, want a shutdown notice", s.out)
	}
	if resp, err := http.Get(s.srv.URL() + "/healthz"); err == nil {
		resp.Body.Close()
		t.Error("the server still answers after shutdown")
	}
}
