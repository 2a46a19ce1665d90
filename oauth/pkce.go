package oauth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
)

// PKCE code challenge methods (RFC 7636 §4.2).
const (
	PKCES256  = "S256"
	PKCEPlain = "plain"
)

// checkChallenge validates the PKCE parameters of an authorization request
// (RFC 7636 §4.3) and returns the method to store. A missing method means
// plain (§4.3), which a client gets only when it was registered with
// AllowPlainPKCE: plain protects nothing once the request is seen, and
// every client that can send a challenge can hash it. Whether a challenge
// is required at all is the caller's decision.
func checkChallenge(challenge, method string, allowPlain bool) (string, *Error) {
	if challenge == "" {
		if method != "" {
			return "", InvalidRequest("code_challenge_method is given without a code_challenge")
		}
		return "", nil
	}
	if method == "" {
		method = PKCEPlain
	}
	switch method {
	case PKCES256:
		// base64url of a SHA-256: 43 characters, no padding.
		if b, err := base64.RawURLEncoding.Strict().DecodeString(challenge); err != nil || len(b) != sha256.Size {
			return "", InvalidRequest("code_challenge must be the base64url (no padding) SHA-256 of the code_verifier: 43 characters")
		}
	case PKCEPlain:
		if !allowPlain {
			return "", InvalidRequest("code_challenge_method must be S256; this client is not allowed plain (RFC 7636 section 4.2)")
		}
		if !validVerifier(challenge) {
			return "", InvalidRequest("a plain code_challenge must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~")
		}
	default:
		return "", InvalidRequest("code_challenge_method '%s' is not supported; use S256", method)
	}
	return method, nil
}

// validVerifier reports whether v is a code_verifier (RFC 7636 §4.1):
// 43 to 128 unreserved characters.
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}

// verifyPKCE checks a code_verifier against the challenge stored with the
// code (RFC 7636 §4.6), in constant time. A code without a challenge
// accepts no verifier (RFC 9700 §4.8.2: otherwise an attacker could strip
// the challenge and still pass).
func verifyPKCE(challenge, method, verifier string) *Error {
	switch {
	case challenge == "" && verifier == "":
		return nil
	case challenge == "":
		return InvalidGrant("code_verifier was sent, but the authorization request had no code_challenge")
	case verifier == "":
		return InvalidGrant("code_verifier is missing; the authorization request had a code_challenge (PKCE)")
	case !validVerifier(verifier):
		return InvalidGrant("code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~")
	}
	want := verifier
	if method == PKCES256 {
		sum := sha256.Sum256([]byte(verifier))
		want = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(challenge)) != 1 {
		return InvalidGrant("code_verifier does not match the code_challenge of the authorization request")
	}
	return nil
}
