package server

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestStoreOutage closes the store under a running server, as a database
// outage would, and checks that every kind of endpoint answers 503 with
// Retry-After: the JSON endpoints temporarily_unavailable (RFC 6749
// §4.1.2.1), the hosted pages a page saying to try again shortly.
func TestStoreOutage(t *testing.T) {
	cfg := testConfig(t)
	cfg.AutoMigrate = true
	s, logs := startServer(t, cfg, Options{})
	form := url.Values{"client_id": {"no-such-client"}, "client_secret": {"kp_cs_x"}, "grant_type": {"client_credentials"}, "token": {"kp_at_x"}}
	post := func(path string) *http.Response {
		t.Helper()
		resp, err := http.PostForm(s.URL()+path, form)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	if resp := post("/oauth2/token"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("token request while the store is up = %d, want 401", resp.StatusCode)
	}

	if err := s.Store().Close(); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/oauth2/token", "/oauth2/introspect", "/oauth2/revoke", "/oauth2/device_authorization"} {
		t.Run(strings.ReplaceAll(path, "/", "_"), func(t *testing.T) {
			resp := post(path)
			defer resp.Body.Close()
			var body struct{ Error, ErrorDescription string }
			json.NewDecoder(resp.Body).Decode(&body)
			if resp.StatusCode != http.StatusServiceUnavailable || body.Error != "temporarily_unavailable" {
				t.Errorf("POST %s = %d %q, want 503 temporarily_unavailable", path, resp.StatusCode, body.Error)
			}
			if got := resp.Header.Get("Retry-After"); got != "5" {
				t.Errorf("Retry-After = %q, want 5", got)
			}
		})
	}
	t.Run("Page", func(t *testing.T) {
		resp, err := http.PostForm(s.URL()+"/device", url.Values{"user_code": {"BCDF-GHJK"}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(b), "try again in a few seconds") {
			t.Errorf("POST /device = %d (Retry-After %q), want 503 with a page saying to try again:\n%s",
				resp.StatusCode, resp.Header.Get("Retry-After"), b)
		}
	})
	if strings.Contains(logs.String(), "level=ERROR msg=\"panic") {
		t.Errorf("a handler panicked:\n%s", logs)
	}
}

// TestStoreOutageAuthorize checks the authorization endpoint during an
// outage: the person sees a try-again page (503, Retry-After), not a
// "this sign-in link is not valid" one.
func TestStoreOutageAuthorize(t *testing.T) {
	cfg := testConfig(t)
	cfg.AutoMigrate = true
	s, _ := startServer(t, cfg, Options{})
	if err := s.Store().Close(); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(s.URL() + "/oauth2/authorize?response_type=code&client_id=app&redirect_uri=https://app.example/cb&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(b), "try again in a few seconds") {
		t.Errorf("GET /oauth2/authorize = %d (Retry-After %q), want 503 with a try-again page:\n%s", resp.StatusCode, resp.Header.Get("Retry-After"), b)
	}
}
