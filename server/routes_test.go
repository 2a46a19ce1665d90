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
		{"ErrTokenByGET", "GET", "/oauth2/token", http.StatusMethodNotAllowed, "POST", ""},
		{"ErrHealthzByPOST", "POST", "/healthz", http.StatusMethodNotAllowed, "GET", ""},
		{"ErrDeviceAuthorizationByGET", "GET", "/oauth2/device_authorization", http.StatusMethodNotAllowed, "POST", ""},
		{"ErrPageByPUT", "PUT", "/device", http.StatusMethodNotAllowed, "GET", ""},
		{"ErrNotFound", "GET", "/no/such/thing", http.StatusNotFound, "", "Page not found"},
		{"ErrNotFoundRoot", "GET", "/", http.StatusNotFound, "", "Enter a code"},
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
	_, metrics := do("GET", "/metrics")
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
