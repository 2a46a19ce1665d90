package oauth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/token/dpop"
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
	p, err := s.checkDPoPProof(r, accessToken)
	if p == nil || err != nil {
		return nil, err
	}
	return s.useDPoPProof(r.Context(), p)
}

// checkDPoPProof is dpopProof without recording the jti: the checks that
// need no store, so that a request refused for another reason afterwards
// (the token endpoint's client authentication, grant and audience
// checks) neither writes nor uses up the proof.
func (s *Server) checkDPoPProof(r *http.Request, accessToken string) (*dpop.Proof, error) {
	p, err := dpop.Parse(r.Header.Values("DPoP"))
	if err != nil {
		return nil, dpopError("%v", err)
	}
	if p == nil {
		return nil, nil
	}
	now := s.now()
	cfg := s.cfg.DPoP
	err = p.Check(dpop.Expect{Method: r.Method, URL: s.Endpoint(r.URL.Path), Now: now,
		MaxAge: cfg.ProofMaxAge, Skew: cfg.ClockSkew, AccessToken: accessToken})
	if err != nil {
		return nil, dpopError("%v", err)
	}
	if cfg.RequireNonce && !s.dpopNonceValid(p.Nonce, now) {
		return nil, NewError(CodeUseDPoPNonce, "use the nonce of the DPoP-Nonce response header in the DPoP proof")
	}
	return p, nil
}

// useDPoPProof records the proof's jti for its key; a second use, here
// or on another instance, is a replay. It runs after every other check,
// so a bad proof, or a request refused for another reason, never uses up
// a jti.
func (s *Server) useDPoPProof(ctx context.Context, p *dpop.Proof) (*DPoPProof, error) {
	sum := sha256.Sum256([]byte("dpop\x00" + p.JKT + "\x00" + p.JTI))
	// A proof passes the iat check until iat+ProofMaxAge; after that it
	// is refused as old, so the record need not outlive it.
	exp := p.IAT.Add(s.cfg.DPoP.ProofMaxAge + time.Second)
	err := s.store.UseDPoPProof(ctx, sum[:], s.now(), exp)
	if errors.Is(err, keypad.ErrConflict) {
		s.metrics.Event("dpop", "replayed")
		return nil, dpopError("the DPoP proof was used before (its jti is not new); make a new proof for every request")
	}
	if err != nil {
		return nil, err
	}
	return &DPoPProof{JKT: p.JKT}, nil
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
