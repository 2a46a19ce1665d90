package token

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/token/jose"
)

// This file is a deliberately small compact JWS (RFC 7515 §7.1) for the
// two algorithms keypad signs with. It trusts nothing in the header beyond
// naming a kid: the key decides the algorithm, "none" and everything else
// is refused, and a header carrying "crit" is refused because keypad
// understands no extensions.

// Errors Verify returns (wrapped with detail); callers treat all of them as
// "not a valid token".
var (
	// ErrMalformed means the token is not a compact JWS keypad accepts.
	ErrMalformed = errors.New("malformed token")
	// ErrUnknownKey means the kid names no published key.
	ErrUnknownKey = errors.New("token signed with an unknown key")
	// ErrSignature means the signature does not verify.
	ErrSignature = errors.New("token signature does not verify")
)

// maxJWTLen bounds the tokens Verify looks at; keypad's own are far
// smaller.
const maxJWTLen = 16 << 10

var b64url = base64.RawURLEncoding.Strict()

// jwsHeader is the JOSE header keypad writes.
type jwsHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ,omitempty"`
}

// Sign returns claims as a compact JWS signed with the current key of alg
// (keypad.AlgES256 or keypad.AlgRS256). typ goes into the header ("at+jwt"
// for access tokens, RFC 9068 §2.1).
func (k *Keyring) Sign(alg, typ string, claims any) (string, error) {
	sk := k.set.Load().current[alg]
	if sk == nil {
		return "", fmt.Errorf("sign: no current %s key (was the keyring loaded?)", alg)
	}
	h, err := sk.header(typ)
	if err != nil {
		return "", err
	}
	var c []byte
	if a, ok := claims.(claimsAppender); ok {
		c = a.appendJSON(make([]byte, 0, 512))
	} else if c, err = json.Marshal(claims); err != nil {
		return "", fmt.Errorf("sign: encode claims: %w", err)
	}
	buf := make([]byte, 0, len(h)+b64url.EncodedLen(len(c))+b64url.EncodedLen(512)+2)
	buf = append(buf, h...)
	buf = append(buf, '.')
	buf = b64url.AppendEncode(buf, c)
	sig, err := sk.sign(buf)
	if err != nil {
		return "", err
	}
	buf = append(buf, '.')
	buf = b64url.AppendEncode(buf, sig)
	return string(buf), nil
}

// header returns the key's JOSE header for typ, base64url-encoded. The
// few typ values keypad uses each encode once per key: a header per token
// was a JSON encoding and a base64 pass for the same bytes every time.
func (sk *signingKey) header(typ string) ([]byte, error) {
	if h, ok := sk.headers.Load(typ); ok {
		return h.([]byte), nil
	}
	h, err := json.Marshal(jwsHeader{Alg: sk.alg, Kid: sk.id, Typ: typ})
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	enc := b64url.AppendEncode(nil, h)
	sk.headers.Store(typ, enc)
	return enc, nil
}

var errBadECDSA = errors.New("sign: ECDSA signature is not the DER the library returns")

// rawECDSA turns an ASN.1 DER ECDSA signature, SEQUENCE { INTEGER r,
// INTEGER s }, into RFC 7518 §3.4's form: r and s as size-byte big-endian
// integers, one after the other.
func rawECDSA(der []byte, size int) ([]byte, error) {
	bad := errBadECDSA
	// Short-form lengths only: r and s of curves up to P-384 are at most
	// 49 bytes each, so the sequence stays under 128 bytes.
	if len(der) < 2 || der[0] != 0x30 || int(der[1]) != len(der)-2 {
		return nil, bad
	}
	rest := der[2:]
	sig := make([]byte, 2*size)
	for i := range 2 {
		if len(rest) < 2 || rest[0] != 0x02 || int(rest[1]) > len(rest)-2 {
			return nil, bad
		}
		n := int(rest[1])
		v := rest[2 : 2+n]
		for len(v) > 0 && v[0] == 0 {
			v = v[1:] // DER's sign byte
		}
		if len(v) > size {
			return nil, bad
		}
		copy(sig[(i+1)*size-len(v):(i+1)*size], v)
		rest = rest[2+n:]
	}
	if len(rest) != 0 {
		return nil, bad
	}
	return sig, nil
}

