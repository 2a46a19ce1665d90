package oauth_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/internal/testclock"
	"github.com/keypadauth/keypad/metrics"
	"github.com/keypadauth/keypad/oauth"
	"github.com/keypadauth/keypad/password"
	"github.com/keypadauth/keypad/ratelimit"
	"github.com/keypadauth/keypad/store/sqlite"
	"github.com/keypadauth/keypad/store/sqlstore"
	"github.com/keypadauth/keypad/token"
	"github.com/keypadauth/keypad/web"
)

// These tests run the authorization code flow the way it runs in keypad:
// the real oauth.Server and web.Handler on one mux, over real HTTP, on a
// real SQLite store, with a clock the test moves by hand.

type clock = testclock.Clock

// flowUserCodeKey is the key device user codes are hashed under, shared
// by the device flow and the pages as in keypad.
var flowUserCodeKey = []byte(strings.Repeat("u", 32))

const (
	alicePassword = "correct horse battery staple"
	bobPassword   = "tr0ub4dor&3 but longer"
)

// flowEnv is keypad with the authorization code flow and the password
// grant enabled, and a client application's callback server.
type flowEnv struct {
	t        testing.TB
	st       *sqlstore.Store
	clk      *clock
	srv      *oauth.Server
	pages    *web.Handler
	metrics  *metrics.Metrics
	ts       *httptest.Server
	callback *httptest.Server
	// arrived receives the query of every request to the callback.
	arrived chan url.Values
	secrets map[string]string
}

// flowSettings are what a test may change in newFlowEnv.
type flowSettings struct {
	authCode oauth.AuthCodeConfig
	limits   ratelimit.Config
	// device, when set, turns on the device flow as well.
	device *oauth.DeviceConfig
	// dpop bounds DPoP proofs (nonces).
	dpop oauth.DPoPConfig
	// now, when set, is the server's clock instead of e.clk: the wall
	// clock, for clients in another process that sign proofs with theirs.
	now func() time.Time
	// registration, when set, turns on dynamic client registration and
	// serves the admin endpoint of initial access tokens.
	registration *oauth.RegistrationConfig
}

type flowOption func(*flowSettings)

func newFlowEnv(t testing.TB, opts ...flowOption) *flowEnv {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "keypad.db"))
	must(t, err)
	t.Cleanup(func() { st.Close() })
	must(t, st.Migrate(ctx))
	e := &flowEnv{
		t: t, st: st, clk: testclock.New(time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)),
		metrics: metrics.New(), arrived: make(chan url.Values, 16), secrets: map[string]string{},
	}
	set := flowSettings{limits: ratelimit.DefaultConfig()}
	for _, o := range opts {
		o(&set)
	}

	now := e.clk.Now
	if set.now != nil {
		now = set.now
	}
	mux := http.NewServeMux()
	e.ts = httptest.NewUnstartedServer(mux)
	issuer := "http://" + e.ts.Listener.Addr().String()
	sealer, err := token.NewSealer([]byte(strings.Repeat("k", 32)), rand.Reader)
	must(t, err)
	keys := token.NewKeyring(st, sealer, token.KeyringOptions{Now: now})
	must(t, keys.Load(ctx))
	log := slog.New(slog.NewTextHandler(tWriter{t}, nil))
	limiter, err := ratelimit.New(st, set.limits, now)
	must(t, err)
	cfg := oauth.Config{Issuer: issuer, AccessTTL: 10 * time.Minute, RefreshTTL: 24 * time.Hour,
		AuthorizationCode: &set.authCode, Password: &oauth.PasswordConfig{}, DPoP: set.dpop, Registration: set.registration}
	if set.device != nil {
		dcfg := *set.device
		dcfg.UserCodeKey = flowUserCodeKey
		cfg.Device = &dcfg
	}
	e.srv, err = oauth.New(cfg, oauth.Deps{Store: st, Issuer: &token.Issuer{Keys: keys, Store: st, Now: now}, Logger: log, Metrics: e.metrics, Now: now,
		Limiter: limiter,
		Pages: func(srv *oauth.Server) (oauth.Interaction, error) {
			var err error
			e.pages, err = web.New(web.Config{Issuer: issuer, FormBurst: 100000},
				web.Deps{Store: st, Flows: srv.Actions(), Logger: log, Metrics: e.metrics, Limiter: limiter, Now: now, Authorizer: srv, UserCodeKey: flowUserCodeKey})
			return e.pages, err
		}})
	must(t, err)
	e.srv.Register(mux)
	if set.registration != nil {
		mux.Handle("POST "+oauth.PathInitialAccessTokens, e.srv.InitialAccessTokens())
	}
	e.pages.Register(mux)
	mux.HandleFunc("/", e.pages.NotFound)
	e.ts.Start()
	t.Cleanup(e.ts.Close)

	e.callback = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/favicon.ico" {
			http.NotFound(w, r)
			return
		}
		select {
		case e.arrived <- r.URL.Query():
		default:
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<!doctype html><title>Signed in</title><h1 id=done>Back at the app</h1>")
	}))
	t.Cleanup(e.callback.Close)
	e.fixtures()
	return e
}

