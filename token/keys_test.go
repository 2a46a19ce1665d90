package token

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"math/big"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/store/sqlite"
	"github.com/keypadauth/keypad/store/sqlstore"
)

type jwksDoc struct {
	Keys []map[string]string `json:"keys"`
}

func mustJWKS(t *testing.T, k *Keyring) jwksDoc {
	t.Helper()
	var d jwksDoc
	if err := json.Unmarshal(k.JWKS(), &d); err != nil {
		t.Fatalf("JWKS is not JSON: %v", err)
	}
	return d
}

func (d jwksDoc) kids() []string {
	var out []string
	for _, k := range d.Keys {
		out = append(out, k["kid"])
	}
	return out
}

func (d jwksDoc) has(kid string) bool {
	for _, k := range d.Keys {
		if k["kid"] == kid {
			return true
		}
	}
	return false
}

// kidOf reads the kid from a compact JWS header.
func kidOf(t *testing.T, tok string) string {
	t.Helper()
	h, _, _ := strings.Cut(tok, ".")
	b, err := b64url.DecodeString(h)
	if err != nil {
		t.Fatal(err)
	}
	var hdr jwsHeader
	if err := json.Unmarshal(b, &hdr); err != nil {
		t.Fatal(err)
	}
	return hdr.Kid
}

func TestKeyringLoad(t *testing.T) {
	ctx := context.Background()
	st := mustOpenStore(t)
	c := newClock()
	k := mustKeyring(t, st, c, time.Hour)

	stored, err := st.ListKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	algs := map[string]int{}
	for _, sk := range stored {
		algs[sk.Algorithm]++
		if _, err := x509.ParsePKCS8PrivateKey(sk.PrivateSealed); err == nil {
			t.Errorf("key %s: private key stored in clear", sk.ID)
		}
	}
	if algs[keypad.AlgES256] != 1 || algs[keypad.AlgRS256] != 1 || len(stored) != 2 {
		t.Fatalf("first Load stored %v, want one ES256 and one RS256 key", algs)
	}

	doc := mustJWKS(t, k)
	if len(doc.Keys) != 2 {
		t.Fatalf("JWKS has %d keys, want 2", len(doc.Keys))
	}
	for _, j := range doc.Keys {
		if j["use"] != "sig" || j["kid"] == "" {
			t.Errorf("JWK %v: want use=sig and a kid", j)
		}
		switch j["alg"] {
		case keypad.AlgES256:
			if j["kty"] != "EC" || j["crv"] != "P-256" || j["x"] == "" || j["y"] == "" {
				t.Errorf("ES256 JWK = %v, want kty EC, crv P-256, x, y", j)
			}
		case keypad.AlgRS256:
			if j["kty"] != "RSA" || j["e"] != "AQAB" || len(j["n"]) < 340 {
				t.Errorf("RS256 JWK = %v, want kty RSA, e AQAB and a 2048-bit n", j)
			}
		default:
			t.Errorf("JWK with alg %q", j["alg"])
		}
		if _, ok := j["d"]; ok {
			t.Errorf("JWK %s publishes a private member", j["kid"])
		}
	}

	t.Run("OKSecondInstanceReusesKeys", func(t *testing.T) {
		k2 := mustKeyring(t, st, c, time.Hour)
		if got, want := string(k2.JWKS()), string(k.JWKS()); got != want {
			t.Errorf("second instance JWKS = %s, want %s", got, want)
		}
		again, _ := st.ListKeys(ctx)
		if len(again) != 2 {
			t.Errorf("second Load left %d keys in the store, want 2", len(again))
		}
	})
	t.Run("ErrWrongSecret", func(t *testing.T) {
		other := NewKeyring(st, mustSealer(t, []byte(strings.Repeat("w", 32))), KeyringOptions{Now: c.Now})
		err := other.Load(ctx)
		if !errors.Is(err, ErrUnseal) || !strings.Contains(err.Error(), "KEYPAD_SECRET") {
			t.Fatalf("Load with another secret: err = %v, want ErrUnseal mentioning KEYPAD_SECRET", err)
		}
	})
}

