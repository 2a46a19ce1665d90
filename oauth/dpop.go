package oauth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/token/jose"
)

// DPoP (RFC 9449): a client proves, with each request, that it holds the
// private key its tokens are bound to. The proof is a JWT in the DPoP
// header, signed with that key, naming the request (htm, htu), its time
// (iat) and a unique jti; at a resource (userinfo) it also names the
// access token (ath).
//
// Replay: a proof is accepted once. Its key thumbprint and jti are
// recorded in the store (keypad.DPoPStore) until its iat is too old to
// pass the window check anyway, so a replay fails on every instance that
// shares the store; the janitor purges the records.
//
// Nonces (§8): when Config.DPoP.RequireNonce is set, a proof must carry a
// nonce the server gave out (DPoP-Nonce header). A nonce is an HMAC of
// the current time window under a key every instance shares (derived
// from the server secret), so instances agree without talking to each
// other; the current and the previous window's nonces are accepted.

// Limits and defaults of DPoPConfig.
const (
	DefaultDPoPProofMaxAge = time.Minute
	MaxDPoPProofMaxAge     = 5 * time.Minute
	DefaultDPoPClockSkew   = 10 * time.Second
	DefaultDPoPNoncePeriod = 5 * time.Minute
	maxDPoPProof           = 8 << 10 // bytes of the header value
	maxDPoPJTI             = 256
)

// Error codes of RFC 9449 §5 and §8.
const (
	CodeInvalidDPoPProof = "invalid_dpop_proof"
	CodeUseDPoPNonce     = "use_dpop_nonce"
)

// DPoPConfig bounds the DPoP proofs the server accepts. The zero value is
// usable: proofs up to a minute old, no nonces.
type DPoPConfig struct {
	// ProofMaxAge is how old a proof's iat may be (default a minute, at
	// most five); every proof seen is remembered this long.
	ProofMaxAge time.Duration
	// ClockSkew is how far in the future a proof's iat may be (default
	// ten seconds, at most ProofMaxAge).
	ClockSkew time.Duration
	// RequireNonce makes every proof carry a server nonce (RFC 9449 §8);
	// a proof without a current one is answered use_dpop_nonce with a
	// fresh nonce in the DPoP-Nonce header.
	RequireNonce bool
	// NoncePeriod is how long one nonce is given out (default five
	// minutes); a nonce is accepted for up to two periods.
	NoncePeriod time.Duration
	// NonceKey is the HMAC key nonces are made with: at least 32 bytes,
	// the same on every instance. Required with RequireNonce.
	NonceKey []byte
}

// Validate fills in the defaults and checks the bounds.
func (c *DPoPConfig) Validate() error {
	if c.ProofMaxAge == 0 {
		c.ProofMaxAge = DefaultDPoPProofMaxAge
	}
	if c.ClockSkew == 0 {
		c.ClockSkew = DefaultDPoPClockSkew
	}
	if c.NoncePeriod == 0 {
		c.NoncePeriod = DefaultDPoPNoncePeriod
	}
	switch {
	case c.ProofMaxAge < 0 || c.ProofMaxAge > MaxDPoPProofMaxAge:
		return fmt.Errorf("dpop proof max age %v: use up to %v", c.ProofMaxAge, MaxDPoPProofMaxAge)
	case c.ClockSkew < 0 || c.ClockSkew > c.ProofMaxAge:
		return fmt.Errorf("dpop clock skew %v: use from 0 to the proof max age (%v)", c.ClockSkew, c.ProofMaxAge)
	case c.NoncePeriod < time.Second:
		return fmt.Errorf("dpop nonce period %v: use a second or more", c.NoncePeriod)
	case c.RequireNonce && len(c.NonceKey) < 32:
		return errors.New("dpop nonces need a NonceKey of at least 32 bytes, the same on every instance")
	}
	return nil
}

// DPoPProof is a verified DPoP proof.
type DPoPProof struct {
	// JKT is the RFC 7638 thumbprint of the proof's key: what the tokens
	// are bound to (cnf.jkt).
	JKT string
}

// installDPoP announces DPoP in the metadata (RFC 9449 §5.1).
func (s *Server) installDPoP() {
	s.setMetadata("dpop_signing_alg_values_supported", jose.Algorithms())
}

func dpopError(format string, args ...any) *Error {
	return NewError(CodeInvalidDPoPProof, format, args...)
}

