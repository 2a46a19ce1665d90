package oauth

import (
	"flag"
	"io"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
)

// Benchmarks run the real endpoint over real HTTP (keep-alive clients, many
// goroutines) on a real SQLite store:
//
//	go test ./oauth -run '^$' -bench . -benchtime 3s [-clientcache=0]
//
// req/s is the figure to watch on a quiet machine; cpu-µs/op (server and
// clients together) is the one that neighbours on a shared machine do not
// move.

func benchClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}}
}

// benchPost sends the same form over and over from parallel goroutines.
func benchPost(b *testing.B, e *env, path, body string, auth func(*http.Request)) {
	c := benchClient()
	defer c.CloseIdleConnections()
	b.SetParallelism(8)
	b.ResetTimer()
	cpu0 := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodPost, e.ts.URL+path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			auth(req)
			resp, err := c.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}

// cpuTime is the CPU time this process used so far (server and benchmark
// clients together). On a shared machine wall-clock throughput depends on
// the neighbours; CPU per request does not, and 2 cores / cpu-µs/op is the
// throughput an idle 2-core machine would reach.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkClientCredentials(b *testing.B) {
	for _, format := range []keypad.TokenFormat{keypad.FormatJWT, keypad.FormatOpaque} {
		b.Run(string(format), func(b *testing.B) {
			e := newEnv(b, benchConfig).start()
			secret := e.mustClient(service("svc", format, "read", "write"))
			benchPost(b, e, PathToken, "grant_type=client_credentials&scope=read", basic("svc", secret))
		})
	}
}

func BenchmarkIntrospect(b *testing.B) {
	for _, format := range []keypad.TokenFormat{keypad.FormatJWT, keypad.FormatOpaque} {
		b.Run(string(format), func(b *testing.B) {
			e := newEnv(b, benchConfig).start()
			secret := e.mustClient(service("svc", format, "read"))
			rsSecret := e.mustClient(service("rs", keypad.FormatJWT))
			tok := e.mustToken("svc", secret)
			benchPost(b, e, PathIntrospect, url.Values{"token": {tok}}.Encode(), basic("rs", rsSecret))
		})
	}
}

// benchConfig is the configuration the benchmarks run with: a 2s client
// cache, as recommended for production; -clientcache=0 measures without.
func benchConfig(c *Config) { c.ClientCacheTTL = *benchCacheTTL }

var benchCacheTTL = flag.Duration("clientcache", 2*time.Second, "client cache TTL for the benchmarks")
