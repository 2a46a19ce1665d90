package energy

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad/internal/testclock"
)

// customers are the API's customers, by keypad subject (see people).
var customers = map[string]Customer{
	"sub-heather": {Key: "100200300", ServiceAddress: "123 Main St"},
	"sub-bob":     {Key: "100200301"},
}

// env is the API on a real HTTP server, trusting a real keypad; both run
// on one test clock standing at dataEnd.
type env struct {
	kp    *testKeypad
	clock *testclock.Clock
	api   *httptest.Server
	calls *countingTransport // the API's requests to keypad
}

// newEnv starts keypad and the API, configured by mod.
func newEnv(t *testing.T, mod func(*Config)) *env {
	t.Helper()
	clock := testclock.New(dataEnd)
	return newAPI(t, startKeypad(t, clock), mod)
}

// newAPI starts another API in front of kp, configured by mod: it knows
// keypad's issuer URL and authenticates for introspection as apiClient.
func newAPI(t *testing.T, kp *testKeypad, mod func(*Config)) *env {
	t.Helper()
	e := &env{kp: kp, clock: kp.clock, calls: &countingTransport{base: kp.transport, n: map[string]int{}}}
	cfg := Config{
		Issuer: kp.url, ClientID: apiClient, ClientSecret: kp.secrets[apiClient],
		Customers: CustomerMap(customers), Seed: 42, Now: e.clock.Now,
		HTTPClient: &http.Client{Transport: e.calls},
		Logger:     slog.New(slog.DiscardHandler),
	}
	if mod != nil {
		mod(&cfg)
	}
	h, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e.api = httptest.NewServer(h)
	t.Cleanup(e.api.Close)
	return e
}

// token is a fresh ES256 JWT access token keypad issues to username for
// every scope the app may have, usage:read among them.
func (e *env) token(t *testing.T, username string) string {
	t.Helper()
	return e.kp.token(t, appJWT, username, "")
}

// get calls the API; tok "" sends no Authorization header.
func (e *env) get(t *testing.T, path, tok string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("GET", e.api.URL+path, nil)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("GET %s: decode: %v", path, err)
	}
	return resp, body
}

func TestUsagePoints(t *testing.T) {
	e := newEnv(t, nil)
	heather := UsagePointID("100200300")

	t.Run("OK", func(t *testing.T) {
		resp, body := e.get(t, "/api/usage-points", e.token(t, "heather"))
		if resp.StatusCode != 200 {
			t.Fatalf("status %d, body %v", resp.StatusCode, body)
		}
		points := body["usage_points"].([]any)
		if len(points) != 1 {
			t.Fatalf("got %d usage points, want 1", len(points))
		}
		p := points[0].(map[string]any)
		if p["id"] != heather || p["service_location"] != "123 Main St" {
			t.Errorf("got %v, want id %s at 123 Main St", p, heather)
		}
		if got := resp.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("Cache-Control = %q, want no-store", got)
		}
	})
	t.Run("NotACustomer", func(t *testing.T) {
		_, body := e.get(t, "/api/usage-points", e.token(t, "stranger"))
		if points := body["usage_points"].([]any); len(points) != 0 {
			t.Errorf("a stranger sees %v, want none", points)
		}
	})
	t.Run("ErrOtherSubjectsPoint", func(t *testing.T) {
		for _, path := range []string{
			"/api/usage-points/" + heather,
			"/api/usage-points/" + heather + "/monthly",
			"/api/usage-points/" + heather + "/meter-readings/hourly/interval-blocks",
		} {
			resp, _ := e.get(t, path, e.token(t, "bob"))
			if resp.StatusCode != 404 {
				t.Errorf("bob GET %s: status %d, want 404", path, resp.StatusCode)
			}
		}
	})
	t.Run("ErrUnknownMeterReading", func(t *testing.T) {
		resp, _ := e.get(t, "/api/usage-points/"+heather+"/meter-readings/daily/interval-blocks", e.token(t, "heather"))
		if resp.StatusCode != 404 {
			t.Errorf("status %d, want 404", resp.StatusCode)
		}
	})
}