func (sk *signingKey) sign(input []byte) ([]byte, error) {
	sum := sha256.Sum256(input)
	switch p := sk.priv.(type) {
	case *ecdsa.PrivateKey:
		// Deterministic ECDSA (RFC 6979, HMAC-SHA-256), which the
		// standard library gives for a nil rand: a fifth cheaper than
		// SignASN1's hedged nonce, whose HMAC-DRBG runs on SHA-512
		// (docs/performance.md). Nothing rests on fresh randomness at
		// signing time. A message signed twice gets the same signature,
		// which reveals nothing; deterministic signing's known weakness
		// needs that and a fault induced in the signing machine's
		// arithmetic too, and access tokens never repeat (each has its
		// own jti).
		der, err := p.Sign(nil, sum[:], crypto.SHA256)
		if err != nil {
			return nil, fmt.Errorf("sign: %w", err)
		}
		return rawECDSA(der, (p.Curve.Params().BitSize+7)/8)
	case *rsa.PrivateKey:
		sig, err := rsa.SignPKCS1v15(nil, p, crypto.SHA256, sum[:])
		if err != nil {
			return nil, fmt.Errorf("sign: %w", err)
		}
		return sig, nil
	}
	return nil, fmt.Errorf("sign: unsupported key type %T", sk.priv)
}

// Verify checks a compact JWS signed by one of the published keys and
// decodes its claims into claims (a pointer, as for json.Unmarshal). typ,
// when not empty, must match the header's typ (RFC 7515 §4.1.9: case
// does not matter and "application/" may be left out). Verify checks no
// claim: expiry and issuer are the caller's business.
func (k *Keyring) Verify(ctx context.Context, token, typ string, claims any) error {
	if len(token) > maxJWTLen {
		return fmt.Errorf("%w: longer than %d bytes", ErrMalformed, maxJWTLen)
	}
	h64, rest, ok1 := strings.Cut(token, ".")
	c64, s64, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.Contains(s64, ".") {
		return fmt.Errorf("%w: want three dot-separated parts", ErrMalformed)
	}
	hb, err := b64url.DecodeString(h64)
	if err != nil {
		return fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	h, err := parseHeader(hb)
	if err != nil {
		return err
	}
	if typ != "" && !typMatches(h.Typ, typ) {
		return fmt.Errorf("%w: typ %q, want %q", ErrMalformed, h.Typ, typ)
	}
	sig, err := b64url.DecodeString(s64)
	if err != nil {
		return fmt.Errorf("%w: signature: %v", ErrMalformed, err)
	}
	sk, err := k.key(ctx, h.Kid)
	if err != nil {
		return err
	}
	if sk.alg != h.Alg {
		return fmt.Errorf("%w: alg %q does not match key %s (%s)", ErrMalformed, h.Alg, sk.id, sk.alg)
	}
	sum := sha256.Sum256([]byte(token[:len(h64)+1+len(c64)]))
	if !sk.verify(sum[:], sig) {
		return ErrSignature
	}
	cb, err := b64url.DecodeString(c64)
	if err != nil {
		return fmt.Errorf("%w: claims: %v", ErrMalformed, err)
	}
	if err := json.Unmarshal(cb, claims); err != nil {
		return fmt.Errorf("%w: claims: %v", ErrMalformed, err)
	}
	return nil
}

func (sk *signingKey) verify(sum, sig []byte) bool { return jose.VerifySignature(sk.pub, sum, sig) }

// typMatches compares typ header values as RFC 7515 §4.1.9 asks.
func typMatches(got, want string) bool {
	norm := func(s string) string {
		s = strings.ToLower(s)
		return strings.TrimPrefix(s, "application/")
	}
	return norm(got) == norm(want)
}

// parseHeader decodes a JOSE header strictly: one JSON object, no member
// twice (a duplicate could make two parsers disagree), string alg/kid/typ,
// a supported alg, no crit.
func parseHeader(b []byte) (jwsHeader, error) {
	var h jwsHeader
	m, err := jose.Object(b)
	if err != nil {
		return h, fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	if _, ok := m["crit"]; ok {
		return h, fmt.Errorf("%w: header has crit, keypad understands no extensions", ErrMalformed)
	}
	for name, dst := range map[string]*string{"alg": &h.Alg, "kid": &h.Kid, "typ": &h.Typ} {
		if raw, ok := m[name]; ok && json.Unmarshal(raw, dst) != nil {
			return h, fmt.Errorf("%w: header member %q is not a string", ErrMalformed, name)
		}
	}
	switch h.Alg {
	case keypad.AlgES256, keypad.AlgRS256:
	default:
		return h, fmt.Errorf("%w: alg %q not accepted", ErrMalformed, h.Alg)
	}
	if h.Kid == "" {
		return h, fmt.Errorf("%w: header has no kid", ErrMalformed)
	}
	return h, nil
}
