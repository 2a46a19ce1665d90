package admin_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/admin"
	"github.com/keypadauth/keypad/config"
	"github.com/keypadauth/keypad/internal/testclock"
	"github.com/keypadauth/keypad/oauth"
	"github.com/keypadauth/keypad/server"
)

// exercised records the documented operations the tests called with
// success, by operation ID; TestMain fails a full run that left one out.
var exercised sync.Map

func TestMain(m *testing.M) {
	flag.Parse()
	// JSON Lines uploads are text to the validator, as CSV is.
	openapi3filter.RegisterBodyDecoder("application/jsonl", openapi3filter.PlainBodyDecoder)
	code := m.Run()
	if code == 0 && flag.Lookup("test.run").Value.String() == "" && !testing.Short() {
		var missing []string
		for _, op := range documentedOperations() {
			if _, ok := exercised.Load(op); !ok {
				missing = append(missing, op)
			}
		}
		if len(missing) > 0 {
			fmt.Printf("FAIL: documented operations no test exercised: %s\n", strings.Join(missing, ", "))
			code = 1
		}
	}
	os.Exit(code)
}

// loadDoc parses and validates the served OpenAPI document.
func loadDoc(t testing.TB) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(admin.OpenAPI())
	if err != nil {
		t.Fatalf("load openapi.json: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI document: %v", err)
	}
	return doc
}

func documentedOperations() []string {
	doc, err := openapi3.NewLoader().LoadFromData(admin.OpenAPI())
	if err != nil {
		return []string{"(openapi.json does not load)"}
	}
	var ops []string
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			ops = append(ops, op.OperationID)
		}
	}
	sort.Strings(ops)
	return ops
}

// env is a running keypad (the real server, SQLite or PostgreSQL) with
// admin clients registered the way an operator bootstraps them, and the
// OpenAPI document to hold every answer to.
type env struct {
	t      *testing.T
	srv    *server.Server
	clock  *testclock.Clock
	base   string // the admin listener
	router routers.Router
	http   *http.Client
}

// t0 is the tests' start time; the clock moves only when a test says so.
var t0 = time.Date(2026, time.December, 1, 9, 0, 0, 0, time.UTC)

func sqliteDB(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "keypad.db") }

func newEnv(t *testing.T, db string, edit func(*config.Config)) *env {
	t.Helper()
	cfg := config.Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.DB = db
	cfg.SecretFile = filepath.Join(t.TempDir(), "keypad.secret")
	cfg.AutoMigrate = true
	if edit != nil {
		edit(&cfg)
	}
	clock := testclock.New(t0)
	srv, err := server.New(t.Context(), cfg, server.Options{Logger: slog.New(slog.DiscardHandler), Now: clock.Now})
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
	e := &env{t: t, srv: srv, clock: clock, base: "http://" + srv.MetricsAddr().String(), http: &http.Client{}}
	e.router = routerFor(t, e.base)
	ctx := t.Context()
	for _, s := range append(slices.Clone(oauth.AdminScopes), "profile") {
		if err := srv.Store().PutScope(ctx, &keypad.Scope{Name: s, Description: "manage " + s}); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// routerFor finds operations of the document for requests to base.
func routerFor(t *testing.T, base string) routers.Router {
	doc := loadDoc(t)
	doc.Servers = openapi3.Servers{{URL: base}}
	r, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("router: %v", err)
	}
	return r
}

// token registers a client_credentials client with scopes (unless it is
// registered) and returns a token for it from the real token endpoint.
func (e *env) token(id string, scopes ...string) string {
	e.t.Helper()
	secret := "kp_cs_" + id + "-secret-of-at-least-some-length"
	c := &keypad.Client{ID: id, Name: id, SecretHash: keypad.SecretHash(secret),
		GrantTypes: []string{keypad.GrantClientCredentials}, Scopes: scopes, TokenFormat: keypad.FormatJWT,
		CreatedAt: t0, UpdatedAt: t0}
	if err := e.srv.Store().CreateClient(e.t.Context(), c); err != nil && !errors.Is(err, keypad.ErrConflict) {
		e.t.Fatal(err)
	}
	cc := clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: e.srv.URL() + "/oauth2/token", Scopes: scopes}
	tok, err := cc.Token(e.t.Context())
	if err != nil {
		e.t.Fatalf("token for %s: %v", id, err)
	}
	return tok.AccessToken
}

// resp is an answer, read whole.
type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("answer %d is not JSON: %v: %s", r.status, err, r.body)
	}
}

// problem reads a problem details answer, checking its shape.
func (r resp) problem(t *testing.T, status int) admin.Problem {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json", ct)
	}
	var p admin.Problem
	r.json(t, &p)
	if p.Status != status || !strings.HasPrefix(p.Type, "urn:keypad:admin:problem:") || p.Title == "" {
		t.Fatalf("problem %+v: want status %d, a keypad type and a title", p, status)
	}
	return p
}

// call sends a request to the admin listener; body is JSON-encoded
// unless it is a string, sent as is. Every answer is validated against
// the OpenAPI document, and so is every request that succeeds.
func (e *env) call(tok, method, path string, body any, hdr ...string) resp {
	e.t.Helper()
	return e.callAt(e.base, e.router, tok, method, path, body, hdr...)
}

func (e *env) callAt(base string, router routers.Router, tok, method, path string, body any, hdr ...string) resp {
	e.t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			e.t.Fatal(err)
		}
	}
	req, err := http.NewRequestWithContext(e.t.Context(), method, base+path, bytes.NewReader(raw))
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := e.http.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	r := resp{status: res.StatusCode, header: res.Header, body: got}
	checkOpenAPI(e.t, router, req, raw, r)
	return r
}

// checkOpenAPI holds an answer (and, when it succeeded, the request) to
// the document, and records the operation as exercised.
func checkOpenAPI(t *testing.T, router routers.Router, req *http.Request, reqBody []byte, r resp) {
	t.Helper()
	probe := req.Clone(context.Background())
	probe.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := router.FindRoute(probe)
	if err != nil {
		t.Fatalf("%s %s is not in the OpenAPI document: %v", req.Method, req.URL.Path, err)
	}
	if r.status < 300 {
		exercised.Store(route.Operation.OperationID, true) // a refusal exercises little
	}
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true}
	in := &openapi3filter.RequestValidationInput{Request: probe, PathParams: params, Route: route, Options: opts}
	if r.status < 300 {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			t.Errorf("%s %s succeeded, but the request breaks the OpenAPI document: %v", req.Method, req.URL.Path, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: r.status, Header: r.header, Options: opts}
	out.SetBodyBytes(r.body)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("%s %s answered %d, which breaks the OpenAPI document: %v\n%s", req.Method, req.URL.Path, r.status, err, r.body)
	}
}

// kidOf is the kid in a JWT's header.
func kidOf(t *testing.T, jwt string) string {
	t.Helper()
	head, _, _ := strings.Cut(jwt, ".")
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		t.Fatalf("JWT header: %v", err)
	}
	var h struct {
		KID string `json:"kid"`
	}
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return h.KID
}
