package main

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strings"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/token/jose"
)

// A jwt-bearer partner's public keys come to `keypad client create` and
// `update` as --assertion-keys FILE: a JWK Set, a single JWK, or PEM
// (public keys, or certificates whose keys are taken). Whatever the form,
// the client stores a JWK Set, checked by keypad.ParseAssertionKeys.

// noKeys is the --assertion-keys value that removes the keys.
const noKeys = "none"

// readAssertionKeys reads the file --assertion-keys names and returns the
// JWK Set to register.
func readAssertionKeys(path string) (json.RawMessage, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--assertion-keys: %w", err)
	}
	b = bytes.TrimSpace(b)
	switch {
	case bytes.HasPrefix(b, []byte("{")):
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(b, &probe); err != nil {
			return nil, fmt.Errorf("--assertion-keys: %s is not valid JSON: %v", path, err)
		}
		if _, isKey := probe["kty"]; isKey {
			// One JWK: make it a set of one.
			return json.Marshal(map[string]json.RawMessage{"keys": json.RawMessage("[" + string(b) + "]")})
		}
		return b, nil
	case bytes.Contains(b, []byte("-----BEGIN ")):
		doc, err := pemToJWKS(b)
		if err != nil {
			return nil, fmt.Errorf("--assertion-keys: %s: %w", path, err)
		}
		return doc, nil
	}
	return nil, fmt.Errorf("--assertion-keys: %s is neither a JWK Set (JSON) nor PEM; give the partner's public keys in one of those forms", path)
}

// pemToJWKS turns every PEM block of b into a public JWK. Each gets its
// RFC 7638 thumbprint as kid, so the partner can name the key it signs
// with.
func pemToJWKS(b []byte) (json.RawMessage, error) {
	var keys []map[string]string
	for n := 1; ; n++ {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		pub, err := pemPublicKey(block)
		if err != nil {
			return nil, fmt.Errorf("PEM block %d: %w", n, err)
		}
		jwk, err := publicJWK(pub)
		if err != nil {
			return nil, fmt.Errorf("PEM block %d: %w", n, err)
		}
		keys = append(keys, jwk)
	}
	if len(keys) == 0 {
		return nil, errors.New("no PEM block could be read")
	}
	doc, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		return nil, err
	}
	// The thumbprints come from the one parser the server uses too.
	parsed, err := keypad.ParseAssertionKeys(doc)
	if err != nil {
		return nil, errors.New(strings.TrimPrefix(err.Error(), "assertion_keys: "))
	}
	for i := range keys {
		keys[i]["kid"] = parsed[i].Thumbprint
	}
	return json.Marshal(map[string]any{"keys": keys})
}

// pemPublicKey reads the public key of one PEM block.
func pemPublicKey(block *pem.Block) (crypto.PublicKey, error) {
	switch block.Type {
	case "PUBLIC KEY":
		return x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		return x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		return cert.PublicKey, nil
	}
	if strings.Contains(block.Type, "PRIVATE KEY") {
		return nil, fmt.Errorf("holds a private key (%s): register the partner's public key only, e.g. from `openssl pkey -in key.pem -pubout`; the private key never leaves the partner", block.Type)
	}
	return nil, fmt.Errorf("%q is not a public key or certificate", block.Type)
}

// publicJWK describes an RSA, P-256 or Ed25519 public key as a JWK for
// signatures.
func publicJWK(pub crypto.PublicKey) (map[string]string, error) {
	b64 := base64.RawURLEncoding.EncodeToString
	switch p := pub.(type) {
	case *rsa.PublicKey:
		return map[string]string{"kty": "RSA", "n": b64(p.N.Bytes()), "e": b64(big.NewInt(int64(p.E)).Bytes()),
			"alg": keypad.AlgRS256, "use": "sig"}, nil
	case *ecdsa.PublicKey:
		if p.Curve != elliptic.P256() {
			return nil, fmt.Errorf("an EC key on %s: only P-256 (ES256) is accepted", p.Curve.Params().Name)
		}
		raw, err := p.Bytes()
		if err != nil {
			return nil, err
		}
		return map[string]string{"kty": "EC", "crv": "P-256", "x": b64(raw[1:33]), "y": b64(raw[33:]),
			"alg": keypad.AlgES256, "use": "sig"}, nil
	case ed25519.PublicKey:
		return map[string]string{"kty": "OKP", "crv": "Ed25519", "x": b64(p), "alg": jose.EdDSA, "use": "sig"}, nil
	}
	return nil, fmt.Errorf("a %T key: only RSA (RS256), EC P-256 (ES256) and Ed25519 (EdDSA) keys are accepted", pub)
}

// assertionKeyJSON is one registered key as `--json` prints it.
type assertionKeyJSON struct {
	Kid        string `json:"kid,omitempty"`
	Alg        string `json:"alg"`
	Thumbprint string `json:"thumbprint"`
}

// assertionKeysOf lists a client's registered keys; nil when it has none.
func assertionKeysOf(o keypad.ClientOptions) []assertionKeyJSON {
	if len(o.AssertionKeys) == 0 {
		return nil
	}
	keys, err := keypad.ParseAssertionKeys(o.AssertionKeys)
	if err != nil {
		// Checked when registered; say so rather than show nothing.
		return []assertionKeyJSON{{Alg: "unreadable: " + err.Error()}}
	}
	out := make([]assertionKeyJSON, 0, len(keys))
	for _, k := range keys {
		out = append(out, assertionKeyJSON{Kid: k.ID, Alg: strings.Join(k.Algs, ","), Thumbprint: k.Thumbprint})
	}
	return out
}

// assertionKeysText lists keys for people: "kid (alg)", or the thumbprint
// of a key without kid.
func assertionKeysText(keys []assertionKeyJSON) string {
	var parts []string
	for _, k := range keys {
		name := k.Kid
		if name == "" {
			name = "thumbprint " + k.Thumbprint
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", name, k.Alg))
	}
	return strings.Join(parts, ", ")
}
