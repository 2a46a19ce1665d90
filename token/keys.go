package token

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/token/jose"
)

// Defaults for KeyringOptions.
const (
	// DefaultOverlap keeps a retired key published for a day: longer than
	// any default access token lives, so rotation never breaks a token.
	DefaultOverlap = 24 * time.Hour
	// DefaultReloadInterval bounds how often a token with an unknown kid
	// makes the keyring re-read the store, so forged kids cannot flood it.
	DefaultReloadInterval = 5 * time.Second
	// rsaBits is the RS256 modulus size (RFC 7518 §3.3 asks for ≥ 2048).
	rsaBits = 2048
)

// KeyringOptions tune a Keyring; the zero value means defaults.
type KeyringOptions struct {
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Rand is handed to key generation. Since Go 1.26 the standard library
	// ignores it there and always uses a secure source; tests that need
	// fixed keys use testing/cryptotest.SetGlobalRandom.
	Rand io.Reader
	// Overlap is how long a retired key stays published (and accepted) after
	// rotation. It must exceed the longest access token lifetime, or
	// rotation cuts tokens short.
	Overlap time.Duration
	// ReloadInterval is the least time between store reloads caused by an
	// unknown kid.
	ReloadInterval time.Duration
}

// Keyring holds the signing keys of this server: the current key of each
// algorithm, which signs, and retired keys, which only verify until their
// overlap ends. It caches parsed keys; the store is the truth shared by
// every instance, so the keyring re-reads it on Refresh and when asked to
// verify a kid it does not know (rate-limited).
type Keyring struct {
	store  keypad.KeyStore
	sealer *Sealer
	opts   KeyringOptions

	set        atomic.Pointer[keySet]
	reloadMu   sync.Mutex
	lastReload atomic.Int64 // unix nanoseconds of the last unknown-kid reload
}

// keySet is an immutable snapshot of the published keys; verification and
// signing read it without locks.
type keySet struct {
	byID    map[string]*signingKey
	current map[string]*signingKey // by algorithm
	ordered []*signingKey          // current (ES256 first), then newest first
	// retireEnds is the earliest time a retired key stops being published
	// (zero when no key is retired); JWKS is recomputed after it.
	retireEnds time.Time
	jwks       []byte
}

type signingKey struct {
	id, alg string
	priv    crypto.Signer
	pub     crypto.PublicKey
	jwk     jwk
	created time.Time
	retired time.Time
	// headers caches the encoded JOSE header per typ (jwt.go); copies
	// of the key share it.
	headers *sync.Map
}

// jwk is a public key as RFC 7517 / RFC 7518 §6 spell it.
type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
}

// NewKeyring returns a keyring over store; call Load before use.
func NewKeyring(store keypad.KeyStore, sealer *Sealer, opts KeyringOptions) *Keyring {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Overlap <= 0 {
		opts.Overlap = DefaultOverlap
	}
	if opts.ReloadInterval <= 0 {
		opts.ReloadInterval = DefaultReloadInterval
	}
	k := &Keyring{store: store, sealer: sealer, opts: opts}
	k.set.Store(&keySet{byID: map[string]*signingKey{}, current: map[string]*signingKey{}, jwks: []byte(`{"keys":[]}`)})
	return k
}

// Algorithms lists the signing algorithms the keyring keeps a key for,
// default first.
var Algorithms = []string{keypad.AlgES256, keypad.AlgRS256}

// Load reads the keys from the store and, on first start, generates the
// missing current key of each algorithm. Instances starting at once on one
// database create one key per algorithm between them: the store refuses
// a second current key (ErrConflict), and the loser loads the winner's.
func (k *Keyring) Load(ctx context.Context) error {
	if err := k.reload(ctx); err != nil {
		return err
	}
	set := k.set.Load()
	created := false
	for _, alg := range Algorithms {
		if set.current[alg] != nil {
			continue
		}
		_, err := k.create(ctx, alg, k.store.CreateCurrentKey)
		if err != nil && !errors.Is(err, keypad.ErrConflict) {
			return err
		}
		created = true
	}
	if !created {
		return nil
	}
	return k.reload(ctx)
}

// Refresh re-reads the store so keys rotated by another instance are picked
// up: the new key signs here too, and retired ones stop signing. Call it
// periodically (every minute or so).
func (k *Keyring) Refresh(ctx context.Context) error { return k.reload(ctx) }