func TestMonthly(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.PricePerKWh = 0.20 })
	resp, body := e.get(t, "/api/usage-points/"+UsagePointID("100200300")+"/monthly", e.token(t, "heather"))
	if resp.StatusCode != 200 {
		t.Fatalf("status %d, body %v", resp.StatusCode, body)
	}
	want := GenerateUsage(42, "100200300", 13, dataEnd).Months()
	months := body["months"].([]any)
	if len(months) != len(want) {
		t.Fatalf("got %d months, want %d", len(months), len(want))
	}
	for i, m := range months {
		m := m.(map[string]any)
		if got := int64(m["wh"].(float64)); got != want[i].Wh {
			t.Errorf("month %d: %d Wh, want %d", i, got, want[i].Wh)
		}
		if got, w := m["month"], want[i].Start.Format("2006-01"); got != w {
			t.Errorf("month %d: %v, want %s", i, got, w)
		}
		if got, w := m["cost"].(float64), Cost(want[i].Wh, 0.20); got != w {
			t.Errorf("month %d: cost %v, want %v", i, got, w)
		}
	}
	if tariff := body["tariff"].(map[string]any); tariff["price_per_kwh"] != 0.20 || tariff["currency"] != "USD" {
		t.Errorf("tariff = %v, want 0.20 USD", tariff)
	}
}

func TestCost(t *testing.T) {
	tests := []struct {
		wh    int64
		price float64
		want  float64
	}{
		{1000, 0.16, 0.16},
		{812_345, 0.16, 129.98},
		{0, 0.16, 0},
		{1_234_567, 0.2, 246.91},
	}
	for _, tt := range tests {
		if got := Cost(tt.wh, tt.price); got != tt.want {
			t.Errorf("Cost(%d, %v) = %v, want %v", tt.wh, tt.price, got, tt.want)
		}
	}
}

func TestIntervalBlocks(t *testing.T) {
	e := newEnv(t, nil)
	base := "/api/usage-points/" + UsagePointID("100200300") + "/meter-readings/hourly/interval-blocks"
	tok := e.token(t, "heather")
	u := GenerateUsage(42, "100200300", 13, dataEnd)

	t.Run("OK", func(t *testing.T) {
		resp, body := e.get(t, base+"?start=2025-07-01T00:00:00Z&end=1751500800", tok) // end: 2025-07-03
		if resp.StatusCode != 200 {
			t.Fatalf("status %d, body %v", resp.StatusCode, body)
		}
		blocks := body["interval_blocks"].([]any)
		if len(blocks) != 2 {
			t.Fatalf("got %d blocks, want 2 (one a day)", len(blocks))
		}
		want := u.Readings(time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 7, 3, 0, 0, 0, 0, time.UTC))
		var got []int
		for _, b := range blocks {
			for _, r := range b.(map[string]any)["readings"].([]any) {
				got = append(got, int(r.(map[string]any)["value"].(float64)))
			}
		}
		if len(got) != len(want) {
			t.Fatalf("got %d readings, want %d", len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i].Wh {
				t.Errorf("reading %d: %d Wh, want %d", i, got[i], want[i].Wh)
			}
		}
	})
	t.Run("OKDefaultLastWeek", func(t *testing.T) {
		_, body := e.get(t, base, tok)
		if got := len(body["interval_blocks"].([]any)); got != 7 {
			t.Errorf("got %d blocks, want 7", got)
		}
	})
	for name, q := range map[string]string{
		"ErrTooLong":  "?start=2025-01-01T00:00:00Z&end=2025-03-01T00:00:00Z",
		"ErrReversed": "?start=2025-03-01T00:00:00Z&end=2025-01-01T00:00:00Z",
		"ErrBadTime":  "?start=yesterday",
	} {
		t.Run(name, func(t *testing.T) {
			resp, body := e.get(t, base+q, tok)
			if resp.StatusCode != 400 || body["error"] != "invalid_request" {
				t.Errorf("got %d %v, want 400 invalid_request", resp.StatusCode, body["error"])
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	if _, err := New(Config{Issuer: "http://x"}); err == nil || !strings.Contains(err.Error(), "Customers") {
		t.Errorf("New without Customers: err = %v, want one naming Customers", err)
	}
	if _, err := New(Config{Issuer: "not a url", Customers: CustomerMap(nil)}); err == nil {
		t.Error("New with a bad issuer: no error")
	}
}

// TestIndex checks that the API's root, asked without a token, says what
// the API is and where to start instead of answering 404.
func TestIndex(t *testing.T) {
	e := newEnv(t, nil)
	resp, body := e.get(t, "/", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET / = %d %v, want 200", resp.StatusCode, body)
	}
	eps, _ := body["endpoints"].(map[string]any)
	if body["issuer"] != e.kp.url || eps["usage_points"] != "/api/usage-points" || body["scope"] == "" {
		t.Errorf("GET / = %v, want the issuer %s, the scope and the usage_points endpoint", body, e.kp.url)
	}
	if resp, _ := e.get(t, "/nope", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /nope = %d, want 404", resp.StatusCode)
	}
}