// fixtures: the OIDC scopes and one API scope in the catalogue; alice and
// bob; a confidential web app, a public native app, a resource server
// that may introspect every token, and a legacy client.
func (e *flowEnv) fixtures() {
	ctx := context.Background()
	for _, sc := range oauth.OIDCScopes {
		must(e.t, e.st.PutScope(ctx, &sc))
	}
	must(e.t, e.st.PutScope(ctx, &keypad.Scope{Name: "api:read", Description: "Read your energy usage"}))
	now := e.clk.Now()
	for _, p := range []struct{ id, user, pw, name, email, phone string }{
		{"sub-alice", "alice", alicePassword, "Alice Example", "alice@example.com", "+14155550123"},
		{"sub-bob", "bob", bobPassword, "Bob Example", "bob@example.com", ""},
	} {
		phc, err := password.Hash(p.pw, rand.Reader)
		must(e.t, err)
		s := &keypad.Subject{ID: p.id, Username: p.user, PasswordHash: phc, Name: p.name, Email: p.email, Phone: p.phone,
			CreatedAt: now, UpdatedAt: now}
		if p.user == "alice" {
			s.Identifiers = []keypad.Identifier{{Type: keypad.IdentifierAddress, Value: "1 MAIN ST SPRINGFIELD"}}
		}
		must(e.t, e.st.CreateSubject(ctx, s))
	}
	all := []string{"openid", "profile", "email", "phone", "address", "offline_access", "api:read", "device:{id}:read", "device:{id}:control"}
	e.client(&keypad.Client{ID: "webapp", Name: "Energy Dashboard", Description: "Charts of your energy usage.",
		GrantTypes: []string{keypad.GrantAuthorizationCode, keypad.GrantRefreshToken}, Scopes: all,
		RedirectURIs: []string{e.callback.URL + "/callback"}, Options: keypad.ClientOptions{SigningAlg: keypad.AlgRS256}})
	e.client(&keypad.Client{ID: "native", Name: "Meter CLI", Public: true,
		GrantTypes: []string{keypad.GrantAuthorizationCode, keypad.GrantRefreshToken}, Scopes: all,
		RedirectURIs: []string{"http://127.0.0.1/cb"}})
	e.client(&keypad.Client{ID: "api", Name: "Energy API", Options: keypad.ClientOptions{IntrospectAny: true}})
	e.client(&keypad.Client{ID: "legacy", Name: "Old Desktop App",
		GrantTypes: []string{keypad.GrantPassword, keypad.GrantRefreshToken}, Scopes: []string{"api:read"}})
}

// client stores c; a confidential one gets a secret, kept in e.secrets.
func (e *flowEnv) client(c *keypad.Client) {
	e.t.Helper()
	if !c.Public {
		secret, err := token.NewSecret(nil, keypad.PrefixClientSecret)
		must(e.t, err)
		c.SecretHash = keypad.SecretHash(secret)
		e.secrets[c.ID] = secret
	}
	c.CreatedAt, c.UpdatedAt = e.clk.Now(), e.clk.Now()
	must(e.t, e.st.CreateClient(context.Background(), c))
}

func (e *flowEnv) updateClient(id string, edit func(*keypad.Client)) {
	e.t.Helper()
	c, err := e.st.GetClient(context.Background(), id)
	must(e.t, err)
	edit(c)
	must(e.t, e.st.UpdateClient(context.Background(), c))
}

// authURL builds an authorization request for client with params.
func (e *flowEnv) authURL(params url.Values) string {
	return e.ts.URL + oauth.PathAuthorize + "?" + params.Encode()
}

