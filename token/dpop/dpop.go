// Package dpop reads and checks DPoP proofs (RFC 9449 §4): the JWT a
// client signs with its key for each request. It is shared by the
// authorization server (package oauth, which adds replay detection in the
// store and server nonces) and by resource servers (package rs). It
// checks everything a proof says about itself; remembering which jti's
// were seen is the caller's job.
package dpop

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/keypadauth/keypad/token/jose"
)

// Limits on a proof.
const (
	MaxProofLen = 8 << 10 // bytes of the DPoP header value
	MaxJTILen   = 256
)

// Proof is a DPoP proof whose signature verified with its own key.
type Proof struct {
	// JKT is the RFC 7638 thumbprint of the proof's key: what a token is
	// bound to (cnf.jkt).
	JKT string
	// JTI, HTM, HTU, ATH and Nonce are the claims (§4.2); ATH and Nonce
	// may be empty.
	JTI, HTM, HTU, ATH, Nonce string
	IAT                       time.Time
}

// Parse reads the request's DPoP header values: none gives nil and no
// error; more than one is refused. It checks §4.3 steps 2 to 7: one
// compact JWS, typ dpop+jwt, an allowed asymmetric alg, a public jwk that
// alg fits, the signature, and the required claims.
func Parse(values []string) (*Proof, error) {
	switch {
	case len(values) == 0:
		return nil, nil
	case len(values) > 1:
		return nil, errors.New("send exactly one DPoP header")
	case len(values[0]) > MaxProofLen:
		return nil, fmt.Errorf("the DPoP proof is longer than %d bytes", MaxProofLen)
	}
	parts := strings.Split(values[0], ".")
	if len(parts) != 3 {
		return nil, errors.New("the DPoP proof is not a compact JWS (three base64url parts)")
	}
	key, alg, err := header(parts[0])
	if err != nil {
		return nil, err
	}
	sig, err := base64.RawURLEncoding.Strict().DecodeString(parts[2])
	if err != nil || !jose.Verify(alg, key.Key, []byte(parts[0]+"."+parts[1]), sig) {
		return nil, errors.New("the DPoP proof's signature does not verify with its jwk")
	}
	p, err := claims(parts[1])
	if err != nil {
		return nil, err
	}
	p.JKT = key.Thumbprint
	return p, nil
}

func header(seg string) (jose.PublicKey, string, error) {
	var k jose.PublicKey
	raw, err := base64.RawURLEncoding.Strict().DecodeString(seg)
	if err != nil {
		return k, "", errors.New("the DPoP proof's header is not base64url")
	}
	h, err := jose.Object(raw)
	if err != nil {
		return k, "", fmt.Errorf("the DPoP proof's header: %v", err)
	}
	var typ, alg string
	if json.Unmarshal(h["typ"], &typ) != nil || typ != "dpop+jwt" {
		return k, "", errors.New("the DPoP proof's typ must be 'dpop+jwt'")
	}
	if json.Unmarshal(h["alg"], &alg) != nil || !slices.Contains(jose.Algorithms(), alg) {
		return k, "", fmt.Errorf("the DPoP proof's alg must be one of %s", strings.Join(jose.Algorithms(), ", "))
	}
	if _, ok := h["crit"]; ok {
		return k, "", errors.New("the DPoP proof's header has crit, which is not understood here")
	}
	jwk, ok := h["jwk"]
	if !ok {
		return k, "", errors.New("the DPoP proof's header has no jwk (the public key)")
	}
	if k, err = jose.ParsePublicJWK(jwk); err != nil {
		return k, "", fmt.Errorf("the DPoP proof's jwk: %v", err)
	}
	if !k.Verifies(alg) {
		return k, "", fmt.Errorf("the DPoP proof's jwk cannot verify alg %s", alg)
	}
	return k, alg, nil
}

func claims(seg string) (*Proof, error) {
	raw, err := base64.RawURLEncoding.Strict().DecodeString(seg)
	if err != nil {
		return nil, errors.New("the DPoP proof's claims are not base64url")
	}
	m, err := jose.Object(raw)
	if err != nil {
		return nil, fmt.Errorf("the DPoP proof's claims: %v", err)
	}
	var p Proof
	for name, dst := range map[string]*string{"jti": &p.JTI, "htm": &p.HTM, "htu": &p.HTU, "ath": &p.ATH, "nonce": &p.Nonce} {
		v, ok := m[name]
		if !ok {
			continue
		}
		if json.Unmarshal(v, dst) != nil {
			return nil, fmt.Errorf("the DPoP proof's %s is not a string", name)
		}
	}
	var iat float64
	if v, ok := m["iat"]; !ok || json.Unmarshal(v, &iat) != nil {
		return nil, errors.New("the DPoP proof has no numeric iat")
	}
	p.IAT = time.Unix(int64(min(max(iat, -1e11), 1e11)), 0)
	switch {
	case p.JTI == "" || len(p.JTI) > MaxJTILen:
		return nil, fmt.Errorf("the DPoP proof needs a jti of 1 to %d characters, new for every request", MaxJTILen)
	case p.HTM == "" || p.HTU == "":
		return nil, errors.New("the DPoP proof needs htm and htu (the request's method and URL)")
	}
	return &p, nil
}

// Expect is the request a proof must be for (§4.3 steps 8 to 12).
type Expect struct {
	// Method and URL are the request's; URL's query and fragment are
	// ignored.
	Method, URL string
	// Now, MaxAge and Skew bound iat: from Now-MaxAge to Now+Skew.
	Now          time.Time
	MaxAge, Skew time.Duration
	// AccessToken, when set, must be named in ath (at a resource, §7).
	AccessToken string
}

// Check checks that the proof is for the request x describes.
func (p *Proof) Check(x Expect) error {
	if p.HTM != x.Method {
		return fmt.Errorf("the DPoP proof's htm is '%s' but this request is %s", p.HTM, x.Method)
	}
	want, _ := NormalURL(x.URL)
	if got, ok := NormalURL(p.HTU); !ok || got != want {
		return fmt.Errorf("the DPoP proof's htu must be '%s' (without query or fragment)", want)
	}
	switch {
	case p.IAT.Before(x.Now.Add(-x.MaxAge)):
		return fmt.Errorf("the DPoP proof's iat is more than %v old; make a new proof for every request", x.MaxAge)
	case p.IAT.After(x.Now.Add(x.Skew)):
		return errors.New("the DPoP proof's iat is in the future; check the client's clock")
	}
	if x.AccessToken == "" {
		return nil
	}
	if p.ATH == "" {
		return errors.New("the DPoP proof has no ath; at a resource it must carry the access token's hash")
	}
	if subtle.ConstantTimeCompare([]byte(p.ATH), []byte(ATH(x.AccessToken))) != 1 {
		return errors.New("the DPoP proof's ath does not match the access token")
	}
	return nil
}

// ATH is the ath of an access token: base64url SHA-256 (§4.2).
func ATH(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// NormalURL is the §4.3 comparison form of a URL (RFC 3986 §6.2.2 and
// §6.2.3): scheme and host in lower case, no default port, an empty path
// as "/", no query or fragment.
func NormalURL(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.User != nil {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if p := u.Port(); p != "" && !(scheme == "https" && p == "443") && !(scheme == "http" && p == "80") {
		host += ":" + p
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	return scheme + "://" + host + path, true
}
