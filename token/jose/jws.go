package jose

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
)

// VerifySignature checks an RS256 (PKCS #1 v1.5) or ES256 (R||S, RFC 7518
// §3.4) signature over a SHA-256 digest. The key decides the algorithm:
// a caller first checks that the header's alg is the key's, so "none" or
// an HMAC alg naming a public key never gets this far.
func VerifySignature(key crypto.PublicKey, sum, sig []byte) bool {
	switch p := key.(type) {
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(p, crypto.SHA256, sum, sig) == nil
	case *ecdsa.PublicKey:
		if len(sig) != 64 {
			return false
		}
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		return ecdsa.Verify(p, sum, r, s)
	}
	return false
}

// Object decodes one JSON object (a JOSE header, a JWT claims set) into
// its members, refusing a member named twice — two parsers could read
// different values from it — and anything after the object.
func Object(b []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("want an object")
	}
	m := map[string]json.RawMessage{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("bad JSON")
		}
		name, _ := t.(string)
		if _, dup := m[name]; dup {
			return nil, fmt.Errorf("member '%s' appears twice", name)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("bad JSON")
		}
		m[name] = raw
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("bad JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("data after the object")
	}
	return m, nil
}
