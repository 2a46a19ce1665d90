package server

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/keypadauth/keypad/metrics"
)

// Security headers sent on every response. The Content-Security-Policy is
// the strictest there is, right for JSON; the hosted pages set their own
// (which replaces this one) when they render HTML.
var securityHeaders = map[string]string{
	"X-Content-Type-Options":  "nosniff",
	"Referrer-Policy":         "no-referrer",
	"X-Frame-Options":         "DENY",
	"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}

// securityHeaderValues is securityHeaders as header values, built once:
// a response shares these slices rather than allocating four per request.
// Sharing is safe because nothing writes into a header's value slice:
// Set replaces it and Add appends to a full one, which copies.
var securityHeaderValues = func() http.Header {
	h := http.Header{}
	for k, v := range securityHeaders {
		h[http.CanonicalHeaderKey(k)] = []string{v}
	}
	return h
}()

// unmatched is the endpoint label of requests no route matched, so that
// scanners probing random paths cannot blow up the metrics' cardinality.
const unmatched = "unmatched"

// quietRoutes are logged at debug level: load balancers call them every
// few seconds.
var quietRoutes = map[string]bool{"GET /healthz": true, "GET /readyz": true}

// instrument is the one middleware around the whole mux. It is one
// function rather than a chain because the route pattern (r.Pattern) is
// only known after the mux has served the request it was given: every
// step that needs it must hold that same *http.Request.
//
// For each request it assigns a request ID, sets the security headers,
// recovers a panic into a JSON server_error, counts the request by route
// pattern and outcome and writes one access log line. The log line never
// holds the query string, the body or the Authorization header: tokens
// and secrets travel there.
type instrument struct {
	next    http.Handler
	log     *slog.Logger
	access  *accessLog // nil: the access log goes through log
	metrics *metrics.Metrics
	ids     *requestIDs
	hsts    bool
}

func (in *instrument) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Latency is measured on the monotonic clock, not the injected one: it
	// describes this process, not the protocol.
	start := time.Now()
	id := in.ids.from(r.Header.Get("X-Request-Id"))
	h := w.Header()
	h.Set("X-Request-Id", id)
	for k, v := range securityHeaderValues {
		h[k] = v
	}
	if in.hsts {
		h.Set("Strict-Transport-Security", "max-age=63072000")
	}
	rec := &recorder{ResponseWriter: w}
	r = r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id))

	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				in.done(r, rec, start)
				panic(v) // net/http's own way to abort a response quietly
			}
			in.log.LogAttrs(r.Context(), slog.LevelError, "panic serving request",
				slog.String("route", r.Pattern), slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
			if !rec.wrote {
				writeJSON(rec, http.StatusInternalServerError, map[string]string{
					"error": "server_error", "error_description": "internal error; see the server log (request " + id + ")",
				})
			}
		}
		in.done(r, rec, start)
	}()
	in.next.ServeHTTP(rec, r)
}

// done counts and logs a finished request.
func (in *instrument) done(r *http.Request, rec *recorder, start time.Time) {
	elapsed := time.Since(start)
	route := r.Pattern
	if route == "" {
		route = unmatched
	}
	status := rec.statusCode()
	outcome := rec.outcome()
	if in.metrics != nil {
		in.metrics.Requests.WithLabelValues(route, outcome).Inc()
		in.metrics.Latency.WithLabelValues(route).Observe(elapsed.Seconds())
	}
	level := slog.LevelInfo
	switch {
	case status >= 500:
		level = slog.LevelError
	case quietRoutes[route]:
		level = slog.LevelDebug
	}
	remote, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		remote = r.RemoteAddr
	}
	in.logRequest(r.Context(), time.Now(), &accessEntry{level: level, method: r.Method, route: route, path: r.URL.Path,
		status: status, outcome: outcome, duration: elapsed, bytes: rec.bytes, remote: remote, requestID: RequestID(r.Context())})
}

// logRequest writes e's access log line at time t: formatted by access
// when the server built its own log and access takes the line, through
// slog otherwise.
func (in *instrument) logRequest(ctx context.Context, t time.Time, e *accessEntry) {
	if in.access == nil {
		in.log.LogAttrs(ctx, e.level, "request", e.attrs()...)
		return
	}
	if !in.log.Enabled(ctx, e.level) || in.access.write(t, e) {
		return
	}
	rec := slog.NewRecord(t, e.level, "request", 0)
	rec.AddAttrs(e.attrs()...)
	in.log.Handler().Handle(ctx, rec)
}

// recorder remembers what a handler answered. For JSON error responses it
// keeps the start of the body to find the OAuth error code (the outcome
// the metrics count: "invalid_client" says more than "401").
type recorder struct {
	http.ResponseWriter
	status int
	wrote  bool
	bytes  int64
	errBuf []byte
}

// maxErrBody bounds how much of an error body the recorder keeps.
const maxErrBody = 512

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	if !r.wrote {
		r.WriteHeader(http.StatusOK)
	}
	if r.status >= 400 && len(r.errBuf) < maxErrBody &&
		strings.HasPrefix(r.Header().Get("Content-Type"), "application/json") {
		r.errBuf = append(r.errBuf, p[:min(len(p), maxErrBody-len(r.errBuf))]...)
	}
	n, err := r.ResponseWriter.Write(p)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (Flush,
// deadlines).
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *recorder) statusCode() int {
	if !r.wrote {
		return http.StatusOK // nothing written: net/http sends 200
	}
	return r.status
}

// oauthError finds "error":"code" in a JSON body. Codes are fixed strings
// written by keypad itself (RFC 6749 §5.2 has lower-case ASCII and
// underscores only), so the label set stays small.
var oauthError = regexp.MustCompile(`"error"\s*:\s*"([a-z_]{1,40})"`)

// outcome is the OAuth error code when the response carries one, else the
// status code.
func (r *recorder) outcome() string {
	if len(r.errBuf) > 0 {
		if m := oauthError.FindSubmatch(r.errBuf); m != nil {
			return string(m[1])
		}
	}
	return strconv.Itoa(r.statusCode())
}

// requestIDKey keys the request ID in a request's context.
type requestIDKey struct{}

// RequestID returns the ID of the request ctx belongs to, or "". Log with
// the server's logger and the request's context and the ID is added for
// you.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// requestIDs hands out request IDs: a random per-process prefix and a
// counter, unique without a random read per request.
type requestIDs struct {
	prefix string
	n      atomic.Uint64
}

// validID accepts a caller's X-Request-Id (from a proxy, say) only when it
// is short and plain ([A-Za-z0-9._:-]{1,128}), so logs cannot be stuffed
// through it.
func validID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

// from returns the caller's ID when it is valid, else the next of this
// server's: its prefix, a dash and a counter of at least six digits.
func (g *requestIDs) from(header string) string {
	if validID(header) {
		return header
	}
	var digits [20]byte
	d := strconv.AppendUint(digits[:0], g.n.Add(1), 10)
	b := make([]byte, 0, len(g.prefix)+1+max(6, len(d)))
	b = append(append(b, g.prefix...), '-')
	for range 6 - len(d) {
		b = append(b, '0')
	}
	return string(append(b, d...))
}

// contextHandler adds the request ID of the context to every record, so
// handlers that log with r.Context() get it for free.
type contextHandler struct{ slog.Handler }

func (h contextHandler) Handle(ctx context.Context, rec slog.Record) error {
	if id := RequestID(ctx); id != "" {
		rec.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, rec)
}

func (h contextHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return contextHandler{h.Handler.WithAttrs(as)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name)}
}

// writeJSON answers v as JSON with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error":"server_error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
