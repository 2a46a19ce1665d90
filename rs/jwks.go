package rs

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// Key-set refresh policy: a token naming an unknown kid triggers a fetch
// (keypad rotated its keys), but at most once per KeyRefreshMin, so forged
// kids cannot turn the API into a JWKS-fetching amplifier. Known keys are
// re-read after KeyMaxAge to notice removed ones.
const (
	KeyRefreshMin = 10 * time.Second
	KeyMaxAge     = time.Hour
)

// publicKey is one verification key from the JWKS.
type publicKey struct {
	alg string // "ES256" or "RS256"
	key crypto.PublicKey
}

// jwk is the subset of RFC 7517 members the API reads.
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// keysFor returns the keys that may have signed a token with this kid and
// alg (every key of the alg when the token names no kid), refreshing the
// set when the kid is unknown or the set is old. Callers hold v.mu.
func (v *Verifier) keysFor(ctx context.Context, kid, alg string) ([]publicKey, error) {
	now := v.now()
	_, known := v.keys[kid]
	stale := now.Sub(v.keysFetched) >= KeyMaxAge
	if (kid != "" && !known) || stale || v.keys == nil {
		if v.keysTried.IsZero() || now.Sub(v.keysTried) >= KeyRefreshMin {
			v.keysTried = now
			if err := v.fetchKeys(ctx); err != nil && v.keys == nil {
				return nil, err
			}
		}
	}
	var out []publicKey
	for id, k := range v.keys {
		if (kid == "" || id == kid) && k.alg == alg {
			out = append(out, k)
		}
	}
	return out, nil
}

// fetchKeys replaces the key set with keypad's current JWKS.
func (v *Verifier) fetchKeys(ctx context.Context) error {
	m, err := v.discover(ctx)
	if err != nil {
		return err
	}
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := v.getJSON(ctx, m.JWKSURI, &set); err != nil {
		return fmt.Errorf("%w: jwks: %v", ErrUnavailable, err)
	}
	keys := make(map[string]publicKey, len(set.Keys))
	for _, j := range set.Keys {
		if j.Use != "" && j.Use != "sig" {
			continue
		}
		k, err := parseJWK(j)
		if err != nil {
			v.log.Warn("rs: skipping a JWKS key", "kid", j.Kid, "err", err)
			continue
		}
		keys[j.Kid] = k
	}
	v.keys, v.keysFetched = keys, v.now()
	return nil
}

// parseJWK turns a P-256 or RSA JWK into a verification key.
func parseJWK(j jwk) (publicKey, error) {
	switch j.Kty {
	case "EC":
		if j.Crv != "P-256" || (j.Alg != "" && j.Alg != "ES256") {
			return publicKey{}, fmt.Errorf("unsupported EC key (crv %q, alg %q)", j.Crv, j.Alg)
		}
		x, errX := base64.RawURLEncoding.DecodeString(j.X)
		y, errY := base64.RawURLEncoding.DecodeString(j.Y)
		if errX != nil || errY != nil || len(x) != 32 || len(y) != 32 {
			return publicKey{}, errors.New("bad EC coordinates")
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
		if err != nil {
			return publicKey{}, fmt.Errorf("bad EC key: %w", err)
		}
		return publicKey{alg: "ES256", key: pub}, nil
	case "RSA":
		if j.Alg != "" && j.Alg != "RS256" {
			return publicKey{}, fmt.Errorf("unsupported RSA alg %q", j.Alg)
		}
		n, errN := base64.RawURLEncoding.DecodeString(j.N)
		e, errE := base64.RawURLEncoding.DecodeString(j.E)
		if errN != nil || errE != nil || len(e) == 0 || len(e) > 4 {
			return publicKey{}, errors.New("bad RSA key encoding")
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		if pub.N.BitLen() < 2048 || pub.E < 3 {
			return publicKey{}, errors.New("RSA key too weak")
		}
		return publicKey{alg: "RS256", key: pub}, nil
	}
	return publicKey{}, fmt.Errorf("unsupported key type %q", j.Kty)
}
