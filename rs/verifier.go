// Package rs is the resource server's side of keypad: it verifies
// keypad's access tokens, JWT (RFC 9068, against the published JWKS) or
// opaque (RFC 7662 introspection, cached briefly), and the DPoP proofs
// (RFC 9449 §7) of tokens bound to a client's key. It talks to keypad
// over HTTP only, finding its endpoints from the issuer's metadata, so
// it can be imported by any Go API that accepts keypad's tokens.
package rs

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/keypadauth/keypad/token/dpop"
)

// Principal is who a valid token speaks for.
type Principal struct {
	// Subject is the person (sub), or the client for client credentials.
	Subject  string
	ClientID string
	Scopes   []string
	// JKT is the thumbprint of the DPoP key the token is bound to (its
	// cnf.jkt); empty for a bearer token.
	JKT string
}

// HasScope reports whether the token carries scope s.
func (p *Principal) HasScope(s string) bool { return slices.Contains(p.Scopes, s) }

// Error codes of TokenError (RFC 6750 §3.1, RFC 9449 §7.1).
const (
	CodeInvalidRequest   = "invalid_request"
	CodeInvalidToken     = "invalid_token"
	CodeInvalidDPoPProof = "invalid_dpop_proof"
)

// TokenError is a request the resource server refuses with 401 (400 for
// invalid_request): Code goes in the challenge, Description says why.
type TokenError struct {
	Code        string
	Description string
}

func (e *TokenError) Error() string { return e.Code + ": " + e.Description }

func invalidToken(description string) error {
	return &TokenError{Code: CodeInvalidToken, Description: description}
}

// ErrUnavailable means keypad could not be asked (down, or answering
// nonsense): answer 503, not 401, since the token may be fine.
var ErrUnavailable = errors.New("authorization server unavailable")

// Config configures a Verifier. Issuer is required.
type Config struct {
	// Issuer is keypad's issuer URL; its metadata and JWKS are found from
	// it (RFC 8414).
	Issuer string
	// ClientID and ClientSecret are the resource server's own
	// credentials for introspection of opaque (kp_at_) tokens. Without
	// them only JWT access tokens are accepted. keypad tells a client
	// only about its own tokens, so the resource server's client is
	// registered with --introspect-any.
	ClientID, ClientSecret string
	// Audience, when set, must appear in a token's aud.
	Audience string
	// RequireDPoP refuses bearer tokens: only tokens bound to a DPoP key
	// (from clients keypad made use DPoP: --dpop required), with a proof.
	RequireDPoP bool
	// DPoPMaxAge and DPoPSkew bound a proof's iat: at most DPoPMaxAge
	// old (default a minute) and DPoPSkew ahead (default ten seconds).
	DPoPMaxAge, DPoPSkew time.Duration
	HTTPClient           *http.Client // default: a client with a 10 s timeout
	Now                  func() time.Time
	Logger               *slog.Logger // default: slog.Default()
}

// Verifier turns access tokens into principals, talking to keypad over
// HTTP only. It is safe for concurrent use.
type Verifier struct {
	issuer, metaURL        string
	audience               string
	clientID, clientSecret string
	client                 *http.Client
	now                    func() time.Time
	log                    *slog.Logger
	cfg                    Config

	mu          sync.Mutex // guards what follows; held while fetching
	meta        *metadata
	metaTried   time.Time
	metaErr     error
	keys        map[string]publicKey
	keysFetched time.Time
	keysTried   time.Time

	cacheMu sync.Mutex
	cache   map[[32]byte]introspected

	proofs seenProofs
}

// New returns a Verifier. It does not contact keypad: metadata and keys
// are fetched on the first request that needs them.
func New(cfg Config) (*Verifier, error) {
	metaURL, err := metadataURL(cfg.Issuer)
	if err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.DPoPMaxAge <= 0 {
		cfg.DPoPMaxAge = time.Minute
	}
	if cfg.DPoPSkew <= 0 {
		cfg.DPoPSkew = 10 * time.Second
	}
	return &Verifier{
		issuer: cfg.Issuer, metaURL: metaURL, audience: cfg.Audience,
		clientID: cfg.ClientID, clientSecret: cfg.ClientSecret,
		client: cfg.HTTPClient, now: cfg.Now, log: cfg.Logger, cfg: cfg,
		cache: map[[32]byte]introspected{},
	}, nil
}

