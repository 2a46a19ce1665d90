package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
)

// jwksServer is a client's server publishing its keys at /jwks, counting
// fetches; the keys and Cache-Control can change between requests.
type jwksServer struct {
	ts           *httptest.Server
	fetches      atomic.Int32
	mu           sync.Mutex
	doc          json.RawMessage
	cacheControl string
}

func newJWKSServer(t *testing.T, doc json.RawMessage, cacheControl string) *jwksServer {
	j := &jwksServer{doc: doc, cacheControl: cacheControl}
	j.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		j.fetches.Add(1)
		j.mu.Lock()
		defer j.mu.Unlock()
		if j.cacheControl != "" {
			w.Header().Set("Cache-Control", j.cacheControl)
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Write(j.doc)
	}))
	t.Cleanup(j.ts.Close)
	return j
}

func (j *jwksServer) set(doc json.RawMessage) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.doc = doc
}

// addJWKSClient registers "kju", a private_key_jwt client whose keys are
// at uri.
func (k *keyJWTEnv) addJWKSClient(t *testing.T, uri string) {
	t.Helper()
	c := service("kju", keypad.FormatOpaque, "read")
	c.Name = "kju"
	c.Options = keypad.ClientOptions{TokenEndpointAuthMethod: keypad.AuthMethodPrivateKeyJWT, JWKSURI: uri}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	k.mustClient(c)
}

// kju signs a client assertion of "kju" with the EC key, under kid.
func (k *keyJWTEnv) kju(kid string) string {
	c := k.claims()
	c["iss"], c["sub"] = "kju", "kju"
	return signJWS(k.keys.ec, nil, map[string]any{"alg": "ES256", "kid": kid}, c)
}

func allowPrivate(c *Config) { c.ClientJWKS.AllowPrivate = true }

func TestJWKSURICacheAndRefetch(t *testing.T) {
	k := newKeyJWTEnv(t, allowPrivate)
	js := newJWKSServer(t, jwks(jwkOf(&k.keys.ec.PublicKey, "e1")), "public, max-age=600")
	k.addJWKSClient(t, js.ts.URL+"/jwks")
	step := func(name, kid string, wantOK bool, wantFetches int32) {
		t.Helper()
		r := k.post(PathToken, withAssertion(k.kju(kid)), nil)
		if ok := r.status == http.StatusOK; ok != wantOK {
			t.Fatalf("%s: got %d %s, want success %v", name, r.status, r.raw, wantOK)
		}
		if got := js.fetches.Load(); got != wantFetches {
			t.Fatalf("%s: %d fetches of the jwks_uri, want %d", name, got, wantFetches)
		}
	}
	step("first use fetches", "e1", true, 1)
	step("second use is cached", "e1", true, 1)
	// The client rotates: the same key now under kid e2. Within the
	// refetch interval of the last fetch keypad does not look again...
	js.set(jwks(jwkOf(&k.keys.ec.PublicKey, "e2")))
	step("unknown kid right after a fetch does not fetch", "e2", false, 1)
	// ...after it, an assertion naming the new kid makes keypad fetch
	// again, long before max-age runs out.
	k.clk.Advance(DefaultJWKSRefetch)
	step("unknown kid refetches", "e2", true, 2)
	step("made-up kid within the refetch interval does not fetch", "zz", false, 2)
	k.clk.Advance(DefaultJWKSRefetch + time.Second)
	step("made-up kid after the interval fetches once", "zz", false, 3)
	step("known kid stays cached", "e2", true, 3)
	k.clk.Advance(10 * time.Minute) // max-age=600 after the last fetch
	step("expired cache fetches", "e2", true, 4)
}

func TestJWKSURICacheControl(t *testing.T) {
	f := &jwksFetcher{}
	f.init(JWKSFetchConfig{})
	for cc, want := range map[string]time.Duration{
		"":                        DefaultJWKSCacheTTL,
		"max-age=600":             10 * time.Minute,
		"public, max-age=\"120\"": 2 * time.Minute,
		"no-store":                DefaultJWKSMinCacheTTL,
		"max-age=0":               DefaultJWKSMinCacheTTL,
		"max-age=31536000":        DefaultJWKSMaxCacheTTL,
		"max-age=banana":          DefaultJWKSCacheTTL,
	} {
		if got := f.cacheTTL(cc); got != want {
			t.Errorf("Cache-Control %q: cached %s, want %s", cc, got, want)
		}
	}
}

// TestJWKSURIPrivateAddressRefused: without client_jwks_allow_private a
// jwks_uri on a loopback address is never fetched.
func TestJWKSURIPrivateAddressRefused(t *testing.T) {
	k := newKeyJWTEnv(t)
	js := newJWKSServer(t, jwks(jwkOf(&k.keys.ec.PublicKey, "e1")), "")
	k.addJWKSClient(t, strings.Replace(js.ts.URL, "127.0.0.1", "localhost", 1)+"/jwks")
	r := k.post(PathToken, withAssertion(k.kju("e1")), nil)
	wantError(t, r, http.StatusUnauthorized, "invalid_client")
	if d, _ := r.body["error_description"].(string); !strings.Contains(d, "loopback or private address") {
		t.Errorf("error_description = %q, want it to name the refused address", d)
	}
	if n := js.fetches.Load(); n != 0 {
		t.Errorf("the jwks_uri was fetched %d times, want 0", n)
	}
}

func TestRefusePrivate(t *testing.T) {
	for addr, wantRefused := range map[string]bool{
		"127.0.0.1:443":         true,
		"10.1.2.3:443":          true,
		"192.168.0.1:443":       true,
		"172.16.5.4:443":        true,
		"169.254.169.254:80":    true, // cloud metadata
		"100.64.0.1:443":        true,
		"0.0.0.0:443":           true,
		"[::1]:443":             true,
		"[fd00::1]:443":         true,
		"[fe80::1]:443":         true,
		"[::ffff:127.0.0.1]:80": true,
		"8.8.8.8:443":           false,
		"[2001:4860::8888]:443": false,
	} {
		err := refusePrivate("tcp", addr, nil)
		if refused := errors.Is(err, errPrivateAddress); refused != wantRefused {
			t.Errorf("%s: refused %v, want %v", addr, refused, wantRefused)
		}
	}
}

func TestJWKSURILimits(t *testing.T) {
	big := make([]byte, DefaultJWKSMaxBytes+10)
	for i := range big {
		big[i] = ' '
	}
	copy(big, `{"keys":[]}`)
	for name, tc := range map[string]struct {
		handler http.HandlerFunc
		want    string
	}{
		"ErrTooLarge": {func(w http.ResponseWriter, r *http.Request) { w.Write(big) }, "more than 65536 bytes"},
		"ErrRedirect": {func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://169.254.169.254/", http.StatusFound)
		}, "HTTP 302"},
		"ErrNotJWKS": {func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"keys":[{"kty":"oct","k":"AAAA"}]}`)) }, "private or symmetric"},
	} {
		t.Run(name, func(t *testing.T) {
			ts := httptest.NewServer(tc.handler)
			defer ts.Close()
			f := &jwksFetcher{}
			f.init(JWKSFetchConfig{AllowPrivate: true})
			_, _, err := f.fetch(context.Background(), ts.URL)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error saying %q", err, tc.want)
			}
		})
	}
}