// pkce returns a verifier and its S256 challenge.
func pkce() (verifier, challenge string) {
	verifier = base64.RawURLEncoding.EncodeToString([]byte(strings.Repeat("v", 40)))
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// webParams is a typical request of the web app.
func (e *flowEnv) webParams(scope string) (url.Values, string) {
	verifier, challenge := pkce()
	return url.Values{
		"response_type": {"code"}, "client_id": {"webapp"}, "redirect_uri": {e.callback.URL + "/callback"},
		"scope": {scope}, "state": {"st-123"}, "nonce": {"n-456"},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"},
	}, verifier
}

// agent is a person's browser without a rendering engine: a cookie jar,
// redirects followed by hand so tests see each step.
type agent struct {
	e      *flowEnv
	c      *http.Client
	logins int // sign-in pages answered
	shown  int // consent pages answered
}

func (e *flowEnv) agent() *agent {
	jar, err := cookiejar.New(nil)
	must(e.t, err)
	return &agent{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type page struct {
	status   int
	location string
	body     string
	path     string
}

func (a *agent) do(method, target string, form url.Values) page {
	a.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	must(a.e.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := a.c.Do(req)
	must(a.e.t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	p := page{status: res.StatusCode, body: string(b), path: req.URL.Path}
	if loc, err := res.Location(); err == nil {
		p.location = loc.String()
	}
	return p
}

// authorize starts at target and walks the pages as a person would:
// signing in as user (when asked) and answering consent with action. It
// returns the first redirect that leaves keypad: the client's callback.
func (a *agent) authorize(target, user, pw, action string) *url.URL {
	a.e.t.Helper()
	p := a.do("GET", target, nil)
	for range 12 {
		switch {
		case p.location != "" && !strings.HasPrefix(p.location, a.e.ts.URL):
			u, err := url.Parse(p.location)
			must(a.e.t, err)
			return u
		case p.location != "":
			p = a.do("GET", p.location, nil)
		case p.status == http.StatusOK && p.path == "/login":
			a.logins++
			p = a.do("POST", a.e.ts.URL+"/login", url.Values{"username": {user}, "password": {pw}})
		case p.status == http.StatusOK && p.path == "/consent":
			a.shown++
			p = a.do("POST", a.e.ts.URL+"/consent", url.Values{"action": {action}, "request": {consentRequest(p.body)}})
		default:
			a.e.t.Fatalf("authorize: stuck at %s with status %d:\n%s", p.path, p.status, p.body)
		}
	}
	a.e.t.Fatalf("authorize: too many steps")
	return nil
}

// code runs a request to the end and returns the code, checking state.
func (a *agent) code(params url.Values, user, pw string) string {
	a.e.t.Helper()
	u := a.authorize(a.e.authURL(params), user, pw, "approve")
	q := u.Query()
	if q.Get("code") == "" || q.Get("state") != params.Get("state") || q.Get("iss") != a.e.ts.URL {
		a.e.t.Fatalf("callback %s: want code, state %q and iss %q", u, params.Get("state"), a.e.ts.URL)
	}
	return q.Get("code")
}

// tokenResponse is a token endpoint answer.
type tokenResponse struct {
	status int
	body   map[string]any
	raw    string
	header http.Header
}

func (r tokenResponse) str(k string) string { s, _ := r.body[k].(string); return s }

// post sends a form to path as client (Basic for confidential clients,
// client_id for public ones).
func (e *flowEnv) post(path, client string, form url.Values) tokenResponse {
	e.t.Helper()
	return e.postWith(path, client, form, nil)
}

// postWith is post with edit changing the request (a header) before it
// goes.
func (e *flowEnv) postWith(path, client string, form url.Values, edit func(*http.Request)) tokenResponse {
	e.t.Helper()
	if secret := e.secrets[client]; secret == "" {
		form.Set("client_id", client)
	}
	req, err := http.NewRequest("POST", e.ts.URL+path, strings.NewReader(form.Encode()))
	must(e.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if secret := e.secrets[client]; secret != "" {
		req.SetBasicAuth(url.QueryEscape(client), url.QueryEscape(secret))
	}
	if edit != nil {
		edit(req)
	}
	res, err := http.DefaultClient.Do(req)
	must(e.t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r := tokenResponse{status: res.StatusCode, raw: string(b), header: res.Header}
	json.Unmarshal(b, &r.body)
	return r
}

func (e *flowEnv) exchange(client, code, verifier string) tokenResponse {
	e.t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier}}
	if client == "webapp" {
		form.Set("redirect_uri", e.callback.URL+"/callback")
	}
	return e.post(oauth.PathToken, client, form)
}

func (e *flowEnv) refresh(client, rt string, extra url.Values) tokenResponse {
	e.t.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
	for k, v := range extra {
		form[k] = v
	}
	return e.post(oauth.PathToken, client, form)
}

// active introspects tok as the resource server "api".
func (e *flowEnv) active(tok string) bool {
	e.t.Helper()
	r := e.post(oauth.PathIntrospect, "api", url.Values{"token": {tok}})
	if r.status != http.StatusOK {
		e.t.Fatalf("introspect: %d %s", r.status, r.raw)
	}
	return r.body["active"] == true
}

func wantOK(t testing.TB, r tokenResponse) {
	t.Helper()
	if r.status != http.StatusOK || r.str("access_token") == "" {
		t.Fatalf("token request: got %d %s, want 200 with an access token", r.status, r.raw)
	}
}

func wantErr(t testing.TB, r tokenResponse, code string) {
	t.Helper()
	if r.status != http.StatusBadRequest || r.str("error") != code {
		t.Fatalf("token request: got %d %s, want 400 %s", r.status, r.raw, code)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// verifyJWT checks tok's signature against the server's published JWKS
// (fetched over HTTP, as a relying party does) and returns its header and
// claims.
func (e *flowEnv) verifyJWT(tok string) (header, claims map[string]any) {
	e.t.Helper()
	res, err := http.Get(e.ts.URL + oauth.PathJWKS)
	must(e.t, err)
	defer res.Body.Close()
	var set struct {
		Keys []struct {
			Kty, Kid, Alg, Crv, X, Y, N, E string
		} `json:"keys"`
	}
	must(e.t, json.NewDecoder(res.Body).Decode(&set))
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		e.t.Fatalf("not a JWT: %q", tok)
	}
	decode := func(s string, v any) {
		b, err := base64.RawURLEncoding.DecodeString(s)
		must(e.t, err)
		must(e.t, json.Unmarshal(b, v))
	}
	decode(parts[0], &header)
	decode(parts[1], &claims)
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	must(e.t, err)
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	num := func(s string) *big.Int {
		b, err := base64.RawURLEncoding.DecodeString(s)
		must(e.t, err)
		return new(big.Int).SetBytes(b)
	}
	for _, k := range set.Keys {
		if k.Kid != header["kid"] {
			continue
		}
		ok := false
		switch {
		case k.Kty == "RSA" && header["alg"] == "RS256":
			pub := &rsa.PublicKey{N: num(k.N), E: int(num(k.E).Int64())}
			ok = rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig) == nil
		case k.Kty == "EC" && header["alg"] == "ES256" && len(sig) == 64:
			pub := &ecdsa.PublicKey{Curve: elliptic.P256(), X: num(k.X), Y: num(k.Y)}
			ok = ecdsa.Verify(pub, sum[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
		}
		if !ok {
			e.t.Fatalf("JWT signature does not verify against key %s of the JWKS", k.Kid)
		}
		return header, claims
	}
	e.t.Fatalf("JWT kid %v is not in the JWKS", header["kid"])
	return nil, nil
}

// userinfo calls the userinfo endpoint with tok.
func (e *flowEnv) userinfo(tok string) tokenResponse {
	e.t.Helper()
	req, err := http.NewRequest("GET", e.ts.URL+oauth.PathUserinfo, nil)
	must(e.t, err)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	res, err := http.DefaultClient.Do(req)
	must(e.t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r := tokenResponse{status: res.StatusCode, raw: string(b), header: res.Header}
	json.Unmarshal(b, &r.body)
	return r
}

// atHash computes OIDC's at_hash independently of the server.
func atHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// open follows redirects from target, signing in as user when asked, and
// returns the first other page.
func (a *agent) open(target, user, pw string) page {
	a.e.t.Helper()
	p := a.do("GET", target, nil)
	for range 8 {
		switch {
		case p.location != "":
			p = a.do("GET", p.location, nil)
		case p.status == http.StatusOK && p.path == "/login":
			a.logins++
			p = a.do("POST", a.e.ts.URL+"/login", url.Values{"username": {user}, "password": {pw}})
		default:
			return p
		}
	}
	a.e.t.Fatalf("open %s: too many redirects", target)
	return p
}

// consentRequestField is the consent page's hidden field naming the request
// it shows; POST /consent answers only that request.
var consentRequestField = regexp.MustCompile(`name="request" value="([0-9a-f]*)"`)

// consentRequest returns the request field of a consent page body.
func consentRequest(body string) string {
	if m := consentRequestField.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return ""
}
