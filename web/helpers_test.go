package web_test

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/internal/testclock"
	"github.com/keypadauth/keypad/metrics"
	"github.com/keypadauth/keypad/oauth"
	"github.com/keypadauth/keypad/password"
	"github.com/keypadauth/keypad/ratelimit"
	"github.com/keypadauth/keypad/store/sqlite"
	"github.com/keypadauth/keypad/usercode"
	"github.com/keypadauth/keypad/web"
)

// clock is an injected clock the test moves by hand.
type clock = testclock.Clock

// env is a keypad web handler on a real HTTP server over a real SQLite
// store, with a clock the test controls.
type env struct {
	t       testing.TB
	store   keypad.Store
	clock   *clock
	metrics *metrics.Metrics
	limiter *ratelimit.Limiter
	handler *web.Handler
	srv     *httptest.Server
}

const (
	alicePassword = "correct horse battery staple"
	clientID      = "tv"
)

type envOption func(*web.Config, *ratelimit.Config)

// newEnv starts the pages with fixtures: client "tv" (two scopes, one
// described in the catalogue), subject alice with a password.
func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "keypad.db"))
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	e := &env{t: t, store: st, clock: testclock.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)), metrics: metrics.New()}

	mux := http.NewServeMux()
	e.srv = httptest.NewUnstartedServer(mux)
	cfg := web.Config{Issuer: "http://" + e.srv.Listener.Addr().String(), FormBurst: 10000}
	rcfg := ratelimit.DefaultConfig()
	for _, o := range opts {
		o(&cfg, &rcfg)
	}
	if e.limiter, err = ratelimit.New(st, rcfg, e.clock.Now); err != nil {
		t.Fatal(err)
	}
	e.handler, err = web.New(cfg, web.Deps{Store: st, Flows: e.flows(), Logger: testLogger(t), Metrics: e.metrics, Limiter: e.limiter, Now: e.clock.Now, Rand: rand.Reader, UserCodeKey: testUserCodeKey})
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	e.handler.Register(mux)
	mux.HandleFunc("/", e.handler.NotFound)
	e.srv.Start()
	t.Cleanup(e.srv.Close)

	now := e.clock.Now()
	must(t, st.CreateClient(ctx, &keypad.Client{
		ID: clientID, Name: "Living Room TV", Description: "Plays your music on the television.",
		Public: true, GrantTypes: []string{keypad.GrantDeviceCode},
		Scopes: []string{"playlists:read", "device:abc123:control"}, CreatedAt: now, UpdatedAt: now,
	}))
	must(t, st.PutScope(ctx, &keypad.Scope{Name: "playlists:read", Description: "See your playlists"}))
	phc, err := password.Hash(alicePassword, rand.Reader)
	must(t, err)
	must(t, st.CreateSubject(ctx, &keypad.Subject{
		ID: "sub-alice", Username: "alice", Name: "Alice Example", PasswordHash: phc, CreatedAt: now, UpdatedAt: now,
	}))
	return e
}

// flows is oauth's API for the pages over the env's store and clock.
func (e *env) flows() *oauth.Actions {
	e.t.Helper()
	a, err := oauth.NewActions(oauth.ActionsDeps{Store: e.store, Now: e.clock.Now, Rand: rand.Reader, Logger: testLogger(e.t)})
	must(e.t, err)
	return a
}

// testLogger sends the handler's log to the test's log, so a failing
// test shows why.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// testUserCodeKey is the key device user codes are hashed under, as
// keypad derives one from its server secret.
var testUserCodeKey = []byte(strings.Repeat("u", 32))

// device stores a pending device request for the canonical user code
// and returns its device code hash.
func (e *env) device(code string, ttl time.Duration) []byte {
	e.t.Helper()
	now := e.clock.Now()
	d := &keypad.DeviceAuthorization{
		DeviceCodeHash: keypad.SecretHash(keypad.PrefixDeviceCode + code),
		UserCodeHash:   usercode.Hash(testUserCodeKey, code),
		ClientID:       clientID,
		Scopes:         []string{"playlists:read", "device:abc123:control"},
		Status:         keypad.DevicePending,
		Interval:       5 * time.Second,
		CreatedAt:      now,
		ExpiresAt:      now.Add(ttl),
	}
	must(e.t, e.store.CreateDeviceAuthorization(context.Background(), d))
	return d.DeviceCodeHash
}

func (e *env) getDevice(hash []byte) *keypad.DeviceAuthorization {
	e.t.Helper()
	d, err := e.store.GetDeviceAuthorization(context.Background(), hash)
	must(e.t, err)
	return d
}

