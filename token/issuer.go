package token

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/keypadauth/keypad"
)

// Defaults for the Issuer's lifetimes.
const (
	DefaultAccessTTL  = time.Hour
	DefaultRefreshTTL = 30 * 24 * time.Hour
)

// Caps on lifetimes, applied to every token the Issuer mints whatever the
// grant, the client or the request ask for.
const (
	// MaxJWTAccessTTL caps JWT access tokens: a JWT cannot be withdrawn
	// before it expires except through introspection, and its signing key
	// must stay published as long as it lives.
	MaxJWTAccessTTL = 24 * time.Hour
	// MaxRefreshTTL caps refresh tokens: thirty years (10958 days, leap
	// days included), the life of a long-lived device (DESIGN.md story 3).
	// Longer means the client's RefreshNoExpiry.
	MaxRefreshTTL = 10958 * 24 * time.Hour
	// MaxOpaqueAccessTTL caps opaque access tokens, which introspection
	// withdraws at once: they may live as long as a refresh token, for
	// devices that cannot refresh.
	MaxOpaqueAccessTTL = MaxRefreshTTL
)

// MaxAccessTTL is the longest access token lifetime allowed for a format.
func MaxAccessTTL(f keypad.TokenFormat) time.Duration {
	if f == keypad.FormatOpaque {
		return MaxOpaqueAccessTTL
	}
	return MaxJWTAccessTTL
}

// TypAccessToken is the JOSE typ of JWT access tokens (RFC 9068 §2.1).
const TypAccessToken = "at+jwt"

// Issuer mints, introspects and revokes access and refresh tokens. It is
// the one place that knows what tokens look like: grants decide *whether*
// to issue, the Issuer decides *how*.
type Issuer struct {
	// Issuer is the iss claim: the server's issuer URL.
	Issuer string
	Keys   *Keyring
	Store  keypad.TokenStore
	// Grants, when set, lets introspection treat JWTs of a revoked grant
	// as inactive, and lets revoking a refresh token end its grant.
	Grants keypad.GrantStore
	// Clients, when set, lets introspection treat JWTs of a deleted client
	// as inactive (opaque tokens are deleted with their client).
	Clients ClientGetter
	// DefaultAudience is the aud of access tokens whose request names
	// none; when empty, the issuer URL itself.
	DefaultAudience []string
	Now             func() time.Time
	// Rand supplies token randomness; it must be safe for concurrent use
	// (crypto/rand.Reader when nil).
	Rand              io.Reader
	DefaultAccessTTL  time.Duration
	DefaultRefreshTTL time.Duration
}

// ClientGetter finds clients: a keypad.ClientStore, or a cache in front
// of one.
type ClientGetter interface {
	GetClient(ctx context.Context, id string) (*keypad.Client, error)
}

// AccessRequest describes an access token to issue.
type AccessRequest struct {
	Client *keypad.Client
	// Subject is the person, or the client ID for client_credentials.
	Subject  string
	Scopes   []string
	Audience []string
	// GrantID links the token to the person's grant; empty for
	// client_credentials.
	GrantID string
	// TTL overrides the lifetime; 0 means the client's, else the default.
	TTL time.Duration
	// JKT, when set, binds the token to a DPoP key (RFC 9449 §6): the
	// JWT's cnf.jkt, or stored with an opaque token.
	JKT string
}

// RefreshRequest describes a refresh token to issue.
type RefreshRequest struct {
	Client   *keypad.Client
	Subject  string
	Scopes   []string
	Audience []string
	GrantID  string
	// FamilyID groups the token with those rotated from the same first
	// one; empty starts a new family.
	FamilyID string
	// TTL overrides the lifetime; 0 means the client's, else the default.
	TTL time.Duration
	// JKT, when set, binds the token to a DPoP key: a refresh must prove
	// possession of that key.
	JKT string
}

// Confirmation is the cnf claim (RFC 7800 §3.1) of a DPoP-bound token:
// the RFC 7638 thumbprint of its key (RFC 9449 §6.1).
type Confirmation struct {
	JKT string `json:"jkt"`
}