// dpopProof verifies the request's DPoP header per RFC 9449 §4.3 and
// records its jti. It returns nil and no error when there is no header.
// accessToken, when not empty, is the token the proof must name in ath
// (at a resource, §7).
func (s *Server) dpopProof(r *http.Request, accessToken string) (*DPoPProof, error) {
	vals := r.Header.Values("DPoP")
	switch {
	case len(vals) == 0:
		return nil, nil
	case len(vals) > 1:
		return nil, dpopError("send exactly one DPoP header")
	case len(vals[0]) > maxDPoPProof:
		return nil, dpopError("the DPoP proof is longer than %d bytes", maxDPoPProof)
	}
	parts := strings.Split(vals[0], ".")
	if len(parts) != 3 {
		return nil, dpopError("the DPoP proof is not a compact JWS (three base64url parts)")
	}
	key, alg, err := dpopHeader(parts[0])
	if err != nil {
		return nil, err
	}
	sig, err := base64.RawURLEncoding.Strict().DecodeString(parts[2])
	if err != nil || !jose.Verify(alg, key.Key, []byte(parts[0]+"."+parts[1]), sig) {
		return nil, dpopError("the DPoP proof's signature does not verify with its jwk")
	}
	c, err := dpopClaims(parts[1])
	if err != nil {
		return nil, err
	}
	if err := s.checkDPoPClaims(r, c, accessToken); err != nil {
		return nil, err
	}
	return s.useDPoPProof(r.Context(), key.Thumbprint, c)
}

// dpopHeader checks the proof's JOSE header (§4.3 steps 4 to 7): typ
// dpop+jwt, an allowed asymmetric alg, and a public jwk that alg fits.
func dpopHeader(seg string) (jose.PublicKey, string, error) {
	var k jose.PublicKey
	raw, err := base64.RawURLEncoding.Strict().DecodeString(seg)
	if err != nil {
		return k, "", dpopError("the DPoP proof's header is not base64url")
	}
	h, err := jose.Object(raw)
	if err != nil {
		return k, "", dpopError("the DPoP proof's header: %v", err)
	}
	var typ, alg string
	if json.Unmarshal(h["typ"], &typ) != nil || typ != "dpop+jwt" {
		return k, "", dpopError("the DPoP proof's typ must be 'dpop+jwt'")
	}
	if json.Unmarshal(h["alg"], &alg) != nil || !slices.Contains(jose.Algorithms(), alg) {
		return k, "", dpopError("the DPoP proof's alg must be one of %s", strings.Join(jose.Algorithms(), ", "))
	}
	if _, ok := h["crit"]; ok {
		return k, "", dpopError("the DPoP proof's header has crit, which keypad does not understand")
	}
	jwk, ok := h["jwk"]
	if !ok {
		return k, "", dpopError("the DPoP proof's header has no jwk (the public key)")
	}
	if k, err = jose.ParsePublicJWK(jwk); err != nil {
		return k, "", dpopError("the DPoP proof's jwk: %v", err)
	}
	if !k.Verifies(alg) {
		return k, "", dpopError("the DPoP proof's jwk cannot verify alg %s", alg)
	}
	return k, alg, nil
}

// dpopClaimSet are the claims of a proof (§4.2).
type dpopClaimSet struct {
	JTI   string
	HTM   string
	HTU   string
	IAT   time.Time
	ATH   string
	Nonce string
}

func dpopClaims(seg string) (*dpopClaimSet, error) {
	raw, err := base64.RawURLEncoding.Strict().DecodeString(seg)
	if err != nil {
		return nil, dpopError("the DPoP proof's claims are not base64url")
	}
	m, err := jose.Object(raw)
	if err != nil {
		return nil, dpopError("the DPoP proof's claims: %v", err)
	}
	var c dpopClaimSet
	for name, dst := range map[string]*string{"jti": &c.JTI, "htm": &c.HTM, "htu": &c.HTU, "ath": &c.ATH, "nonce": &c.Nonce} {
		v, ok := m[name]
		if !ok {
			continue
		}
		if json.Unmarshal(v, dst) != nil {
			return nil, dpopError("the DPoP proof's %s is not a string", name)
		}
	}
	var iat json.Number
	if v, ok := m["iat"]; !ok || json.Unmarshal(v, &iat) != nil {
		return nil, dpopError("the DPoP proof has no numeric iat")
	}
	sec, err := iat.Int64()
	if err != nil {
		f, ferr := iat.Float64()
		if ferr != nil {
			return nil, dpopError("the DPoP proof's iat is not a number of seconds")
		}
		sec = int64(f)
	}
	c.IAT = time.Unix(sec, 0)
	switch {
	case c.JTI == "" || len(c.JTI) > maxDPoPJTI:
		return nil, dpopError("the DPoP proof needs a jti of 1 to %d characters, new for every request", maxDPoPJTI)
	case c.HTM == "" || c.HTU == "":
		return nil, dpopError("the DPoP proof needs htm and htu (the request's method and URL)")
	}
	return &c, nil
}

