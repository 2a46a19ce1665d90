package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/config"
)

// benchServer starts a server as `keypad serve` would run it (SQLite,
// info-level text logs, here to io.Discard) with one confidential client
// of the given token format, and returns an HTTP client with enough idle
// connections for the parallel load.
func benchServer(b *testing.B, format keypad.TokenFormat, mutate func(*config.Config)) (*Server, *http.Client) {
	b.Helper()
	cfg := config.Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.DB = "sqlite:" + b.TempDir() + "/keypad.db"
	cfg.AutoMigrate = true
	if mutate != nil {
		mutate(&cfg)
	}
	s, err := New(context.Background(), cfg, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	go s.Serve()
	b.Cleanup(func() { s.Close() })
	now := time.Now()
	if err := s.store.CreateClient(context.Background(), &keypad.Client{
		ID: "bench", Name: "bench", SecretHash: keypad.SecretHash(benchSecret),
		GrantTypes: []string{keypad.GrantClientCredentials}, Scopes: []string{"read", "write"},
		TokenFormat: format, CreatedAt: now, UpdatedAt: now,
	}); err != nil {
		b.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.Cleanup(client.CloseIdleConnections)
	return s, client
}

const benchSecret = "kp_cs_benchmarkbenchmarkbenchmarkbenchmark123"

// post sends an authenticated form and fails the benchmark on anything
// but 200.
func post(b *testing.B, c *http.Client, endpoint string, form string) []byte {
	req, _ := http.NewRequest("POST", endpoint, strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("bench", benchSecret)
	resp, err := c.Do(req)
	if err != nil {
		b.Error(err)
		return nil
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Errorf("%s: %d %s", endpoint, resp.StatusCode, body)
	}
	return body
}

// BenchmarkToken measures client_credentials tokens over real HTTP on
// loopback, client and server in this process (see docs/performance.md).
func BenchmarkToken(b *testing.B) {
	for _, format := range []keypad.TokenFormat{keypad.FormatJWT, keypad.FormatOpaque} {
		for _, cache := range []time.Duration{0, 5 * time.Second} {
			name := string(format) + "/client_cache_ttl=" + config.FormatDuration(cache)
			b.Run(name, func(b *testing.B) {
				s, c := benchServer(b, format, func(cfg *config.Config) { cfg.ClientCacheTTL = cache })
				endpoint := s.URL() + "/oauth2/token"
				form := url.Values{"grant_type": {"client_credentials"}, "scope": {"read"}}.Encode()
				b.SetParallelism(8)
				cpu := cpuTime()
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						post(b, c, endpoint, form)
					}
				})
				reportRates(b, cpu, "tokens/s")
			})
		}
	}
}

// BenchmarkIntrospect measures introspection of one active token.
func BenchmarkIntrospect(b *testing.B) {
	for _, format := range []keypad.TokenFormat{keypad.FormatJWT, keypad.FormatOpaque} {
		b.Run(string(format), func(b *testing.B) {
			s, c := benchServer(b, format, nil)
			var tok struct {
				AccessToken string `json:"access_token"`
			}
			body := post(b, c, s.URL()+"/oauth2/token", "grant_type=client_credentials")
			if err := json.Unmarshal(body, &tok); err != nil || tok.AccessToken == "" {
				b.Fatalf("token: %s", body)
			}
			endpoint := s.URL() + "/oauth2/introspect"
			form := url.Values{"token": {tok.AccessToken}}.Encode()
			b.SetParallelism(8)
			cpu := cpuTime()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if !strings.Contains(string(post(b, c, endpoint, form)), `"active":true`) {
						b.Error("token not active")
					}
				}
			})
			reportRates(b, cpu, "req/s")
		})
	}
}

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportRates reports the rate achieved and the CPU time per request
// (client and server together, as both run in this process). On a shared
// machine the rate depends on what else runs; the CPU time per request
// much less, and runtime.NumCPU() divided by it bounds the rate an idle
// machine reaches.
func reportRates(b *testing.B, cpuBefore time.Duration, unit string) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), unit)
	perOp := float64(cpuTime()-cpuBefore) / float64(b.N)
	b.ReportMetric(perOp/1e3, "cpu-µs/op")
}