// Token types of a token response and of introspection (RFC 6749 §7.1,
// RFC 9449 §5).
const (
	TypeBearer = "Bearer"
	TypeDPoP   = "DPoP"
)

// AccessClaims are the claims of a JWT access token (RFC 9068 §2.2).
type AccessClaims struct {
	Issuer   string   `json:"iss"`
	Subject  string   `json:"sub"`
	Audience Audience `json:"aud"`
	ClientID string   `json:"client_id"`
	Scope    string   `json:"scope,omitempty"`
	IssuedAt int64    `json:"iat"`
	Expiry   int64    `json:"exp"`
	ID       string   `json:"jti"`
	// GrantID is keypad's link to the person's grant, so that revoking a
	// grant makes its JWTs inactive at introspection.
	GrantID string `json:"gid,omitempty"`
	// Cnf binds the token to a DPoP key; nil for a bearer token.
	Cnf *Confirmation `json:"cnf,omitempty"`
}

// Audience is an aud value: a string when there is one, an array when
// several (RFC 7519 §4.1.3).
type Audience []string

// MarshalJSON writes one audience as a plain string.
func (a Audience) MarshalJSON() ([]byte, error) {
	if len(a) == 1 {
		return json.Marshal(a[0])
	}
	return json.Marshal([]string(a))
}

// UnmarshalJSON accepts both forms.
func (a *Audience) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = Audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("aud: want a string or an array of strings")
	}
	*a = many
	return nil
}

func (i *Issuer) now() time.Time {
	if i.Now == nil {
		return time.Now()
	}
	return i.Now()
}

// NewSecret returns prefix followed by 256 random bits, base64url: the
// shape of every keypad token, code and client secret.
func (i *Issuer) NewSecret(prefix string) (string, error) {
	return NewSecret(i.Rand, prefix)
}

// NewSecret is Issuer.NewSecret for callers without an Issuer; r nil means
// crypto/rand.
func NewSecret(r io.Reader, prefix string) (string, error) {
	var b [32]byte
	if err := readRandom(r, b[:]); err != nil {
		return "", err
	}
	return prefix + b64(b[:]), nil
}

// readRandom fills b from r, or from crypto/rand when r is nil.
func readRandom(r io.Reader, b []byte) error {
	if r == nil {
		rand.Read(b)
	} else if _, err := io.ReadFull(r, b); err != nil {
		return fmt.Errorf("read randomness: %w", err)
	}
	return nil
}

// newToken returns an opaque access or refresh token issued at now, in
// the form keypad.TokenKey stores by time.
func (i *Issuer) newToken(prefix string, now time.Time) (string, error) {
	var b [32]byte
	if err := readRandom(i.Rand, b[:]); err != nil {
		return "", err
	}
	return keypad.NewTokenSecret(prefix, now, b[:]), nil
}

// accessTTL is the request's lifetime, else the client's, else the
// default, capped for the client's format (MaxAccessTTL).
func (i *Issuer) accessTTL(c *keypad.Client, ttl time.Duration) time.Duration {
	switch {
	case ttl > 0:
	case c.AccessTTL > 0:
		ttl = c.AccessTTL
	case i.DefaultAccessTTL > 0:
		ttl = i.DefaultAccessTTL
	default:
		ttl = DefaultAccessTTL
	}
	return min(ttl, MaxAccessTTL(c.TokenFormat))
}

