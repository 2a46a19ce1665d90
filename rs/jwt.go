package rs

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// ClockSkew is how far apart keypad's clock and this API's may be.
const ClockSkew = 30 * time.Second

// audience is the aud claim: a string or an array of strings (RFC 7519
// §4.1.3).
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("aud is neither a string nor an array of strings")
	}
	*a = many
	return nil
}

func (a audience) has(s string) bool {
	for _, x := range a {
		if x == s {
			return true
		}
	}
	return false
}

// atClaims are the RFC 9068 §2.2 claims the API checks.
type atClaims struct {
	Iss      string   `json:"iss"`
	Sub      string   `json:"sub"`
	Aud      audience `json:"aud"`
	Exp      *float64 `json:"exp"`
	Nbf      *float64 `json:"nbf"`
	Scope    string   `json:"scope"`
	ClientID string   `json:"client_id"`
	Cnf      cnf      `json:"cnf"`
}

// cnf is the confirmation claim (RFC 7800) of a DPoP-bound token: the
// thumbprint of its key (RFC 9449 §6).
type cnf struct {
	JKT string `json:"jkt"`
}

// verifyJWT checks a JWT access token per RFC 9068 §4: an asymmetric
// signature by one of keypad's published keys, typ at+jwt, our issuer,
// not expired, our audience when one is configured.
func (v *Verifier) verifyJWT(ctx context.Context, tok string) (*Principal, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, invalidToken("the token is not a JWT")
	}
	var h struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
		Typ string `json:"typ"`
	}
	if err := decodeSegment(parts[0], &h); err != nil {
		return nil, invalidToken("the token header is malformed")
	}
	if h.Alg != "ES256" && h.Alg != "RS256" {
		return nil, invalidToken(fmt.Sprintf("the token's signing algorithm %q is not accepted", h.Alg))
	}
	if t := strings.ToLower(h.Typ); t != "at+jwt" && t != "application/at+jwt" {
		return nil, invalidToken("the token is not an access token (typ must be at+jwt)")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, invalidToken("the token signature is malformed")
	}
	v.mu.Lock()
	keys, err := v.keysFor(ctx, h.Kid, h.Alg)
	v.mu.Unlock()
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	verified := false
	for _, k := range keys {
		if verifySignature(k, digest[:], sig) {
			verified = true
			break
		}
	}
	if !verified {
		if len(keys) == 0 {
			return nil, invalidToken("the token is signed by an unknown key")
		}
		return nil, invalidToken("the token signature is not valid")
	}

	var c atClaims
	if err := decodeSegment(parts[1], &c); err != nil {
		return nil, invalidToken("the token claims are malformed")
	}
	now := v.now()
	switch {
	case c.Iss != v.issuer:
		return nil, invalidToken("the token was issued by another server")
	case c.Sub == "":
		return nil, invalidToken("the token has no subject")
	case c.Exp == nil:
		return nil, invalidToken("the token has no expiry")
	case !now.Before(unixTime(*c.Exp).Add(ClockSkew)):
		return nil, invalidToken("the token has expired")
	case c.Nbf != nil && now.Add(ClockSkew).Before(unixTime(*c.Nbf)):
		return nil, invalidToken("the token is not valid yet")
	case v.audience != "" && !c.Aud.has(v.audience):
		return nil, invalidToken("the token is meant for another audience")
	}
	return &Principal{Subject: c.Sub, ClientID: c.ClientID, Scopes: strings.Fields(c.Scope), JKT: c.Cnf.JKT}, nil
}

func verifySignature(k publicKey, digest, sig []byte) bool {
	switch pub := k.key.(type) {
	case *ecdsa.PublicKey:
		if len(sig) != 64 {
			return false
		}
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		return ecdsa.Verify(pub, digest, r, s)
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest, sig) == nil
	}
	return false
}

func decodeSegment(seg string, into any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	return d.Decode(into)
}

// unixTime converts a NumericDate, clamped so absurd values cannot
// overflow.
func unixTime(sec float64) time.Time {
	return time.Unix(int64(min(max(sec, -1e11), 1e11)), 0)
}