// Verify checks an access token alone: a JWT access token or an opaque
// one. Any token that does not look like a JWS is asked about at
// introspection, which is how a resource server learns about tokens it
// cannot read. It does not check a DPoP binding; VerifyRequest does.
func (v *Verifier) Verify(ctx context.Context, tok string) (*Principal, error) {
	if strings.Count(tok, ".") == 2 {
		return v.verifyJWT(ctx, tok)
	}
	return v.introspect(ctx, tok)
}

// VerifyRequest checks the access token of a request and its sender
// constraint (RFC 9449 §7): scheme is "Bearer" or "DPoP" as the
// Authorization header said, url the request's public URL (for the
// proof's htu). A token bound to a key needs scheme DPoP and a proof of
// that key naming it (ath); a bearer token needs scheme Bearer, and is
// refused when Config.RequireDPoP is set. Each proof is accepted once by
// this Verifier.
func (v *Verifier) VerifyRequest(r *http.Request, scheme, tok, url string) (*Principal, error) {
	p, err := v.Verify(r.Context(), tok)
	if err != nil {
		return nil, err
	}
	isDPoP := strings.EqualFold(scheme, "DPoP")
	switch {
	case p.JKT == "" && isDPoP:
		return nil, invalidToken("the access token is not bound to a DPoP key: send it as 'Authorization: Bearer <token>'")
	case p.JKT == "" && v.cfg.RequireDPoP:
		return nil, invalidToken("this resource accepts only DPoP-bound access tokens: the client must get its tokens with DPoP proofs")
	case p.JKT == "":
		return p, nil
	case !isDPoP:
		return nil, invalidToken("the access token is bound to a DPoP key: send it as 'Authorization: DPoP <token>' with a DPoP proof")
	}
	proof, err := dpop.Parse(r.Header.Values("DPoP"))
	if err != nil {
		return nil, &TokenError{Code: CodeInvalidDPoPProof, Description: err.Error()}
	}
	if proof == nil {
		return nil, &TokenError{Code: CodeInvalidDPoPProof, Description: "send a DPoP proof in the DPoP header, naming the access token in ath"}
	}
	now := v.now()
	if err := proof.Check(dpop.Expect{Method: r.Method, URL: url, Now: now, MaxAge: v.cfg.DPoPMaxAge, Skew: v.cfg.DPoPSkew, AccessToken: tok}); err != nil {
		return nil, &TokenError{Code: CodeInvalidDPoPProof, Description: err.Error()}
	}
	if proof.JKT != p.JKT {
		return nil, invalidToken("the DPoP proof is signed with another key than the one the access token is bound to")
	}
	if err := v.proofs.use(proof, now, v.cfg.DPoPMaxAge); err != nil {
		return nil, err
	}
	return p, nil
}

// seenProofs remembers the proofs a Verifier accepted until they are too
// old to pass anyway, so each is accepted once. It lives in memory: a
// resource server running several instances accepts a proof once per
// instance (RFC 9449 §11.1 leaves the scope to the server); keypad's own
// endpoints keep theirs in the shared database.
type seenProofs struct {
	mu   sync.Mutex
	seen map[[32]byte]time.Time
}

const maxSeenProofs = 100_000

func (s *seenProofs) use(p *dpop.Proof, now time.Time, maxAge time.Duration) error {
	key := sha256.Sum256([]byte(p.JKT + "\x00" + p.JTI))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == nil {
		s.seen = map[[32]byte]time.Time{}
	}
	if until, ok := s.seen[key]; ok && now.Before(until) {
		return &TokenError{Code: CodeInvalidDPoPProof, Description: "the DPoP proof was used before (its jti is not new); make a new proof for every request"}
	}
	if len(s.seen) >= maxSeenProofs {
		for k, until := range s.seen {
			if !now.Before(until) {
				delete(s.seen, k)
			}
		}
		if len(s.seen) >= maxSeenProofs {
			// Forgetting live proofs would let them be replayed.
			return fmt.Errorf("%w: too many DPoP proofs in flight", ErrUnavailable)
		}
	}
	s.seen[key] = p.IAT.Add(maxAge + time.Second)
	return nil
}

// IsUnavailable reports whether err means keypad could not be asked.
func IsUnavailable(err error) bool { return errors.Is(err, ErrUnavailable) }

// tokenKey is how the introspection cache names a token: by hash, so no
// token sits in memory longer than its request.
func tokenKey(tok string) [32]byte { return sha256.Sum256([]byte(tok)) }