// IssueAccess mints an access token in the client's format: a JWT per RFC
// 9068 (signed with the client's SigningAlg, ES256 by default) or an
// opaque kp_at_ token stored by hash. It returns the token and its
// lifetime, capped at MaxAccessTTL for the format.
func (i *Issuer) IssueAccess(ctx context.Context, req AccessRequest) (string, time.Duration, error) {
	if req.Client == nil {
		return "", 0, errors.New("issue access token: no client")
	}
	ttl := i.accessTTL(req.Client, req.TTL)
	now := i.now()
	aud := req.Audience
	if len(aud) == 0 {
		aud = i.DefaultAudience
	}
	if len(aud) == 0 {
		aud = []string{i.Issuer}
	}
	if req.Client.TokenFormat == keypad.FormatOpaque {
		tok, err := i.newToken(keypad.PrefixAccessToken, now)
		if err != nil {
			return "", 0, fmt.Errorf("issue access token: %w", err)
		}
		err = i.Store.CreateToken(ctx, &keypad.Token{
			Hash: keypad.TokenKey(tok), Kind: keypad.KindAccess,
			ClientID: req.Client.ID, Subject: req.Subject,
			Scopes: req.Scopes, Audience: aud, GrantID: req.GrantID,
			IssuedAt: now, ExpiresAt: now.Add(ttl), JKT: req.JKT,
		})
		if err != nil {
			return "", 0, fmt.Errorf("issue access token: %w", err)
		}
		return tok, ttl, nil
	}
	alg := req.Client.Options.SigningAlg
	if alg == "" {
		alg = keypad.AlgES256
	}
	jti, err := i.randomID()
	if err != nil {
		return "", 0, fmt.Errorf("issue access token: %w", err)
	}
	claims := AccessClaims{
		Issuer: i.Issuer, Subject: req.Subject, Audience: aud,
		ClientID: req.Client.ID, Scope: keypad.FormatScope(req.Scopes),
		IssuedAt: now.Unix(), Expiry: now.Add(ttl).Unix(), ID: jti,
		GrantID: req.GrantID,
	}
	if req.JKT != "" {
		claims.Cnf = &Confirmation{JKT: req.JKT}
	}
	tok, err := i.Keys.Sign(alg, TypAccessToken, claims)
	if err != nil {
		return "", 0, fmt.Errorf("issue access token: %w", err)
	}
	return tok, ttl, nil
}

// randomID returns 128 random bits, base64url: enough for a jti or a
// family ID, which are identifiers, not secrets.
func (i *Issuer) randomID() (string, error) {
	var b [16]byte
	if err := readRandom(i.Rand, b[:]); err != nil {
		return "", err
	}
	return b64(b[:]), nil
}

// IssueRefresh mints a kp_rt_ refresh token stored by hash. Its lifetime
// is req.TTL, else the client's RefreshTTL, else the default, at most
// MaxRefreshTTL; a client with RefreshNoExpiry gets tokens that live until
// revoked.
func (i *Issuer) IssueRefresh(ctx context.Context, req RefreshRequest) (string, error) {
	if req.Client == nil {
		return "", errors.New("issue refresh token: no client")
	}
	now := i.now()
	tok, err := i.newToken(keypad.PrefixRefreshToken, now)
	if err != nil {
		return "", fmt.Errorf("issue refresh token: %w", err)
	}
	family := req.FamilyID
	if family == "" {
		if family, err = i.randomID(); err != nil {
			return "", fmt.Errorf("issue refresh token: %w", err)
		}
	}
	var exp time.Time
	if !req.Client.Options.RefreshNoExpiry {
		ttl := req.TTL
		if ttl <= 0 {
			ttl = req.Client.RefreshTTL
		}
		if ttl <= 0 {
			ttl = i.DefaultRefreshTTL
		}
		if ttl <= 0 {
			ttl = DefaultRefreshTTL
		}
		exp = now.Add(min(ttl, MaxRefreshTTL))
	}
	err = i.Store.CreateToken(ctx, &keypad.Token{
		Hash: keypad.TokenKey(tok), Kind: keypad.KindRefresh,
		ClientID: req.Client.ID, Subject: req.Subject,
		Scopes: req.Scopes, Audience: req.Audience, GrantID: req.GrantID,
		FamilyID: family, IssuedAt: now, ExpiresAt: exp, JKT: req.JKT,
	})
	if err != nil {
		return "", fmt.Errorf("issue refresh token: %w", err)
	}
	return tok, nil
}

// isJWT tells a JWT from keypad's prefixed opaque strings by shape alone.
func isJWT(tok string) bool { return strings.Count(tok, ".") == 2 }