// Rotate creates a new key of every algorithm and retires all others. The
// retired keys stay published for the overlap so tokens they signed still
// verify.
func (k *Keyring) Rotate(ctx context.Context) error {
	fresh := map[string]bool{}
	for _, alg := range Algorithms {
		id, err := k.create(ctx, alg, k.store.CreateKey)
		if err != nil {
			return err
		}
		fresh[id] = true
	}
	stored, err := k.store.ListKeys(ctx)
	if err != nil {
		return fmt.Errorf("rotate keys: %w", err)
	}
	now := k.opts.Now()
	for _, sk := range stored {
		if fresh[sk.ID] || !sk.RetiredAt.IsZero() {
			continue
		}
		if err := k.store.RetireKey(ctx, sk.ID, now); err != nil && !errors.Is(err, keypad.ErrNotFound) {
			return fmt.Errorf("rotate keys: retire %s: %w", sk.ID, err)
		}
	}
	return k.reload(ctx)
}

// JWKS returns the published keys as a JWK Set (RFC 7517 §5).
func (k *Keyring) JWKS() []byte {
	cur := k.set.Load()
	if !cur.retireEnds.IsZero() && !k.opts.Now().Before(cur.retireEnds) {
		// A retired key's overlap ended since the last reload: drop it
		// without waiting for the store.
		next := k.rebuild(cur.ordered)
		k.set.CompareAndSwap(cur, next)
		return next.jwks
	}
	return cur.jwks
}

// create generates and seals a key of alg, stores it with store
// (CreateKey or CreateCurrentKey) and returns its kid.
func (k *Keyring) create(ctx context.Context, alg string, store func(context.Context, *keypad.SigningKey) error) (string, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case keypad.AlgES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), k.opts.Rand)
	case keypad.AlgRS256:
		priv, err = rsa.GenerateKey(k.opts.Rand, rsaBits)
	default:
		return "", fmt.Errorf("generate key: unsupported algorithm %q", alg)
	}
	if err != nil {
		return "", fmt.Errorf("generate %s key: %w", alg, err)
	}
	pk, err := publicJWK(priv.Public(), alg)
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", fmt.Errorf("generate %s key: %w", alg, err)
	}
	pub, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		return "", fmt.Errorf("generate %s key: %w", alg, err)
	}
	sealed, err := k.sealer.Seal(der, keyAD(pk.Kid))
	if err != nil {
		return "", fmt.Errorf("generate %s key: %w", alg, err)
	}
	sk := &keypad.SigningKey{ID: pk.Kid, Algorithm: alg, PrivateSealed: sealed, Public: pub, CreatedAt: k.opts.Now()}
	if err := store(ctx, sk); err != nil {
		return "", fmt.Errorf("store %s key: %w", alg, err)
	}
	return pk.Kid, nil
}

// keyAD binds a sealed private key to its kid, so sealed blobs cannot be
// swapped between rows.
func keyAD(kid string) []byte { return []byte("keypad/signing-key/" + kid) }

// reload replaces the cached keys with the store's, deleting keys whose
// overlap has ended.
func (k *Keyring) reload(ctx context.Context) error {
	stored, err := k.store.ListKeys(ctx)
	if err != nil {
		return fmt.Errorf("load keys: %w", err)
	}
	now := k.opts.Now()
	old := k.set.Load()
	var keys []*signingKey
	for _, s := range stored {
		if !s.RetiredAt.IsZero() && !now.Before(s.RetiredAt.Add(k.opts.Overlap)) {
			if err := k.store.DeleteKey(ctx, s.ID); err != nil && !errors.Is(err, keypad.ErrNotFound) {
				return fmt.Errorf("delete expired key %s: %w", s.ID, err)
			}
			continue
		}
		if c := old.byID[s.ID]; c != nil && c.alg == s.Algorithm {
			// Parsed before: only the retirement can have changed.
			cp := *c
			cp.retired = s.RetiredAt
			keys = append(keys, &cp)
			continue
		}
		sk, err := k.parse(s)
		if err != nil {
			return err
		}
		keys = append(keys, sk)
	}
	k.set.Store(k.rebuild(keys))
	return nil
}

// parse opens a stored key and checks that its halves belong together.
func (k *Keyring) parse(s *keypad.SigningKey) (*signingKey, error) {
	der, err := k.sealer.Open(s.PrivateSealed, keyAD(s.ID))
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w (was KEYPAD_SECRET or the secret file changed?)", s.ID, err)
	}
	pk, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", s.ID, err)
	}
	priv, ok := pk.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("signing key %s: unsupported key type %T", s.ID, pk)
	}
	switch p := priv.(type) {
	case *ecdsa.PrivateKey:
		ok = s.Algorithm == keypad.AlgES256 && p.Curve == elliptic.P256()
	case *rsa.PrivateKey:
		ok = s.Algorithm == keypad.AlgRS256 && p.N.BitLen() >= rsaBits
	default:
		ok = false
	}
	if !ok {
		return nil, fmt.Errorf("signing key %s: key type %T does not fit algorithm %q", s.ID, priv, s.Algorithm)
	}
	if pub, err := x509.MarshalPKIXPublicKey(priv.Public()); err != nil || !bytes.Equal(pub, s.Public) {
		return nil, fmt.Errorf("signing key %s: public key does not match the private key", s.ID)
	}
	j, err := publicJWK(priv.Public(), s.Algorithm)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", s.ID, err)
	}
	j.Kid = s.ID
	return &signingKey{id: s.ID, alg: s.Algorithm, priv: priv, pub: priv.Public(), jwk: j, created: s.CreatedAt, retired: s.RetiredAt, headers: new(sync.Map)}, nil
}

