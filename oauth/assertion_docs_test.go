package oauth_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/internal/testclock"
	"github.com/keypadauth/keypad/metrics"
	"github.com/keypadauth/keypad/oauth"
	"github.com/keypadauth/keypad/store/sqlite"
	"github.com/keypadauth/keypad/token"
)

// The examples of docs/assertion-grant.md run against a real keypad: the
// OAuth server with the JWT bearer grant, on SQLite, over HTTP, with the
// test's clock. The partner is registered as the page registers it and
// signs the page's header and claims with its own RSA key.

const (
	// docPartnerIssuer is the --assertion-issuer of the page's no-client
	// example.
	docPartnerIssuer = "https://billing.acme.example"
	// docUnknownSub is the sub of the page's unknown-subject example.
	docUnknownSub = "1002"
)

// assertionDocEnv is keypad as docs/assertion-grant.md describes it: the
// partner client, registered with the public half of key, whose
// thumbprint is its kid, and the customer the partner knows as 1001.
type assertionDocEnv struct {
	*flowEnv
	partner string
	key     *rsa.PrivateKey
	kid     string
	subject *keypad.Subject
}

func newAssertionDocEnv(t *testing.T, partner string) *assertionDocEnv {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "keypad.db"))
	must(t, err)
	t.Cleanup(func() { st.Close() })
	must(t, st.Migrate(ctx))
	e := &flowEnv{t: t, st: st, clk: testclock.New(time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)),
		metrics: metrics.New(), secrets: map[string]string{}}

	mux := http.NewServeMux()
	e.ts = httptest.NewUnstartedServer(mux)
	sealer, err := token.NewSealer([]byte(strings.Repeat("k", 32)), rand.Reader)
	must(t, err)
	keys := token.NewKeyring(st, sealer, token.KeyringOptions{Now: e.clk.Now})
	must(t, keys.Load(ctx))
	// AccessTTL is what keypad serve's default access_ttl gives.
	e.srv, err = oauth.New(oauth.Config{Issuer: "http://" + e.ts.Listener.Addr().String(), AccessTTL: time.Hour, JWTBearer: &oauth.JWTBearerConfig{}},
		oauth.Deps{Store: st, Issuer: &token.Issuer{Keys: keys, Store: st, Now: e.clk.Now}, Metrics: e.metrics,
			Logger: slog.New(slog.NewTextHandler(tWriter{t}, nil)), Now: e.clk.Now})
	must(t, err)
	e.srv.Register(mux)
	e.ts.Start()
	t.Cleanup(e.ts.Close)

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	must(t, err)
	a := &assertionDocEnv{flowEnv: e, partner: partner, key: key}
	// What `keypad client create --grant-types jwt-bearer --scopes
	// usage:read --assertion-keys acme-public.pem` stores: the PEM key as
	// a JWK whose kid is its RFC 7638 thumbprint, a JWT token format.
	b64 := base64.RawURLEncoding.EncodeToString
	jwk := map[string]string{"kty": "RSA", "n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes()),
		"alg": keypad.AlgRS256, "use": "sig"}
	set := func() json.RawMessage {
		b, err := json.Marshal(map[string]any{"keys": []map[string]string{jwk}})
		must(t, err)
		return b
	}
	parsed, err := keypad.ParseAssertionKeys(set())
	must(t, err)
	a.kid = parsed[0].Thumbprint
	jwk["kid"] = a.kid
	must(t, st.PutScope(ctx, &keypad.Scope{Name: "usage:read", Description: "Read your energy usage"}))
	e.client(&keypad.Client{ID: partner, Name: "Acme Billing", GrantTypes: []string{keypad.GrantJWTBearer},
		Scopes: []string{"usage:read"}, TokenFormat: keypad.FormatJWT,
		Options: keypad.ClientOptions{AssertionKeys: set()}})

	// Customer 1001 of an import: the partner's number is the external ID,
	// keypad's subject ID is another.
	now := e.clk.Now()
	a.subject = &keypad.Subject{ID: "sub-heather", ExternalID: "1001", Name: "Heather Lee", CreatedAt: now, UpdatedAt: now}
	must(t, st.CreateSubject(ctx, a.subject))
	return a
}

