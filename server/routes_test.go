package server

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestFallback checks the answers to requests no route takes: 405 with
// Allow for a known endpoint asked with another method, the hosted 404
// page otherwise, counted as unmatched.
func TestFallback(t *testing.T) {
	cfg := testConfig(t)
	cfg.AutoMigrate = true
	s, _ := startServer(t, cfg, Options{})
	do := func(method, path string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(method, s.URL()+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}
	tests := []struct {
		name, method, path string
		status             int
		allow, body        string
	}{
		{"ErrTokenByGET", "GET", "/oauth2/token", http.StatusMethodNotAllowed, "POST", `"error":"invalid_request"`},
		{"ErrHealthzByPOST", "POST", "/healthz", http.StatusMethodNotAllowed, "GET, HEAD", `"error":"invalid_request"`},
		{"ErrDeviceAuthorizationByGET", "GET", "/oauth2/device_authorization", http.StatusMethodNotAllowed, "POST", `"error":"invalid_request"`},
		{"ErrRevokeByGET", "GET", "/oauth2/revoke", http.StatusMethodNotAllowed, "POST", `use POST`},
		{"ErrPageByPUT", "PUT", "/device", http.StatusMethodNotAllowed, "GET", ""},
		{"ErrNotFound", "GET", "/no/such/thing", http.StatusNotFound, "", "Page not found"},
		{"ErrNotFoundUnderRoot", "GET", "/x", http.StatusNotFound, "", "Enter a code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(tt.method, tt.path)
			if resp.StatusCode != tt.status {
				t.Fatalf("%s %s = %d, want %d", tt.method, tt.path, resp.StatusCode, tt.status)
			}
			if got := resp.Header.Get("Allow"); !strings.Contains(got, tt.allow) {
				t.Errorf("Allow = %q, want %q in it", got, tt.allow)
			}
			if !strings.Contains(body, tt.body) {
				t.Errorf("body lacks %q:\n%s", tt.body, body)
			}
		})
	}
	if resp, _ := do("GET", "/oauth2/token"); resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("405 Content-Type = %q, want application/json", resp.Header.Get("Content-Type"))
	}
	_, metrics := get(t, s.MetricsURL())
	if !strings.Contains(metrics, `keypad_http_requests_total{endpoint="unmatched",outcome="404"} 2`) {
		t.Errorf("the 404s are not counted as unmatched:\n%s", grepLines(metrics, "keypad_http_requests_total"))
	}
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestLandingPage checks that the issuer's root says what the server is
// and links discovery and the person's pages, instead of a 404.
func TestLandingPage(t *testing.T) {
	cfg := testConfig(t)
	cfg.AutoMigrate = true
	s, _ := startServer(t, cfg, Options{})
	status, body := get(t, s.URL()+"/")
	if status != http.StatusOK {
		t.Fatalf("GET / = %d, want 200:\n%s", status, body)
	}
	for _, want := range []string{
		"OAuth 2.0 authorization server", `href="/.well-known/oauth-authorization-server"`,
		`href="/device"`, `href="/account/devices"`, `href="/.well-known/jwks.json"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("landing page lacks %s", want)
		}
	}
	if status, _ := get(t, s.URL()+"/nope"); status != http.StatusNotFound {
		t.Errorf("GET /nope = %d, want 404", status)
	}
}

// TestMetricsOnAdminListener checks that /metrics is served on the admin
// listener only: the public listener, where anyone can read it around an
// OTP send, answers 404.
func TestMetricsOnAdminListener(t *testing.T) {
	cfg := testConfig(t)
	cfg.AutoMigrate = true
	s, _ := startServer(t, cfg, Options{})
	if status, _ := get(t, s.URL()+"/healthz"); status != http.StatusOK {
		t.Fatalf("GET /healthz = %d", status)
	}
	if status, _ := get(t, s.URL()+"/metrics"); status != http.StatusNotFound {
		t.Errorf("public GET /metrics = %d, want 404", status)
	}
	if s.MetricsAddr() == nil || s.MetricsAddr().String() == s.Addr().String() {
		t.Fatalf("MetricsAddr = %v, want its own listener beside %v", s.MetricsAddr(), s.Addr())
	}
	status, body := get(t, s.MetricsURL())
	if status != http.StatusOK || !strings.Contains(body, `keypad_http_requests_total{endpoint="GET /healthz",outcome="200"} 1`) {
		t.Errorf("admin GET /metrics = %d, want 200 counting the /healthz call:\n%s", status, grepLines(body, "keypad_http_requests_total"))
	}
}

// TestMetricsOff checks that metrics_addr: off opens no admin listener.
func TestMetricsOff(t *testing.T) {
	cfg := testConfig(t)
	cfg.AutoMigrate = true
	cfg.MetricsAddr = "off"
	s, _ := startServer(t, cfg, Options{})
	if s.MetricsAddr() != nil || s.MetricsURL() != "" {
		t.Errorf("MetricsAddr = %v, URL %q with metrics off, want none", s.MetricsAddr(), s.MetricsURL())
	}
}
