package energy

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/config"
	"github.com/keypadauth/keypad/internal/testclock"
	"github.com/keypadauth/keypad/oauth"
	"github.com/keypadauth/keypad/password"
	"github.com/keypadauth/keypad/server"
	"github.com/keypadauth/keypad/token"
)

// The clients registered at every test keypad.
const (
	// appJWT gets ES256 JWT access tokens, appRS256 RS256 ones, appOpaque
	// opaque kp_at_ tokens that the API must introspect. All three are
	// confidential and use the password grant with refresh tokens.
	appJWT    = "meter-app"
	appRS256  = "meter-app-rs256"
	appOpaque = "meter-tv"
	// apiClient is the energy API's own identity, for introspection.
	apiClient = "energy-api"
	// appDPoP and appDPoPOpaque are registered --dpop required: their
	// tokens (JWT, opaque) are all bound to the app's DPoP key.
	appDPoP       = "meter-app-dpop"
	appDPoPOpaque = "meter-tv-dpop"
)

// testPassword is every test person's password.
const testPassword = "correct horse battery staple"

// people are keypad's subjects: the API's customers map knows heather and
// bob by their subject IDs; stranger has an account at keypad only.
var people = []struct{ sub, username string }{
	{"sub-heather", "heather"},
	{"sub-bob", "bob"},
	{"sub-stranger", "stranger"},
}

var (
	hashOnce sync.Once
	hashPHC  string
	hashErr  error
)

// passwordHash is testPassword's argon2id hash, computed once per process:
// a hash takes a quarter second under the race detector.
func passwordHash(t *testing.T) string {
	t.Helper()
	hashOnce.Do(func() { hashPHC, hashErr = password.Hash(testPassword, rand.Reader) })
	if hashErr != nil {
		t.Fatal(hashErr)
	}
	return hashPHC
}

// testKeypad is a real keypad server on 127.0.0.1 with SQLite in a test
// directory, on the test's clock, with the test's clients and people in
// its store as an administrator would register them.
type testKeypad struct {
	cfg     config.Config
	clock   *testclock.Clock
	srv     *server.Server
	served  chan error
	url     string
	secrets map[string]string // by client ID
	// transport carries every request to keypad (the apps' and the API's),
	// so a restart can drop the connections to the stopped server.
	transport *http.Transport
	// refresh holds the latest refresh token by client, person and scope.
	refresh map[string]string
}

// startKeypad starts keypad on the clock, seeds it and stops it with the
// test.
func startKeypad(t *testing.T, clock *testclock.Clock) *testKeypad {
	t.Helper()
	cfg := config.Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.DB = "sqlite:" + filepath.Join(t.TempDir(), "keypad.db")
	cfg.AutoMigrate = true
	k := &testKeypad{
		cfg: cfg, clock: clock, secrets: map[string]string{}, refresh: map[string]string{},
		transport: &http.Transport{},
	}
	k.start(t)
	t.Cleanup(func() { k.stop(t) })
	k.seed(t)
	return k
}

func (k *testKeypad) start(t *testing.T) {
	t.Helper()
	srv, err := server.New(context.Background(), k.cfg, server.Options{
		Now: k.clock.Now, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatalf("start keypad: %v", err)
	}
	k.srv, k.url, k.served = srv, srv.URL(), make(chan error, 1)
	// A restart listens on the same address, so the issuer stays.
	k.cfg.Addr = srv.Addr().String()
	go func() { k.served <- srv.Serve() }()
}

// stop shuts keypad down, leaving its port closed; it does nothing when
// keypad is not running.
func (k *testKeypad) stop(t *testing.T) {
	t.Helper()
	if k.srv == nil {
		return
	}
	if err := k.srv.Shutdown(context.Background()); err != nil {
		t.Errorf("keypad Shutdown: %v", err)
	}
	if err := <-k.served; err != nil {
		t.Errorf("keypad Serve: %v", err)
	}
	k.srv = nil
	k.transport.CloseIdleConnections()
}

// seed registers the clients and the people.
func (k *testKeypad) seed(t *testing.T) {
	t.Helper()
	ctx, st, now := context.Background(), k.srv.Store(), k.clock.Now()
	app := func(id string, format keypad.TokenFormat, alg string) *keypad.Client {
		return &keypad.Client{
			ID: id, Name: id, TokenFormat: format, Options: keypad.ClientOptions{SigningAlg: alg},
			GrantTypes: []string{keypad.GrantPassword, keypad.GrantRefreshToken},
			Scopes:     []string{"usage:read", "profile", "email"},
		}
	}
	clients := []*keypad.Client{
		app(appJWT, keypad.FormatJWT, ""),
		app(appRS256, keypad.FormatJWT, keypad.AlgRS256),
		app(appOpaque, keypad.FormatOpaque, ""),
		dpopApp(app(appDPoP, keypad.FormatJWT, "")),
		dpopApp(app(appDPoPOpaque, keypad.FormatOpaque, "")),
		// A resource server reading other clients' tokens.
		{ID: apiClient, Name: "Energy usage API", TokenFormat: keypad.FormatJWT,
			Options: keypad.ClientOptions{IntrospectAny: true}},
	}
	for _, c := range clients {
		secret, err := token.NewSecret(nil, keypad.PrefixClientSecret)
		if err != nil {
			t.Fatal(err)
		}
		if c.ID == apiClient {
			// Characters the API must form-encode before HTTP Basic (RFC
			// 6749 §2.3.1), which keypad decodes.
			secret += "/+=&:"
		}
		k.secrets[c.ID] = secret
		c.SecretHash, c.CreatedAt, c.UpdatedAt = keypad.SecretHash(secret), now, now
		if err := st.CreateClient(ctx, c); err != nil {
			t.Fatalf("register client %s: %v", c.ID, err)
		}
	}
	for _, p := range people {
		s := &keypad.Subject{ID: p.sub, Username: p.username, Name: p.username,
			PasswordHash: passwordHash(t), CreatedAt: now, UpdatedAt: now}
		if err := st.CreateSubject(ctx, s); err != nil {
			t.Fatalf("create subject %s: %v", p.sub, err)
		}
	}
}

// dpopApp registers c with --dpop required.
func dpopApp(c *keypad.Client) *keypad.Client {
	c.Options.DPoP = keypad.DPoPRequired
	return c
}

// oauth2Config is the client's configuration in golang.org/x/oauth2.
func (k *testKeypad) oauth2Config(clientID, scope string) *oauth2.Config {
	return &oauth2.Config{
		ClientID: clientID, ClientSecret: k.secrets[clientID], Scopes: strings.Fields(scope),
		Endpoint: oauth2.Endpoint{TokenURL: k.url + oauth.PathToken, AuthStyle: oauth2.AuthStyleInHeader},
	}
}

func (k *testKeypad) ctx() context.Context {
	return context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: k.transport})
}