// sign makes the compact RS256 JWS of header and claims with the
// partner's key.
func (a *assertionDocEnv) sign(header, claims map[string]any) string {
	a.t.Helper()
	enc := func(v map[string]any) string {
		b, err := json.Marshal(v)
		must(a.t, err)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	in := enc(header) + "." + enc(claims)
	sum := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(nil, a.key, crypto.SHA256, sum[:])
	must(a.t, err)
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// send posts a documented request with the form values in set, as the
// client the example names (HTTP Basic with its real secret), or with no
// client authentication at all when anonymous.
func (a *assertionDocEnv) send(req curlRequest, set map[string]string, anonymous bool) reply {
	a.t.Helper()
	r, err := http.NewRequest("POST", a.ts.URL+req.path, strings.NewReader(req.with(set).Encode()))
	must(a.t, err)
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if !anonymous {
		r.SetBasicAuth(url.QueryEscape(req.client), url.QueryEscape(a.secrets[req.client]))
	}
	res, err := http.DefaultClient.Do(r)
	must(a.t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	out := reply{status: res.StatusCode, header: res.Header, raw: string(b)}
	if err := json.Unmarshal(b, &out.body); err != nil {
		a.t.Fatalf("%s answered %d with no JSON object: %s", req.path, res.StatusCode, b)
	}
	return out
}

// docClaims reads the documented claims with the times moved to the
// test's clock, keeping their distances (iat becomes now), and the
// documented issuer's URLs made the test server's.
func (a *assertionDocEnv) docClaims(t *testing.T, text string) map[string]any {
	t.Helper()
	claims := jsonExample(t, "assertion-claims", strings.ReplaceAll(text, docIssuer, a.ts.URL))
	iat, ok := claims["iat"].(float64)
	if !ok {
		t.Fatalf("assertion-claims: iat %v is not a number", claims["iat"])
	}
	shift := a.clk.Now().Unix() - int64(iat)
	for _, k := range []string{"iat", "nbf", "exp"} {
		if v, ok := claims[k].(float64); ok {
			claims[k] = int64(v) + shift
		}
	}
	return claims
}

// withClaims is claims with the members in set replaced.
func withClaims(claims map[string]any, set map[string]any) map[string]any {
	out := maps.Clone(claims)
	maps.Copy(out, set)
	return out
}

// TestDocsAssertionGrant signs the assertion of docs/assertion-grant.md,
// sends the documented requests to a real keypad and compares the answers
// with the documented ones.
func TestDocsAssertionGrant(t *testing.T) {
	examples := openDocPage(t, "../docs/assertion-grant.md")
	get, docOf := examples.get, examples.reply
	req := examples.curl("token-request")
	if req.path != oauth.PathToken || req.form.Get("grant_type") != keypad.GrantJWTBearer {
		t.Fatalf("token-request posts grant_type %q to %s", req.form.Get("grant_type"), req.path)
	}
	if req.form.Get("assertion") != "$ASSERTION" {
		t.Errorf("token-request sends assertion %q; want the signed assertion, $ASSERTION", req.form.Get("assertion"))
	}
	e := newAssertionDocEnv(t, req.client)

	// The header as documented, with the kid of the key the test signs
	// with: the page's kid stands for a thumbprint of the partner's key.
	header := jsonExample(t, "assertion-header", get("assertion-header"))
	if kid, _ := header["kid"].(string); !secretShape.MatchString(kid) {
		t.Errorf("assertion-header: kid %q is not an RFC 7638 thumbprint (43 base64url characters)", kid)
	}
	header["kid"] = e.kid
	claims := e.docClaims(t, get("assertion-claims"))
	if claims["iss"] != req.client {
		t.Errorf("assertion-claims: iss %v; the partner registered without --assertion-issuer is %s", claims["iss"], req.client)
	}
	assertion := e.sign(header, claims)

	// Somebody keypad does not know, with the documented jti: refused, and
	// the jti is not used up by it.
	compare(t, "unknown-subject", docOf("unknown-subject"),
		e.send(req, map[string]string{"assertion": e.sign(header, withClaims(claims, map[string]any{"sub": docUnknownSub}))}, false),
		"error", "error_description")

	// The documented request, and its answer.
	got := e.send(req, map[string]string{"assertion": assertion}, false)
	doc := docOf("token-response")
	compare(t, "token-response", doc, got, "token_type", "expires_in", "scope")
	at, _ := got.body["access_token"].(string)
	if docAT, _ := doc.body["access_token"].(string); !strings.HasPrefix(at, strings.TrimSuffix(docAT, "...")) {
		t.Errorf("token-response: access_token %q does not begin as the documented %q", at, docAT)
	}
	if got.status == http.StatusOK {
		_, tokClaims := e.verifyJWT(at)
		if tokClaims["sub"] != e.subject.ID || tokClaims["client_id"] != req.client {
			t.Errorf("access token: sub %v, client_id %v; the page says the keypad subject ID %s and the partner %s",
				tokClaims["sub"], tokClaims["client_id"], e.subject.ID, req.client)
		}
	}

	// The same assertion again.
	compare(t, "replayed", docOf("replayed"), e.send(req, map[string]string{"assertion": assertion}, false),
		"error", "error_description")

	// Without client authentication (as golang.org/x/oauth2/jwt sends it):
	// iss names the client, the signature stands for its secret.
	fresh := withClaims(claims, map[string]any{"jti": "doc-no-credentials"})
	compare(t, "token-response (no credentials)", doc, e.send(req, map[string]string{"assertion": e.sign(header, fresh)}, true),
		"token_type", "expires_in", "scope")

	// A partner registered with --assertion-issuer must authenticate.
	e.updateClient(req.client, func(c *keypad.Client) { c.Options.AssertionIssuer = docPartnerIssuer })
	other := e.sign(header, withClaims(claims, map[string]any{"iss": docPartnerIssuer, "jti": "doc-other-issuer"}))
	compare(t, "no-client", docOf("no-client"), e.send(req, map[string]string{"assertion": other}, true),
		"error", "error_description")
	compare(t, "token-response (with --assertion-issuer)", doc, e.send(req, map[string]string{"assertion": other}, false),
		"token_type", "expires_in", "scope")

	examples.allChecked()
}
