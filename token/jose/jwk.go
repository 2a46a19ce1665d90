package jose

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strings"
)

// The signature algorithms a public key here verifies (issue 11's
// allow-list; never "none", never an HMAC alg with a public key). Each
// belongs to one key type, so a key never verifies under an algorithm of
// another type; an RSA key verifies RS256 and PS256 unless its JWK names
// one of them in "alg".
const (
	RS256 = "RS256" // RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3)
	PS256 = "PS256" // RSASSA-PSS with SHA-256, salt as long as the hash (RFC 7518 §3.5)
	ES256 = "ES256" // ECDSA on P-256 with SHA-256 (RFC 7518 §3.4)
	EdDSA = "EdDSA" // Ed25519 (RFC 8037 §3.1)
)

// Algorithms returns every algorithm a key here may verify, in the order
// metadata lists them (token_endpoint_auth_signing_alg_values_supported).
func Algorithms() []string { return []string{ES256, RS256, PS256, EdDSA} }

// algsOf is what each key type verifies when its JWK names no alg.
var algsOf = map[string][]string{"RSA": {RS256, PS256}, "EC": {ES256}, "OKP": {EdDSA}}

// Limits on a registered JWK Set.
const (
	maxKeys    = 20
	minRSABits = 2048 // RFC 7518 §3.3
	maxRSABits = 8192 // beyond this, verifying costs more than it protects
)

// PublicKey is one public key of a JWK Set.
type PublicKey struct {
	// ID is the JWK's kid; empty when it has none.
	ID string
	// Algs are the algorithms the key verifies: ES256 for an EC P-256
	// key, EdDSA for an Ed25519 key, and for an RSA key RS256 and PS256,
	// or only the one its JWK's "alg" names, so a partner can rule out
	// the other.
	Algs []string
	// Thumbprint is the key's RFC 7638 SHA-256 thumbprint (base64url),
	// which names a key that has no kid.
	Thumbprint string
	// Key is the *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey.
	Key crypto.PublicKey
}

// Verifies reports whether the key may verify a JWS of algorithm alg: the
// check that keeps a JWS header from choosing how a key is used.
func (k PublicKey) Verifies(alg string) bool { return slices.Contains(k.Algs, alg) }

