package server

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad/config"
	"github.com/keypadauth/keypad/metrics"
)

// slogLine is what the server's slog handler (NewLogger, as the server
// builds it) writes for e at t.
func slogLine(t *testing.T, format string, at time.Time, e *accessEntry) string {
	t.Helper()
	cfg := config.Default()
	cfg.LogFormat = format
	cfg.LogLevel = "debug"
	var buf bytes.Buffer
	ctx := context.Background()
	if e.requestID != "" {
		ctx = context.WithValue(ctx, requestIDKey{}, e.requestID)
	}
	rec := slog.NewRecord(at, e.level, "request", 0)
	rec.AddAttrs(e.attrs()...)
	if err := NewLogger(cfg, &buf).Handler().Handle(ctx, rec); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestAccessLogMatchesSlog holds the access log's own formatter to
// slog's output, byte for byte, in both formats, over ordinary requests
// and thousands of random ones (odd paths, quotes, backslashes, '=',
// empty strings, times in other zones and years, any duration); and
// checks that ordinary requests take the fast path at all.
func TestAccessLogMatchesSlog(t *testing.T) {
	ordinary := []accessEntry{
		{level: slog.LevelInfo, method: "POST", route: "POST /oauth2/token", path: "/oauth2/token", status: 200,
			outcome: "200", duration: 460119 * time.Nanosecond, bytes: 562, remote: "127.0.0.1", requestID: "8366e785-000002"},
		{level: slog.LevelError, method: "GET", route: "unmatched", path: "/x", status: 503, outcome: "503",
			duration: 2 * time.Second, bytes: 0, remote: "::1", requestID: "from-proxy.42"},
		{level: slog.LevelDebug, method: "GET", route: "GET /healthz", path: "/healthz", status: 200, outcome: "200",
			duration: 0, bytes: 3, remote: "10.0.0.1"},
	}
	at := time.Date(2026, 12, 3, 13, 48, 26, 58_000_123, time.UTC)
	for _, format := range []string{"text", "json"} {
		a := &accessLog{json: format == "json"}
		for _, e := range ordinary {
			got, ok := a.appendLine(nil, at, &e)
			if !ok {
				t.Fatalf("%s: an ordinary request (%s) did not take the fast path", format, e.path)
			}
			if want := slogLine(t, format, at, &e); string(got) != want {
				t.Errorf("%s:\n got %q\nwant %q", format, got, want)
			}
		}
	}

	rnd := rand.New(rand.NewPCG(1, 2))
	const alphabet = `abcXYZ019/._-~ ="\%&<>'?:;,!#$*+@[]{}|^` + "`"
	str := func() string {
		n := rnd.IntN(12)
		var b strings.Builder
		for range n {
			switch rnd.IntN(300) {
			case 0:
				b.WriteString("é") // not printable ASCII: slog's path
			case 1:
				b.WriteByte('\n')
			case 2:
				b.WriteByte(0x7f)
			default:
				b.WriteByte(alphabet[rnd.IntN(len(alphabet))])
			}
		}
		return b.String()
	}
	zones := []*time.Location{time.UTC, time.FixedZone("", 5*3600+1800), time.FixedZone("", -7*3600)}
	levels := []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError}
	fast := 0
	for i := range 5000 {
		e := accessEntry{level: levels[rnd.IntN(len(levels))], method: str(), route: str(), path: str(),
			status: rnd.IntN(600), outcome: str(), duration: time.Duration(rnd.Int64N(1e12) - 1e6),
			bytes: rnd.Int64N(1 << 40), remote: str()}
		if rnd.IntN(4) > 0 {
			e.requestID = str()
		}
		at := time.Unix(rnd.Int64N(4e11)-6e10, rnd.Int64N(1e9)).In(zones[rnd.IntN(len(zones))])
		for _, format := range []string{"text", "json"} {
			got, ok := (&accessLog{json: format == "json"}).appendLine(nil, at, &e)
			if !ok {
				continue
			}
			fast++
			if want := slogLine(t, format, at, &e); string(got) != want {
				t.Fatalf("entry %d, %s:\n got %q\nwant %q", i, format, got, want)
			}
		}
	}
	t.Logf("%d of 10,000 random lines took the fast path", fast)
	if fast < 2000 {
		t.Errorf("only %d of 10,000 random lines took the fast path: the comparison checked little", fast)
	}
}

