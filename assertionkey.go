package keypad

import "github.com/keypadauth/keypad/token/jose"

// maxAssertionIssuer bounds ClientOptions.AssertionIssuer.
const maxAssertionIssuer = 256

// AssertionKey is one public key of a client's assertion JWK Set. Reading
// JOSE is not a domain matter: the parser lives in token/jose, a leaf
// package, and this name keeps the domain's word for the key.
type AssertionKey = jose.PublicKey

// ParseAssertionKeys reads a client's assertion JWK Set strictly (see
// jose.ParsePublicKeySet for the rules: 1 to 20 RSA, EC P-256 or Ed25519
// public keys, nothing private, no kid twice). Errors are *ValidationError
// values for the field "assertion_keys", so the CLI and any API name the
// field to fix.
func ParseAssertionKeys(doc []byte) ([]AssertionKey, error) {
	keys, err := jose.ParsePublicKeySet(doc)
	if err != nil {
		return nil, &ValidationError{Field: "assertion_keys", Message: err.Error()}
	}
	return keys, nil
}