func TestKeyringRotate(t *testing.T) {
	ctx := context.Background()
	st := mustOpenStore(t)
	c := newClock()
	const overlap = 2 * time.Hour
	k := mustKeyring(t, st, c, overlap)
	claims := map[string]any{"sub": "x"}

	oldES, err := k.Sign(keypad.AlgES256, "at+jwt", claims)
	if err != nil {
		t.Fatal(err)
	}
	oldRS, err := k.Sign(keypad.AlgRS256, "at+jwt", claims)
	if err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Minute)
	if err := k.Rotate(ctx); err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	newES, err := k.Sign(keypad.AlgES256, "at+jwt", claims)
	if err != nil {
		t.Fatal(err)
	}
	if kidOf(t, newES) == kidOf(t, oldES) {
		t.Fatal("after Rotate the old ES256 key still signs")
	}
	if doc := mustJWKS(t, k); len(doc.Keys) != 4 || doc.Keys[0]["kid"] != kidOf(t, newES) {
		t.Fatalf("JWKS after rotation = %v, want 4 keys, the new current ES256 first", doc.kids())
	}

	t.Run("OKDuringOverlap", func(t *testing.T) {
		c.Advance(overlap - time.Minute)
		for _, tok := range []string{oldES, oldRS, newES} {
			var got map[string]any
			if err := k.Verify(ctx, tok, "at+jwt", &got); err != nil {
				t.Errorf("Verify(kid %s) during overlap: %v", kidOf(t, tok), err)
			}
		}
	})
	t.Run("ErrAfterOverlap", func(t *testing.T) {
		c.Advance(time.Minute)
		doc := mustJWKS(t, k)
		if doc.has(kidOf(t, oldES)) || doc.has(kidOf(t, oldRS)) || len(doc.Keys) != 2 {
			t.Errorf("JWKS after the overlap = %v, want only the 2 new keys", doc.kids())
		}
		var got map[string]any
		if err := k.Verify(ctx, oldES, "at+jwt", &got); !errors.Is(err, ErrUnknownKey) {
			t.Errorf("Verify of an old token after the overlap: err = %v, want ErrUnknownKey", err)
		}
		if err := k.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		stored, _ := st.ListKeys(ctx)
		if len(stored) != 2 {
			t.Errorf("store holds %d keys after Refresh, want the 2 current ones", len(stored))
		}
	})
}

// countingKeys counts ListKeys calls on the real store.
type countingKeys struct {
	*sqlstore.Store
	lists atomic.Int32
}

func (c *countingKeys) ListKeys(ctx context.Context) ([]*keypad.SigningKey, error) {
	c.lists.Add(1)
	return c.Store.ListKeys(ctx)
}