// rebuild makes a snapshot of keys as of now: keys past their overlap are
// left out, the newest active key of each algorithm becomes current.
func (k *Keyring) rebuild(keys []*signingKey) *keySet {
	now := k.opts.Now()
	set := &keySet{byID: map[string]*signingKey{}, current: map[string]*signingKey{}}
	for _, sk := range keys {
		if !sk.retired.IsZero() {
			ends := sk.retired.Add(k.opts.Overlap)
			if !now.Before(ends) {
				continue
			}
			if set.retireEnds.IsZero() || ends.Before(set.retireEnds) {
				set.retireEnds = ends
			}
		} else if c := set.current[sk.alg]; c == nil || newer(sk, c) {
			// Two instances starting at once may both create a key;
			// every instance picks the same one.
			set.current[sk.alg] = sk
		}
		set.byID[sk.id] = sk
		set.ordered = append(set.ordered, sk)
	}
	slices.SortStableFunc(set.ordered, func(a, b *signingKey) int {
		ac, bc := set.current[a.alg] == a, set.current[b.alg] == b
		switch {
		case ac && !bc:
			return -1
		case bc && !ac:
			return 1
		case ac && bc:
			// The default algorithm's key first.
			return slices.Index(Algorithms, a.alg) - slices.Index(Algorithms, b.alg)
		case newer(a, b):
			return -1
		case newer(b, a):
			return 1
		}
		return 0
	})
	doc := struct {
		Keys []jwk `json:"keys"`
	}{Keys: []jwk{}}
	for _, sk := range set.ordered {
		doc.Keys = append(doc.Keys, sk.jwk)
	}
	set.jwks, _ = json.Marshal(doc)
	return set
}

func newer(a, b *signingKey) bool {
	if !a.created.Equal(b.created) {
		return a.created.After(b.created)
	}
	return a.id > b.id
}

// key returns the published key with this kid, re-reading the store (at
// most once per ReloadInterval) when the kid is unknown: another instance
// may have rotated.
func (k *Keyring) key(ctx context.Context, kid string) (*signingKey, error) {
	if sk := k.usable(kid); sk != nil {
		return sk, nil
	}
	k.reloadMu.Lock()
	defer k.reloadMu.Unlock()
	if sk := k.usable(kid); sk != nil {
		return sk, nil // another caller reloaded meanwhile
	}
	now := k.opts.Now()
	if last := k.lastReload.Load(); last != 0 && now.Sub(time.Unix(0, last)) < k.opts.ReloadInterval {
		return nil, ErrUnknownKey
	}
	k.lastReload.Store(now.UnixNano())
	if err := k.reload(ctx); err != nil {
		return nil, err
	}
	if sk := k.usable(kid); sk != nil {
		return sk, nil
	}
	return nil, ErrUnknownKey
}

// usable returns the cached key with this kid unless its overlap has ended.
func (k *Keyring) usable(kid string) *signingKey {
	sk := k.set.Load().byID[kid]
	if sk == nil || (!sk.retired.IsZero() && !k.opts.Now().Before(sk.retired.Add(k.opts.Overlap))) {
		return nil
	}
	return sk
}

// publicJWK describes pub as a JWK whose kid is its RFC 7638 thumbprint.
func publicJWK(pub crypto.PublicKey, alg string) (jwk, error) {
	m, err := jose.PublicMembers(pub)
	if err != nil {
		return jwk{}, err
	}
	return jwk{Kty: m.Kty, Crv: m.Crv, X: m.X, Y: m.Y, N: m.N, E: m.E, Kid: m.Thumbprint(), Alg: alg, Use: "sig"}, nil
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// Run calls Refresh every interval until ctx ends, so this instance picks
// up keys rotated elsewhere (`keypad keys rotate`, another instance) and
// stops signing with retired ones. Errors go to onError (may be nil) and
// the loop carries on: the cached keys stay usable meanwhile.
func (k *Keyring) Run(ctx context.Context, interval time.Duration, onError func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := k.Refresh(ctx); err != nil && onError != nil && ctx.Err() == nil {
				onError(err)
			}
		}
	}
}