// checkDPoPClaims checks §4.3 steps 8 to 12 except the jti's uniqueness.
func (s *Server) checkDPoPClaims(r *http.Request, c *dpopClaimSet, accessToken string) error {
	now := s.now()
	cfg := s.cfg.DPoP
	if c.HTM != r.Method {
		return dpopError("the DPoP proof's htm is '%s' but this request is %s", c.HTM, r.Method)
	}
	want := s.Endpoint(r.URL.Path)
	if got, ok := normalHTU(c.HTU); !ok || got != want {
		return dpopError("the DPoP proof's htu must be '%s' (without query or fragment)", want)
	}
	switch {
	case c.IAT.Before(now.Add(-cfg.ProofMaxAge)):
		return dpopError("the DPoP proof's iat is more than %v old; make a new proof for every request", cfg.ProofMaxAge)
	case c.IAT.After(now.Add(cfg.ClockSkew)):
		return dpopError("the DPoP proof's iat is in the future; check the client's clock")
	}
	if accessToken != "" {
		sum := sha256.Sum256([]byte(accessToken))
		want := base64.RawURLEncoding.EncodeToString(sum[:])
		if c.ATH == "" {
			return dpopError("the DPoP proof has no ath; at a resource it must carry the access token's hash")
		}
		if subtle.ConstantTimeCompare([]byte(c.ATH), []byte(want)) != 1 {
			return dpopError("the DPoP proof's ath does not match the access token")
		}
	}
	if cfg.RequireNonce && !s.dpopNonceValid(c.Nonce, now) {
		return NewError(CodeUseDPoPNonce, "use the nonce of the DPoP-Nonce response header in the DPoP proof")
	}
	return nil
}

// useDPoPProof records the proof's jti for its key; a second use, here
// or on another instance, is a replay.
func (s *Server) useDPoPProof(ctx context.Context, jkt string, c *dpopClaimSet) (*DPoPProof, error) {
	sum := sha256.Sum256([]byte("dpop\x00" + jkt + "\x00" + c.JTI))
	// A proof passes the iat check until iat+ProofMaxAge; after that it
	// is refused as old, so the record need not outlive it.
	exp := c.IAT.Add(s.cfg.DPoP.ProofMaxAge + time.Second)
	err := s.store.UseDPoPProof(ctx, sum[:], s.now(), exp)
	if errors.Is(err, keypad.ErrConflict) {
		s.metrics.Event("dpop", "replayed")
		return nil, dpopError("the DPoP proof was used before (its jti is not new); make a new proof for every request")
	}
	if err != nil {
		return nil, err
	}
	return &DPoPProof{JKT: jkt}, nil
}

// normalHTU is the §4.3 comparison form of a URL (RFC 3986 §6.2.2 and
// §6.2.3): scheme and host in lower case, no default port, an empty path
// as "/", no query or fragment.
func normalHTU(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.User != nil {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	if p := u.Port(); p != "" && !(scheme == "https" && p == "443") && !(scheme == "http" && p == "80") {
		host += ":" + p
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	return scheme + "://" + host + path, true
}

// dpopCtxKey carries the token request's verified proof to Server.issue.
type dpopCtxKey struct{}

// withDPoP returns ctx carrying p, so that the one minting path binds
// whatever a grant issues to p's key, whichever grant it is.
func withDPoP(ctx context.Context, p *DPoPProof) context.Context {
	if p == nil {
		return ctx
	}
	return context.WithValue(ctx, dpopCtxKey{}, p)
}

// dpopOf returns the proof withDPoP put in ctx, or nil.
func dpopOf(ctx context.Context) *DPoPProof {
	p, _ := ctx.Value(dpopCtxKey{}).(*DPoPProof)
	return p
}