// privateMembers are the members that hold private or symmetric key
// material (RFC 7518 §6.2.2, §6.3.2, §6.4.1): a registration must never
// carry them, since keypad would then hold the partner's signing secret.
var privateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// ParsePublicKeySet reads a JWK Set strictly: 1 to 20 public keys, each
// RSA (2048 to 8192 bits, for RS256 or PS256), EC on P-256 (for ES256) or
// OKP Ed25519 (for EdDSA, RFC 8037), with no private members, "alg" (if
// given) one its key type verifies, "use" (if
// given) "sig", and no kid twice. Any other key type is refused rather
// than skipped, so an administrator never believes a key is registered
// that keypad ignores. The error says what is wrong and what to do.
func ParsePublicKeySet(doc []byte) ([]PublicKey, error) {
	var set struct {
		Keys []map[string]json.RawMessage `json:"keys"`
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	if err := dec.Decode(&set); err != nil || dec.More() {
		return nil, fmt.Errorf("not a JWK Set: want a JSON object {\"keys\": [...]} (RFC 7517 section 5)")
	}
	switch n := len(set.Keys); {
	case n == 0:
		return nil, fmt.Errorf("the JWK Set has no keys: register at least one of the partner's public keys")
	case n > maxKeys:
		return nil, fmt.Errorf("the JWK Set has %d keys; at most %d may be registered", n, maxKeys)
	}
	keys := make([]PublicKey, 0, len(set.Keys))
	for i, m := range set.Keys {
		k, err := parsePublicJWK(m)
		if err != nil {
			return nil, fmt.Errorf("key %d: %v", i+1, err)
		}
		if k.ID != "" && slices.ContainsFunc(keys, func(o PublicKey) bool { return o.ID == k.ID }) {
			return nil, fmt.Errorf("key %d: kid %q is used twice; each key needs its own kid", i+1, k.ID)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// parsePublicJWK reads one public JWK (RFC 7517 §4, RFC 7518 §6).
func parsePublicJWK(m map[string]json.RawMessage) (PublicKey, error) {
	var k PublicKey
	for _, name := range privateMembers {
		if _, ok := m[name]; ok {
			return k, fmt.Errorf("holds private or symmetric key material (%q): register the partner's public key only; the private key never leaves the partner", name)
		}
	}
	str := func(name string) (string, error) {
		raw, ok := m[name]
		if !ok {
			return "", nil
		}
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			return "", fmt.Errorf("%q is not a string", name)
		}
		return v, nil
	}
	bytesOf := func(name string) ([]byte, error) {
		v, err := str(name)
		if err != nil {
			return nil, err
		}
		b, err := base64.RawURLEncoding.Strict().DecodeString(v)
		if err != nil || len(b) == 0 {
			return nil, fmt.Errorf("%q is missing or not base64url", name)
		}
		return b, nil
	}
	kty, err := str("kty")
	if err != nil {
		return k, err
	}
	switch kty {
	case "RSA":
		n, err := bytesOf("n")
		if err != nil {
			return k, err
		}
		e, err := bytesOf("e")
		if err != nil {
			return k, err
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n)}
		ev := new(big.Int).SetBytes(e)
		if !ev.IsInt64() || ev.Int64() < 3 || ev.Int64() > 1<<31-1 || ev.Bit(0) == 0 {
			return k, fmt.Errorf("RSA exponent \"e\" is not an odd number from 3 to 2^31-1")
		}
		pub.E = int(ev.Int64())
		if bits := pub.N.BitLen(); bits < minRSABits || bits > maxRSABits {
			return k, fmt.Errorf("RSA key has %d bits; RS256 and PS256 need %d to %d", bits, minRSABits, maxRSABits)
		}
		k.Key = pub
	case "EC":
		if crv, err := str("crv"); err != nil || crv != "P-256" {
			return k, fmt.Errorf("EC key on curve %q: only P-256 (ES256) is accepted", crv)
		}
		x, err := bytesOf("x")
		if err != nil {
			return k, err
		}
		y, err := bytesOf("y")
		if err != nil {
			return k, err
		}
		if len(x) != 32 || len(y) != 32 {
			return k, fmt.Errorf("P-256 coordinates \"x\" and \"y\" must be 32 bytes each")
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
		if err != nil {
			return k, fmt.Errorf("the EC point is not on P-256")
		}
		k.Key = pub
	case "OKP":
		if crv, err := str("crv"); err != nil || crv != "Ed25519" {
			return k, fmt.Errorf("OKP key on curve %q: only Ed25519 (EdDSA) is accepted", crv)
		}
		x, err := bytesOf("x")
		if err != nil {
			return k, err
		}
		if len(x) != ed25519.PublicKeySize {
			return k, fmt.Errorf("Ed25519 public key \"x\" must be %d bytes", ed25519.PublicKeySize)
		}
		k.Key = ed25519.PublicKey(x)
	case "":
		return k, fmt.Errorf("\"kty\" is missing")
	default:
		return k, fmt.Errorf("key type %q is not accepted: register an RSA key (RS256, PS256), an EC P-256 key (ES256) or an Ed25519 key (EdDSA)", kty)
	}
	alg, err := str("alg")
	if err != nil {
		return k, err
	}
	k.Algs = slices.Clone(algsOf[kty])
	if alg != "" {
		if !slices.Contains(k.Algs, alg) {
			return k, fmt.Errorf("\"alg\" is %q, but a %s key here signs %s only", alg, kty, strings.Join(k.Algs, " or "))
		}
		k.Algs = []string{alg}
	}
	if use, err := str("use"); err != nil || (use != "" && use != "sig") {
		return k, fmt.Errorf("\"use\" is %q; an assertion key must be for signatures (\"sig\")", use)
	}
	if k.ID, err = str("kid"); err != nil {
		return k, err
	}
	if k.Thumbprint, err = Thumbprint(k.Key); err != nil {
		return k, err
	}
	return k, nil
}

// ParsePublicJWK reads one public JWK (the "jwk" header of a DPoP proof,
// RFC 9449 §4.2) under the same rules as a member of ParsePublicKeySet:
// RSA of 2048 to 8192 bits, EC P-256 or Ed25519, no private or symmetric
// members, no member named twice.
func ParsePublicJWK(raw []byte) (PublicKey, error) {
	m, err := Object(raw)
	if err != nil {
		return PublicKey{}, fmt.Errorf("not a JWK: %v", err)
	}
	return parsePublicJWK(m)
}
