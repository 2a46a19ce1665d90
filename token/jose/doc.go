// Package jose reads the JOSE objects keypad accepts from outside (RFC
// 7517 JSON Web Keys, RFC 7638 thumbprints, JWS signatures) strictly, on
// the standard library alone.
//
// It is a leaf: it imports nothing of keypad, so the domain package can
// check a client's registered keys (keypad.ClientOptions.Validate) with
// the very parser the assertion grant verifies them with, and package
// token can name its own signing keys by the same thumbprint. Anything
// that is not exactly an RSA (RS256, PS256), EC P-256 (ES256) or Ed25519
// (EdDSA) public key is refused with an error that says what to register
// instead; "none" and HMAC algorithms are never verified.
package jose