func TestKeyringOtherInstance(t *testing.T) {
	ctx := context.Background()
	st := mustOpenStore(t)
	c := newClock()
	a := mustKeyring(t, st, c, time.Hour)
	cb := &countingKeys{Store: st}
	b := NewKeyring(cb, mustSealer(t, testSecret), KeyringOptions{Now: c.Now, ReloadInterval: 10 * time.Second})
	if err := b.Load(ctx); err != nil {
		t.Fatal(err)
	}
	before, _ := b.Sign(keypad.AlgES256, "at+jwt", map[string]any{})

	c.Advance(time.Minute)
	if err := a.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	tok, _ := a.Sign(keypad.AlgES256, "at+jwt", map[string]any{"n": 1})

	t.Run("OKUnknownKidReloads", func(t *testing.T) {
		n := cb.lists.Load()
		var got map[string]any
		if err := b.Verify(ctx, tok, "at+jwt", &got); err != nil {
			t.Fatalf("instance B verifying A's new key: %v", err)
		}
		if cb.lists.Load() != n+1 {
			t.Errorf("store reads = %d, want one reload", cb.lists.Load()-n)
		}
		// B reloaded, so its current key is A's new one now.
		after, _ := b.Sign(keypad.AlgES256, "at+jwt", map[string]any{})
		if kidOf(t, after) != kidOf(t, tok) || kidOf(t, after) == kidOf(t, before) {
			t.Errorf("B signs with %s, want the rotated key %s", kidOf(t, after), kidOf(t, tok))
		}
	})
	t.Run("OKReloadRateLimited", func(t *testing.T) {
		forged := forge(t, map[string]any{"alg": "ES256", "kid": "no-such-kid", "typ": "at+jwt"}, map[string]any{}, nil)
		c.Advance(time.Minute)
		n := cb.lists.Load()
		var got map[string]any
		for range 5 {
			if err := b.Verify(ctx, forged, "at+jwt", &got); !errors.Is(err, ErrUnknownKey) {
				t.Fatalf("Verify with an unknown kid: err = %v, want ErrUnknownKey", err)
			}
		}
		if got := cb.lists.Load() - n; got != 1 {
			t.Errorf("5 unknown kids within the interval read the store %d times, want 1", got)
		}
		c.Advance(10 * time.Second)
		b.Verify(ctx, forged, "at+jwt", &got)
		if got := cb.lists.Load() - n; got != 2 {
			t.Errorf("after the interval: %d store reads, want 2", got)
		}
	})
	t.Run("OKRefreshPicksUpRotation", func(t *testing.T) {
		c2 := mustKeyring(t, st, c, time.Hour)
		c.Advance(time.Minute)
		if err := a.Rotate(ctx); err != nil {
			t.Fatal(err)
		}
		cur, _ := a.Sign(keypad.AlgRS256, "at+jwt", map[string]any{})
		if err := c2.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		got, _ := c2.Sign(keypad.AlgRS256, "at+jwt", map[string]any{})
		if kidOf(t, got) != kidOf(t, cur) {
			t.Errorf("after Refresh instance signs with %s, want %s", kidOf(t, got), kidOf(t, cur))
		}
	})
}

// jwkPublic turns a JWK from the JWKS into a public key, the way a
// resource server would.
func jwkPublic(t *testing.T, j map[string]string) any {
	t.Helper()
	dec := func(s string) []byte {
		b, err := b64url.DecodeString(s)
		if err != nil {
			t.Fatalf("JWK member is not base64url: %v", err)
		}
		return b
	}
	switch j["kty"] {
	case "EC":
		raw := append([]byte{4}, append(dec(j["x"]), dec(j["y"])...)...)
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), raw)
		if err != nil {
			t.Fatalf("EC JWK: %v", err)
		}
		return pub
	case "RSA":
		return &rsa.PublicKey{N: new(big.Int).SetBytes(dec(j["n"])), E: int(new(big.Int).SetBytes(dec(j["e"])).Int64())}
	}
	t.Fatalf("JWK kty %q", j["kty"])
	return nil
}

// TestLoadAtOnceCreatesOneKeyPerAlgorithm starts keyrings at once on one
// empty database through several stores, as instances starting together
// would: they end with exactly one current key per algorithm, which every
// keyring publishes.
func TestLoadAtOnceCreatesOneKeyPerAlgorithm(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keypad.db")
	stores := make([]*sqlstore.Store, 3)
	for i := range stores {
		st, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if err := st.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		stores[i] = st
	}
	c := newClock()
	rings := make([]*Keyring, 6)
	errs := make([]error, len(rings))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range rings {
		rings[i] = NewKeyring(stores[i%len(stores)], mustSealer(t, testSecret), KeyringOptions{Now: c.Now})
		wg.Go(func() {
			<-start
			errs[i] = rings[i].Load(t.Context())
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("keyring %d: Load: %v", i, err)
		}
	}
	stored, err := stores[0].ListKeys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	current := map[string]int{}
	for _, k := range stored {
		if k.RetiredAt.IsZero() {
			current[k.Algorithm]++
		}
	}
	for _, alg := range Algorithms {
		if current[alg] != 1 {
			t.Errorf("%d current %s keys, want 1 (stored: %d keys)", current[alg], alg, len(stored))
		}
	}
	for i, k := range rings {
		if string(k.JWKS()) != string(rings[0].JWKS()) {
			t.Errorf("keyring %d publishes other keys than keyring 0", i)
		}
	}
}
