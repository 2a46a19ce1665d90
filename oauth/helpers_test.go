package oauth

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/internal/testclock"
	"github.com/keypadauth/keypad/metrics"
	"github.com/keypadauth/keypad/store/sqlite"
	"github.com/keypadauth/keypad/store/sqlstore"
	"github.com/keypadauth/keypad/token"
)

// clock is a settable clock for tests.
type clock = testclock.Clock

// syncBuffer collects log output from concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env is a running OAuth server over a real SQLite store and real HTTP.
type env struct {
	t       testing.TB
	st      *sqlstore.Store
	clk     *clock
	keys    *token.Keyring
	issuer  *token.Issuer
	srv     *Server
	ts      *httptest.Server
	metrics *metrics.Metrics
	logs    *syncBuffer
	secrets int
	// cfg and deps built srv; rebuild builds another from them.
	cfg  Config
	deps Deps
}

const (
	testIssuer = "https://auth.example.com"
	accessTTL  = 10 * time.Minute
	overlap    = time.Hour
)

type envOption func(*Config)

func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "keypad.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	e := &env{t: t, st: st, clk: testclock.New(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)), metrics: metrics.New(), logs: &syncBuffer{}}
	rnd := testclock.NewRand(7)
	sealer, err := token.NewSealer([]byte(strings.Repeat("s", 32)), rnd)
	if err != nil {
		t.Fatal(err)
	}
	e.keys = token.NewKeyring(st, sealer, token.KeyringOptions{Now: e.clk.Now, Overlap: overlap})
	if err := e.keys.Load(ctx); err != nil {
		t.Fatalf("load keys: %v", err)
	}
	e.issuer = &token.Issuer{Keys: e.keys, Store: st, Now: e.clk.Now, Rand: rnd}
	cfg := Config{Issuer: testIssuer, AccessTTL: accessTTL, RefreshTTL: 24 * time.Hour}
	for _, o := range opts {
		o(&cfg)
	}
	e.cfg = cfg
	e.deps = Deps{
		Store: st, Issuer: e.issuer, Metrics: e.metrics, Now: e.clk.Now, Rand: rnd,
		Logger: slog.New(slog.NewTextHandler(e.logs, nil)),
	}
	e.srv, err = New(e.cfg, e.deps)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return e
}

// rebuild replaces e.srv with a server built from the env's Config and
// Deps as mod changes them (turning on a flow, say), over the same store,
// clock and keys. Call it before start.
func (e *env) rebuild(mod func(*Config, *Deps)) error {
	cfg, deps := e.cfg, e.deps
	mod(&cfg, &deps)
	srv, err := New(cfg, deps)
	if err != nil {
		return err
	}
	e.srv, e.cfg, e.deps = srv, cfg, deps
	return nil
}

// mustRebuild is rebuild that fails the test on an error.
func (e *env) mustRebuild(mod func(*Config, *Deps)) *env {
	e.t.Helper()
	if err := e.rebuild(mod); err != nil {
		e.t.Fatalf("New: %v", err)
	}
	return e
}

// start registers the server on a mux and serves it over HTTP; later
// registrations must happen before.
func (e *env) start() *env {
	mux := http.NewServeMux()
	e.srv.Register(mux)
	e.ts = httptest.NewServer(mux)
	e.t.Cleanup(e.ts.Close)
	return e
}

// mustClient stores c, giving a confidential client a fresh secret, which
// it returns.
func (e *env) mustClient(c *keypad.Client) string {
	e.t.Helper()
	var secret string
	if !c.Public {
		e.secrets++
		secret = keypad.PrefixClientSecret + strings.Repeat("x", 10) + string(rune('a'+e.secrets))
		if c.SecretHash == nil {
			c.SecretHash = keypad.SecretHash(secret)
		}
	}
	c.CreatedAt, c.UpdatedAt = e.clk.Now(), e.clk.Now()
	if err := e.st.CreateClient(context.Background(), c); err != nil {
		e.t.Fatalf("create client %s: %v", c.ID, err)
	}
	return secret
}

// service is a confidential client_credentials client.
func service(id string, format keypad.TokenFormat, scopes ...string) *keypad.Client {
	return &keypad.Client{ID: id, GrantTypes: []string{keypad.GrantClientCredentials}, Scopes: scopes, TokenFormat: format}
}

type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// post sends a form; edit may change the request (headers) before.
func (e *env) post(path string, form url.Values, edit func(*http.Request)) response {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.ts.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if edit != nil {
		edit(req)
	}
	return e.do(req)
}

func (e *env) do(req *http.Request) response {
	e.t.Helper()
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	json.Unmarshal(b, &r.body)
	return r
}

func basic(id, secret string) func(*http.Request) {
	return func(r *http.Request) {
		cred := url.QueryEscape(id) + ":" + url.QueryEscape(secret)
		r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(cred)))
	}
}

// clientToken runs client_credentials with Basic authentication.
func (e *env) clientToken(id, secret, scope string) response {
	e.t.Helper()
	form := url.Values{"grant_type": {keypad.GrantClientCredentials}}
	if scope != "" {
		form.Set("scope", scope)
	}
	return e.post(PathToken, form, basic(id, secret))
}

// mustToken returns an access token for a client, failing the test if
// there is none.
func (e *env) mustToken(id, secret string) string {
	e.t.Helper()
	r := e.clientToken(id, secret, "")
	tok, _ := r.body["access_token"].(string)
	if r.status != http.StatusOK || tok == "" {
		e.t.Fatalf("token for %s: %d %s", id, r.status, r.raw)
	}
	return tok
}

// wantError checks an OAuth error response.
func wantError(t testing.TB, r response, status int, code string) {
	t.Helper()
	if r.status != status || r.body["error"] != code {
		t.Fatalf("got %d %s, want %d error %s", r.status, r.raw, status, code)
	}
	if r.header.Get("Cache-Control") != "no-store" || r.header.Get("Pragma") != "no-cache" {
		t.Errorf("error response caching headers: Cache-Control %q, Pragma %q; want no-store, no-cache",
			r.header.Get("Cache-Control"), r.header.Get("Pragma"))
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("error Content-Type = %q, want application/json", ct)
	}
}

func decodeJSON(t testing.TB, resp *http.Response, v any) {
	t.Helper()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("decode %s: %v", resp.Request.URL.Path, err)
	}
}

// kidOfJWT reads the kid from a JWT's header.
func kidOfJWT(t testing.TB, tok string) string {
	t.Helper()
	h, _, _ := strings.Cut(tok, ".")
	b, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		t.Fatal(err)
	}
	var hdr struct {
		Kid string `json:"kid"`
	}
	json.Unmarshal(b, &hdr)
	return hdr.Kid
}
