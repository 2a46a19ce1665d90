package oauth

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/keypadauth/keypad"
)

// typIDToken is the JOSE typ of ID tokens. It differs from the access
// tokens' at+jwt, so a resource server following RFC 9068 §4 refuses an
// ID token presented as an access token.
const typIDToken = "JWT"

// idTokenClaims are the claims of an ID token (OpenID Connect Core §2).
// The profile, email, phone and address claims are not in it: with the
// code flow they come from the userinfo endpoint (Core §5.4).
type idTokenClaims struct {
	Issuer   string   `json:"iss"`
	Subject  string   `json:"sub"`
	Audience string   `json:"aud"`
	Expiry   int64    `json:"exp"`
	IssuedAt int64    `json:"iat"`
	AuthTime int64    `json:"auth_time,omitempty"`
	Nonce    string   `json:"nonce,omitempty"`
	ATHash   string   `json:"at_hash,omitempty"`
	AMR      []string `json:"amr,omitempty"`
}

// idTokenFacts is what an ID token states about a sign-in.
type idTokenFacts struct {
	subject     string
	nonce       string
	authTime    time.Time
	amr         []string
	accessToken string
	ttl         time.Duration
}

// idToken signs an ID token for the client (Core §3.1.3.6) with the
// algorithm the client is registered with, as its access tokens are:
// SigningAlg, and when that is empty keypad's default ES256. A client
// registered with "--signing-alg ES256" (the default) expects ES256, and
// libraries that pin the registered algorithm refuse anything else; one
// that needs RS256 is registered with it. at_hash binds the access token
// issued with it (Core §3.3.2.11).
func (s *Server) idToken(c *keypad.Client, f idTokenFacts) (string, error) {
	alg := idTokenAlg(c)
	now := s.now()
	claims := idTokenClaims{
		Issuer: s.issuer, Subject: f.subject, Audience: c.ID,
		Expiry: now.Add(f.ttl).Unix(), IssuedAt: now.Unix(),
		Nonce: f.nonce, AMR: f.amr,
	}
	if !f.authTime.IsZero() {
		claims.AuthTime = f.authTime.Unix()
	}
	if f.accessToken != "" {
		claims.ATHash = atHash(f.accessToken)
	}
	tok, err := s.tokens.Keys.Sign(alg, typIDToken, claims)
	if err != nil {
		return "", fmt.Errorf("issue id token: %w", err)
	}
	return tok, nil
}

// idTokenAlg is the alg of the client's ID tokens: its SigningAlg, or
// ES256 when it names none (what `keypad client` shows and registers).
func idTokenAlg(c *keypad.Client) string {
	if c.Options.SigningAlg == "" {
		return keypad.AlgES256
	}
	return c.Options.SigningAlg
}

// atHash is the left half of the SHA-256 of the access token, base64url:
// both ES256 and RS256 hash with SHA-256 (Core §3.1.3.6).
func atHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}
