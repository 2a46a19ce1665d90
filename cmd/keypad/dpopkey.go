package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/keypadauth/keypad/token/jose"
)

// dpopKey is device-login's DPoP key (RFC 9449): an ES256 key kept in
// the user's config directory, one per issuer and client, so the tokens
// a login got stay usable by this machine only, refresh included.
type dpopKey struct {
	path  string
	priv  *ecdsa.PrivateKey
	jwk   map[string]string
	jkt   string
	nonce string // the server's last DPoP-Nonce
}

// dpopKeyPath is where the key for issuer and client lives under dir.
func dpopKeyPath(dir, issuer, clientID string) string {
	sum := sha256.Sum256([]byte(issuer + "\x00" + clientID))
	return filepath.Join(dir, "keypad", "dpop", hex.EncodeToString(sum[:8])+".pem")
}

// loadDPoPKey reads the key at path, or makes one and stores it there
// (0600, in a 0700 directory) when there is none.
func loadDPoPKey(path string) (*dpopKey, error) {
	b, err := os.ReadFile(path)
	var priv *ecdsa.PrivateKey
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			return nil, err
		}
		der, err := x509.MarshalPKCS8PrivateKey(priv)
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("dpop key: %w", err)
		}
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
			return nil, fmt.Errorf("dpop key: %w", err)
		}
	case err != nil:
		return nil, fmt.Errorf("dpop key: %w", err)
	default:
		block, _ := pem.Decode(b)
		if block == nil {
			return nil, fmt.Errorf("dpop key %s: not PEM; delete it to make a new one (and sign in again)", path)
		}
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		p, ok := k.(*ecdsa.PrivateKey)
		if err != nil || !ok || p.Curve != elliptic.P256() {
			return nil, fmt.Errorf("dpop key %s: not a P-256 private key; delete it to make a new one (and sign in again)", path)
		}
		priv = p
	}
	m, err := jose.PublicMembers(&priv.PublicKey)
	if err != nil {
		return nil, err
	}
	return &dpopKey{path: path, priv: priv, jkt: m.Thumbprint(),
		jwk: map[string]string{"kty": m.Kty, "crv": m.Crv, "x": m.X, "y": m.Y}}, nil
}

// proof signs a proof for a request of method to url at now (§4.2).
func (k *dpopKey) proof(method, url string, now time.Time) (string, error) {
	return k.proofFor(method, url, "", now)
}

// proofFor signs a proof for a request to a resource server that sends
// accessToken: the proof carries its hash, ath (§4.2, §7).
func (k *dpopKey) proofFor(method, url, accessToken string, now time.Time) (string, error) {
	jti := make([]byte, 16)
	rand.Read(jti)
	claims := map[string]any{"jti": base64.RawURLEncoding.EncodeToString(jti), "htm": method, "htu": url, "iat": now.Unix()}
	if k.nonce != "" {
		claims["nonce"] = k.nonce
	}
	if accessToken != "" {
		sum := sha256.Sum256([]byte(accessToken))
		claims["ath"] = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	h, err := json.Marshal(map[string]any{"typ": "dpop+jwt", "alg": jose.ES256, "jwk": k.jwk})
	if err != nil {
		return "", err
	}
	c, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	sum := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, k.priv, sum[:])
	if err != nil {
		return "", err
	}
	sig := append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}
