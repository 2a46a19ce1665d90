package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math/big"
)

// Members are a public key's required JWK members (RFC 7638 §3.2),
// base64url: N and E for RSA; Crv, X and Y for EC; Crv and X for OKP
// (RFC 8037 §2).
type Members struct {
	Kty, Crv, X, Y, N, E string
}

// PublicMembers returns the required JWK members of an RSA, EC P-256 or
// Ed25519 public key, the ones a JWKS publishes and a thumbprint hashes.
func PublicMembers(pub crypto.PublicKey) (Members, error) {
	switch p := pub.(type) {
	case *ecdsa.PublicKey:
		raw, err := p.Bytes()
		if err != nil || len(raw) != 65 {
			return Members{}, fmt.Errorf("encode EC public key: %v", err)
		}
		return Members{Kty: "EC", Crv: "P-256", X: b64(raw[1:33]), Y: b64(raw[33:])}, nil
	case *rsa.PublicKey:
		return Members{Kty: "RSA", N: b64(p.N.Bytes()), E: b64(big.NewInt(int64(p.E)).Bytes())}, nil
	case ed25519.PublicKey:
		if len(p) != ed25519.PublicKeySize {
			return Members{}, fmt.Errorf("encode Ed25519 public key: %d bytes, want %d", len(p), ed25519.PublicKeySize)
		}
		return Members{Kty: "OKP", Crv: "Ed25519", X: b64(p)}, nil
	default:
		return Members{}, fmt.Errorf("unsupported public key type %T", pub)
	}
}

// Thumbprint returns the RFC 7638 SHA-256 thumbprint (base64url) of an
// RSA, EC P-256 or Ed25519 public key: the one name a key has wherever keypad meets it,
// as a kid of its own signing keys or to pick a partner's key that has
// none.
func Thumbprint(pub crypto.PublicKey) (string, error) {
	m, err := PublicMembers(pub)
	if err != nil {
		return "", err
	}
	return m.Thumbprint(), nil
}

// Thumbprint hashes the members in RFC 7638 §3.2's canonical form: the
// required members only, sorted, no spaces (for OKP crv, kty and x, RFC
// 8037 §2).
func (m Members) Thumbprint() string {
	var canon []byte
	switch m.Kty {
	case "EC":
		canon = fmt.Appendf(nil, `{"crv":%q,"kty":"EC","x":%q,"y":%q}`, m.Crv, m.X, m.Y)
	case "OKP":
		canon = fmt.Appendf(nil, `{"crv":%q,"kty":"OKP","x":%q}`, m.Crv, m.X)
	default:
		canon = fmt.Appendf(nil, `{"e":%q,"kty":"RSA","n":%q}`, m.E, m.N)
	}
	sum := sha256.Sum256(canon)
	return b64(sum[:])
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