// TestAccessLogWrites checks what instrument.logRequest writes through the
// server's log buffer: the fast line, slog's line for what the fast path
// leaves to it, nothing below the level, and errors flushed at once.
func TestAccessLogWrites(t *testing.T) {
	at := time.Date(2026, 12, 3, 13, 48, 26, 0, time.UTC)
	for _, format := range []string{"text", "json"} {
		cfg := config.Default()
		cfg.LogFormat = format
		var out bytes.Buffer
		buf := newLogBuffer(&out)
		defer buf.Close()
		lg := slog.New(flushingHandler{NewLogger(cfg, buf).Handler(), buf})
		in := &instrument{log: lg, access: &accessLog{json: format == "json", w: buf}}
		ctx := context.WithValue(context.Background(), requestIDKey{}, "r-1")
		plain := accessEntry{level: slog.LevelInfo, method: "GET", route: "GET /x", path: "/x", status: 200, outcome: "200", remote: "127.0.0.1", requestID: "r-1"}
		odd := plain
		odd.path = "/café"
		quiet := plain
		quiet.level = slog.LevelDebug
		failed := plain
		failed.level, failed.status, failed.outcome = slog.LevelError, 500, "server_error"
		for _, e := range []*accessEntry{&plain, &odd, &quiet} {
			in.logRequest(ctx, at, e)
		}
		if out.Len() != 0 {
			t.Fatalf("%s: info lines reached the writer before a flush: %q", format, out.String())
		}
		in.logRequest(ctx, at, &failed) // an error flushes what is buffered, itself included
		want := slogLine(t, format, at, &plain) + slogLine(t, format, at, &odd) + slogLine(t, format, at, &failed)
		if out.String() != want {
			t.Errorf("%s: wrote\n%s\nwant\n%s", format, out.String(), want)
		}
	}
}

// BenchmarkInstrument is one token-sized request through the middleware
// around every route (request ID, security headers, metrics, access
// log), with the access log formatted by slog and by accessLog, into
// the server's log buffer:
//
//	go test ./server -run '^$' -bench Instrument -benchmem
func BenchmarkInstrument(b *testing.B) {
	body := []byte(`{"access_token":"x","token_type":"Bearer","expires_in":3600}`)
	next := http.NewServeMux()
	next.HandleFunc("POST /oauth2/token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	for _, own := range []bool{false, true} {
		name := "slog"
		if own {
			name = "accessLog"
		}
		b.Run(name, func(b *testing.B) {
			buf := newLogBuffer(io.Discard)
			defer buf.Close()
			log := slog.New(flushingHandler{NewLogger(config.Default(), buf).Handler(), buf})
			in := &instrument{next: next, log: log, metrics: metrics.New(), ids: &requestIDs{prefix: "8366e785"}}
			if own {
				in.access = &accessLog{w: buf}
			}
			req := httptest.NewRequest(http.MethodPost, "/oauth2/token", nil)
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				in.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatal(w.Code)
				}
			}
		})
	}
}

// TestRequestIDForm checks the generated IDs' form: the prefix, a dash
// and the counter padded to six digits, longer once it needs more.
func TestRequestIDForm(t *testing.T) {
	g := &requestIDs{prefix: "8366e785"}
	for _, c := range []struct {
		n    uint64
		want string
	}{{0, "8366e785-000001"}, {41, "8366e785-000042"}, {999_998, "8366e785-999999"}, {999_999, "8366e785-1000000"}} {
		g.n.Store(c.n)
		if got := g.from(""); got != c.want {
			t.Errorf("after %d: %q, want %q", c.n, got, c.want)
		}
	}
	for _, h := range []string{"from-proxy.42", "a:b_c", strings.Repeat("x", 128)} {
		if got := g.from(h); got != h {
			t.Errorf("valid caller ID %q replaced by %q", h, got)
		}
	}
	for _, h := range []string{`a"b`, "a b", "a\n", strings.Repeat("x", 129), "é"} {
		if got := g.from(h); got == h {
			t.Errorf("unsafe caller ID %q kept", h)
		}
	}
}

// TestInstrumentAccessLine serves requests through the middleware twice,
// with the access log through slog and through accessLog, and compares
// the lines but for their time and duration: the fields done collects
// reach both alike, in text and in JSON.
func TestInstrumentAccessLine(t *testing.T) {
	next := http.NewServeMux()
	next.HandleFunc("POST /oauth2/token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":"invalid_grant"}`)
	})
	clock := regexp.MustCompile(`time=\S+ |"time":"[^"]+",| duration=\S+|,"duration":\d+`)
	for _, format := range []string{"text", "json"} {
		var lines [2]string
		for i, own := range []bool{false, true} {
			cfg := config.Default()
			cfg.LogFormat = format
			var out bytes.Buffer
			buf := newLogBuffer(&out)
			log := slog.New(flushingHandler{NewLogger(cfg, buf).Handler(), buf})
			in := &instrument{next: next, log: log, ids: &requestIDs{prefix: "p"}}
			if own {
				in.access = &accessLog{json: format == "json", w: buf}
			}
			for _, path := range []string{"/oauth2/token", "/nowhere/é"} {
				req := httptest.NewRequest(http.MethodPost, path, nil)
				req.RemoteAddr = "192.0.2.7:4242"
				in.ServeHTTP(httptest.NewRecorder(), req)
			}
			buf.Close()
			lines[i] = clock.ReplaceAllString(out.String(), "")
		}
		if lines[0] != lines[1] {
			t.Errorf("%s: through slog\n%s\nthrough accessLog\n%s", format, lines[0], lines[1])
		}
		if !strings.Contains(lines[1], "invalid_grant") || strings.Count(lines[1], "\n") != 2 {
			t.Errorf("%s: not two lines with the request's outcome:\n%s", format, lines[1])
		}
	}
}