// login signs username in at keypad through client with the password
// grant, asking for scope ("" for every scope the client may have).
func (k *testKeypad) login(t *testing.T, clientID, username, scope string) *oauth2.Token {
	t.Helper()
	tok, err := k.oauth2Config(clientID, scope).PasswordCredentialsToken(k.ctx(), username, testPassword)
	if err != nil {
		t.Fatalf("password grant for %s at %s: %v", username, clientID, err)
	}
	return tok
}

// token returns a fresh access token keypad issues to username through
// client: the password grant the first time, the refresh token grant with
// the latest refresh token after that (argon2id is slow under -race).
func (k *testKeypad) token(t *testing.T, clientID, username, scope string) string {
	t.Helper()
	key := clientID + " " + username + " " + scope
	var tok *oauth2.Token
	if rt, ok := k.refresh[key]; ok {
		var err error
		if tok, err = k.oauth2Config(clientID, scope).TokenSource(k.ctx(), &oauth2.Token{RefreshToken: rt}).Token(); err != nil {
			t.Fatalf("refresh for %s at %s: %v", username, clientID, err)
		}
	} else {
		tok = k.login(t, clientID, username, scope)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" {
		t.Fatalf("keypad answered %+v, want an access and a refresh token", tok)
	}
	k.refresh[key] = tok.RefreshToken
	return tok.AccessToken
}

// revoke revokes tok at keypad (RFC 7009) as the client it was issued to.
func (k *testKeypad) revoke(t *testing.T, clientID, tok string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, k.url+oauth.PathRevoke, strings.NewReader(url.Values{"token": {tok}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(k.secrets[clientID]))
	resp, err := (&http.Client{Transport: k.transport}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke: status %d", resp.StatusCode)
	}
}

// keyring opens keypad's signing keys from its store and secret, as
// `keypad keys rotate` does.
func (k *testKeypad) keyring(t *testing.T) *token.Keyring {
	t.Helper()
	keys, _, err := server.OpenKeyring(context.Background(), k.cfg, k.srv.Store(), k.clock.Now, nil)
	if err != nil {
		t.Fatalf("open keypad's keys: %v", err)
	}
	return keys
}

// rotateKeys does what `keypad keys rotate` does: a new key of each
// algorithm, the old ones retired but still published. A running keypad
// starts signing with the new keys at its next key refresh, within a
// minute; restarting it on the same address makes that happen now.
func (k *testKeypad) rotateKeys(t *testing.T) {
	t.Helper()
	if err := k.keyring(t).Rotate(context.Background()); err != nil {
		t.Fatalf("rotate keypad's keys: %v", err)
	}
	k.stop(t)
	k.start(t)
}

// sign signs claims with keypad's current key of alg under a JOSE header
// of the given typ ("" for none): a token keypad would never issue that
// still carries its valid signature, so the API's checks after the
// signature are what refuses it.
func (k *testKeypad) sign(t *testing.T, alg, typ string, claims map[string]any) string {
	t.Helper()
	tok, err := k.keyring(t).Sign(alg, typ, claims)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// jwks is keypad's published key set, as served.
func (k *testKeypad) jwks(t *testing.T) []byte {
	t.Helper()
	resp, err := (&http.Client{Transport: k.transport}).Get(k.url + oauth.PathJWKS)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
		t.Fatalf("JWKS: %v", err)
	}
	return raw
}

// jwtSegments splits a compact JWS and decodes its header and claims.
func jwtSegments(t *testing.T, tok string) (header, claims map[string]any, parts []string) {
	t.Helper()
	parts = strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("%q is not a compact JWS", tok)
	}
	for i, into := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, into); err != nil {
			t.Fatal(err)
		}
	}
	return header, claims, parts
}

// countingTransport counts the API's requests to keypad by path, so a
// test can tell a cached key set or introspection answer from a fresh one.
type countingTransport struct {
	base http.RoundTripper
	mu   sync.Mutex
	n    map[string]int
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.n[r.URL.Path]++
	c.mu.Unlock()
	return c.base.RoundTrip(r)
}

func (c *countingTransport) count(path string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[path]
}