// event reads the flow-event counter from the metrics.
func (e *env) event(flow, name string) float64 {
	e.t.Helper()
	var m dto.Metric
	must(e.t, e.metrics.FlowEvents.WithLabelValues(flow, name).Write(&m))
	return m.GetCounter().GetValue()
}

// auditTypes returns the types of every audit event, oldest first, and
// fails if any detail holds one of the secrets.
func (e *env) auditTypes(secrets ...string) []string {
	e.t.Helper()
	evs, err := e.store.ListAuditEvents(context.Background(), 1000)
	must(e.t, err)
	var out []string
	for i := len(evs) - 1; i >= 0; i-- {
		for _, s := range secrets {
			if strings.Contains(strings.ToUpper(evs[i].Detail), s) {
				e.t.Fatalf("audit event %s holds a secret: %q", evs[i].Type, evs[i].Detail)
			}
		}
		out = append(out, evs[i].Type)
	}
	return out
}

func (e *env) count(types []string, typ string) int {
	n := 0
	for _, t := range types {
		if t == typ {
			n++
		}
	}
	return n
}

// browser is one person's browser: its own cookie jar, no automatic
// redirects (tests assert them), and optional extra headers.
type browser struct {
	e      *env
	client *http.Client
	header http.Header
}

func (e *env) browser() *browser {
	jar, err := cookiejar.New(nil)
	must(e.t, err)
	return &browser{e: e, header: http.Header{}, client: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// response is a finished response with its body read.
type response struct {
	*http.Response
	Body string
}

func (b *browser) do(req *http.Request) response {
	b.e.t.Helper()
	for k, v := range b.header {
		req.Header[k] = v
	}
	res, err := b.client.Do(req)
	must(b.e.t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	must(b.e.t, err)
	return response{Response: res, Body: string(body)}
}

func (b *browser) get(path string) response {
	b.e.t.Helper()
	req, err := http.NewRequest("GET", b.e.srv.URL+path, nil)
	must(b.e.t, err)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) response {
	b.e.t.Helper()
	req, err := http.NewRequest("POST", b.e.srv.URL+path, strings.NewReader(form.Encode()))
	must(b.e.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// sessionCookie returns the browser's keypad_session value ("" if none).
func (b *browser) sessionCookie() string {
	u, _ := url.Parse(b.e.srv.URL)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == web.SessionCookie {
			return c.Value
		}
	}
	return ""
}

func wantStatus(t testing.TB, r response, want int) {
	t.Helper()
	if r.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d; body:\n%s", r.Request.Method, r.Request.URL.Path, r.StatusCode, want, r.Body)
	}
}

func wantRedirect(t testing.TB, r response, want string) {
	t.Helper()
	wantStatus(t, r, http.StatusSeeOther)
	if got := r.Header.Get("Location"); got != want {
		t.Fatalf("redirect to %q, want %q", got, want)
	}
}

func wantBody(t testing.TB, r response, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(r.Body, w) {
			t.Fatalf("%s %s: body lacks %q:\n%s", r.Request.Method, r.Request.URL.Path, w, r.Body)
		}
	}
}

// enterCode posts a user code the way the form does.
func (b *browser) enterCode(code string) response {
	b.e.t.Helper()
	return b.post("/device", url.Values{"user_code": {code}})
}

func (b *browser) login(user, pw string) response {
	b.e.t.Helper()
	return b.post("/login", url.Values{"username": {user}, "password": {pw}})
}

// consentField finds the hidden field that names the request a consent
// page shows ("" when the page has none).
var consentField = regexp.MustCompile(`name="request" value="([0-9a-f]*)"`)

// answer answers consent the way the page does: it loads /consent and
// posts action with the page's request field.
func (b *browser) answer(action string) response {
	b.e.t.Helper()
	return b.post("/consent", url.Values{"action": {action}, "request": {b.consentRef()}})
}

// consentRef loads /consent and returns the request field it carries.
func (b *browser) consentRef() string {
	b.e.t.Helper()
	if m := consentField.FindStringSubmatch(b.get("/consent").Body); m != nil {
		return m[1]
	}
	return ""
}

// signedInAtConsent walks a fresh browser to the consent page for code.
func (e *env) signedInAtConsent(code string) *browser {
	e.t.Helper()
	b := e.browser()
	wantRedirect(e.t, b.enterCode(code), "/login")
	wantRedirect(e.t, b.login("alice", alicePassword), "/consent")
	return b
}
