package server

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/keypadauth/keypad/metrics"
	dto "github.com/prometheus/client_model/go"
)

// syncBuffer is a log sink that handlers may write to concurrently.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newInstrumented serves a small mux behind the middleware.
func newInstrumented(t *testing.T) (*httptest.Server, *metrics.Metrics, *syncBuffer) {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ok", func(w http.ResponseWriter, r *http.Request) {
		slog.New(contextHandler{slog.NewJSONHandler(io.Discard, nil)}).InfoContext(r.Context(), "x")
		w.Header().Set("X-Seen-Request-Id", RequestID(r.Context()))
		io.WriteString(w, "ok")
	})
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("GET /panic", func(w http.ResponseWriter, r *http.Request) {
		panic("kaboom: internal detail")
	})
	mux.HandleFunc("GET /abort", func(w http.ResponseWriter, r *http.Request) {
		panic(http.ErrAbortHandler)
	})
	mux.HandleFunc("POST /oauth-error", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":"invalid_client","error_description":"nope"}`)
	})
	mux.HandleFunc("GET /page", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'")
	})
	logs := &syncBuffer{}
	m := metrics.New()
	h := &instrument{
		next:    mux,
		log:     slog.New(contextHandler{slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})}),
		metrics: m,
		ids:     &requestIDs{prefix: "test"},
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts, m, logs
}

func do(t *testing.T, method, url string, body io.Reader, header http.Header) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func counter(t *testing.T, m *metrics.Metrics, endpoint, outcome string) float64 {
	t.Helper()
	var pb dto.Metric
	if err := m.Requests.WithLabelValues(endpoint, outcome).Write(&pb); err != nil {
		t.Fatal(err)
	}
	return pb.GetCounter().GetValue()
}

func TestSecurityHeaders(t *testing.T) {
	ts, _, _ := newInstrumented(t)
	for _, path := range []string{"/ok", "/nowhere", "/panic"} {
		resp := do(t, "GET", ts.URL+path, nil, nil)
		for k, want := range securityHeaders {
			if got := resp.Header.Get(k); got != want {
				t.Errorf("GET %s: %s = %q, want %q", path, k, got, want)
			}
		}
		if got := resp.Header.Get("Strict-Transport-Security"); got != "" {
			t.Errorf("GET %s: HSTS %q on a plain-http server", path, got)
		}
	}
	resp := do(t, "GET", ts.URL+"/page", nil, nil)
	if got, want := resp.Header.Get("Content-Security-Policy"), "default-src 'self'"; got != want {
		t.Errorf("a handler's own CSP: got %q, want %q", got, want)
	}
}

func TestRequestID(t *testing.T) {
	ts, _, logs := newInstrumented(t)
	t.Run("Generated", func(t *testing.T) {
		resp := do(t, "GET", ts.URL+"/ok", nil, nil)
		id := resp.Header.Get("X-Request-Id")
		if !strings.HasPrefix(id, "test-") {
			t.Errorf("X-Request-Id = %q, want a generated test-NNNNNN", id)
		}
		if got := resp.Header.Get("X-Seen-Request-Id"); got != id {
			t.Errorf("handler saw request ID %q, response says %q", got, id)
		}
		if !strings.Contains(logs.String(), `"request_id":"`+id+`"`) {
			t.Errorf("log does not carry request_id %q:\n%s", id, logs)
		}
	})
	t.Run("Echoed", func(t *testing.T) {
		resp := do(t, "GET", ts.URL+"/ok", nil, http.Header{"X-Request-Id": {"from-proxy.42"}})
		if got, want := resp.Header.Get("X-Request-Id"), "from-proxy.42"; got != want {
			t.Errorf("X-Request-Id = %q, want %q", got, want)
		}
	})
	t.Run("ErrReplacedWhenUnsafe", func(t *testing.T) {
		resp := do(t, "GET", ts.URL+"/ok", nil, http.Header{"X-Request-Id": {`a"b c`}})
		if got := resp.Header.Get("X-Request-Id"); !strings.HasPrefix(got, "test-") {
			t.Errorf("X-Request-Id = %q, want a generated one instead of the unsafe value", got)
		}
	})
	t.Run("Unique", func(t *testing.T) {
		a := do(t, "GET", ts.URL+"/ok", nil, nil).Header.Get("X-Request-Id")
		b := do(t, "GET", ts.URL+"/ok", nil, nil).Header.Get("X-Request-Id")
		if a == b {
			t.Errorf("two requests got the same ID %q", a)
		}
	})
}

