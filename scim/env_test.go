package scim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/config"
	"github.com/keypadauth/keypad/internal/pgtest"
	"github.com/keypadauth/keypad/internal/testclock"
	"github.com/keypadauth/keypad/server"
)

// env is a real keypad (server.New, listening on 127.0.0.1) with SCIM on
// its admin listener, and an access token with keypad:users.
type env struct {
	t     *testing.T
	srv   *server.Server
	clk   *testclock.Clock
	base  string // SCIM's base URL on the admin listener
	token string
}

// dbs are the databases the HTTP tests run on: SQLite always, PostgreSQL
// when KEYPAD_TEST_POSTGRES names one.
var dbs = []struct {
	name string
	url  func(t *testing.T) string
}{
	{"SQLite", func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "keypad.db") }},
	{"PostgreSQL", func(t *testing.T) string { return pgtest.Schema(t, "scim") }},
}

// onEveryDB runs fn on a fresh server per database.
func onEveryDB(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, db := range dbs {
		t.Run(db.name, func(t *testing.T) { fn(t, newEnv(t, db.url(t), nil)) })
	}
}

func newEnv(t *testing.T, db string, edit func(*configT)) *env {
	t.Helper()
	cfg := config.Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.MetricsAddr = "127.0.0.1:0"
	cfg.DB = db
	cfg.AutoMigrate = true
	cfg.Secret = config.Secret(strings.Repeat("s", 32))
	if edit != nil {
		edit(&cfg)
	}
	clk := testclock.New(time.Date(2026, time.December, 2, 12, 0, 0, 0, time.UTC))
	srv, err := server.New(context.Background(), cfg, server.Options{
		Now: clk.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	e := &env{t: t, srv: srv, clk: clk, base: "http://" + srv.MetricsAddr().String() + "/scim/v2"}
	e.token = e.clientToken("provisioner", "keypad:users")
	return e
}

// clientToken registers a client_credentials client allowed scope and
// gets a token for it from the token endpoint, as a real client does.
func (e *env) clientToken(id, scope string) string {
	e.t.Helper()
	secret := keypad.PrefixClientSecret + strings.Repeat("c", 40)
	c := &keypad.Client{ID: id, Name: id, GrantTypes: []string{keypad.GrantClientCredentials},
		Scopes: strings.Fields(scope), SecretHash: keypad.SecretHash(secret),
		CreatedAt: e.clk.Now(), UpdatedAt: e.clk.Now()}
	if err := e.srv.Store().CreateClient(context.Background(), c); err != nil {
		e.t.Fatalf("create client: %v", err)
	}
	cc := clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: e.srv.URL() + "/oauth2/token", Scopes: strings.Fields(scope)}
	tok, err := cc.Token(context.Background())
	if err != nil {
		e.t.Fatalf("client credentials token: %v", err)
	}
	return tok.AccessToken
}

// reply is a SCIM answer.
type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// do sends a SCIM request with e's token; body is marshalled unless it
// is a string. headers are pairs.
func (e *env) do(method, path string, body any, headers ...string) reply {
	e.t.Helper()
	return e.doAs(e.token, method, path, body, headers...)
}

func (e *env) doAs(token, method, path string, body any, headers ...string) reply {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	url := path
	if !strings.HasPrefix(path, "http") {
		url = e.base + path
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/scim+json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &r.body)
	}
	return r
}

// must checks the status of a reply.
func (r reply) must(t *testing.T, status int) reply {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
	return r
}

// str reads a string at a dotted path of the body.
func (r reply) str(path string) string {
	var v any = r.body
	for _, k := range strings.Split(path, ".") {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	s, _ := v.(string)
	return s
}

// errorType checks a SCIM error (RFC 7644 §3.12): its schema, status and
// scimType.
func (r reply) mustError(t *testing.T, status int, scimType string) {
	t.Helper()
	r.must(t, status)
	schemas, _ := r.body["schemas"].([]any)
	if len(schemas) != 1 || schemas[0] != "urn:ietf:params:scim:api:messages:2.0:Error" {
		t.Errorf("schemas %v, want the Error message's: %s", schemas, r.raw)
	}
	if got := r.str("status"); got != http.StatusText(status) && got != itoa(status) {
		t.Errorf("status member %q, want %q", got, itoa(status))
	}
	if got := r.str("scimType"); got != scimType {
		t.Errorf("scimType %q, want %q: %s", got, scimType, r.raw)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// urlq escapes a query value.
func urlq(s string) string { return url.QueryEscape(s) }

// configT is the configuration a test may edit.
type configT = config.Config