func TestPanicRecovery(t *testing.T) {
	ts, m, logs := newInstrumented(t)
	resp := do(t, "GET", ts.URL+"/panic", nil, nil)
	if got, want := resp.StatusCode, http.StatusInternalServerError; got != want {
		t.Errorf("status = %d, want %d", got, want)
	}
	body, _ := io.ReadAll(resp.Body)
	var e struct{ Error, ErrorDescription string }
	if err := json.Unmarshal(body, &e); err != nil || e.Error != "server_error" {
		t.Errorf("body = %s, want a JSON server_error", body)
	}
	if bytes.Contains(body, []byte("kaboom")) || bytes.Contains(body, []byte("goroutine")) {
		t.Errorf("body leaks the panic or a stack trace: %s", body)
	}
	if !strings.Contains(logs.String(), "kaboom") {
		t.Errorf("the panic is not logged:\n%s", logs)
	}
	if got := counter(t, m, "GET /panic", "server_error"); got != 1 {
		t.Errorf("requests{GET /panic, server_error} = %v, want 1", got)
	}

	// The server survives and keeps answering.
	if resp := do(t, "GET", ts.URL+"/ok", nil, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("after a panic: status %d, want 200", resp.StatusCode)
	}
}

func TestAbortHandlerIsNotAnError(t *testing.T) {
	ts, _, logs := newInstrumented(t)
	req, _ := http.NewRequest("GET", ts.URL+"/abort", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("GET /abort answered %d, want the connection aborted", resp.StatusCode)
	}
	if strings.Contains(logs.String(), "panic serving request") {
		t.Errorf("http.ErrAbortHandler was logged as a panic:\n%s", logs)
	}
}

func TestMetricsByPatternAndOutcome(t *testing.T) {
	ts, m, _ := newInstrumented(t)
	do(t, "GET", ts.URL+"/items/1", nil, nil)
	do(t, "GET", ts.URL+"/items/2", nil, nil)
	do(t, "POST", ts.URL+"/oauth-error", nil, nil)
	do(t, "GET", ts.URL+"/random/scanner/path", nil, nil)
	resp := do(t, "DELETE", ts.URL+"/ok", nil, nil)
	if got, want := resp.StatusCode, http.StatusMethodNotAllowed; got != want {
		t.Errorf("DELETE /ok: status %d, want %d", got, want)
	}

	tests := []struct {
		endpoint, outcome string
		want              float64
	}{
		{"GET /items/{id}", "200", 2},
		{"POST /oauth-error", "invalid_client", 1},
		{unmatched, "404", 1},
		{unmatched, "405", 1},
	}
	for _, tt := range tests {
		if got := counter(t, m, tt.endpoint, tt.outcome); got != tt.want {
			t.Errorf("requests{%q, %q} = %v, want %v", tt.endpoint, tt.outcome, got, tt.want)
		}
	}
}

func TestAccessLogKeepsSecretsOut(t *testing.T) {
	ts, _, logs := newInstrumented(t)
	do(t, "POST", ts.URL+"/oauth-error?token=kp_at_querysecret", strings.NewReader("client_secret=kp_cs_bodysecret"),
		http.Header{
			"Authorization": {"Basic a3BfY3NfaGVhZGVyc2VjcmV0"},
			"Content-Type":  {"application/x-www-form-urlencoded"},
		})
	out := logs.String()
	for _, secret := range []string{"querysecret", "bodysecret", "a3BfY3NfaGVhZGVyc2VjcmV0", "token="} {
		if strings.Contains(out, secret) {
			t.Errorf("the access log contains %q:\n%s", secret, out)
		}
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &line); err != nil {
		t.Fatalf("want one JSON log line, got %q: %v", out, err)
	}
	for k, want := range map[string]any{
		"msg": "request", "method": "POST", "route": "POST /oauth-error", "path": "/oauth-error",
		"status": float64(401), "outcome": "invalid_client", "remote": "127.0.0.1",
	} {
		if got := line[k]; got != want {
			t.Errorf("log %s = %v, want %v", k, got, want)
		}
	}
	for _, k := range []string{"duration", "request_id", "bytes"} {
		if _, ok := line[k]; !ok {
			t.Errorf("log line lacks %s: %s", k, out)
		}
	}
}

func TestHSTSOnlyForHTTPSIssuer(t *testing.T) {
	h := &instrument{next: http.NotFoundHandler(), log: slog.New(slog.DiscardHandler), ids: &requestIDs{prefix: "t"}, hsts: true}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if got, want := rec.Header().Get("Strict-Transport-Security"), "max-age=63072000"; got != want {
		t.Errorf("Strict-Transport-Security = %q, want %q", got, want)
	}
}
