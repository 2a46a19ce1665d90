package keypad

import (
	"context"
	"time"
)

// TokenKind tells access tokens from refresh tokens in the token table.
type TokenKind string

const (
	// KindAccess is an opaque access token (kp_at_).
	KindAccess TokenKind = "access"
	// KindRefresh is a refresh token (kp_rt_).
	KindRefresh TokenKind = "refresh"
)

// Token is the stored record of an opaque access token or a refresh token.
// JWT access tokens are not stored; only their revocation is (see
// TokenStore.RevokeJTI).
type Token struct {
	// Hash is TokenKey of the token string: the record's key.
	Hash     []byte
	Kind     TokenKind
	ClientID string
	// Subject is the person the token acts for; for client_credentials it
	// is the client ID.
	Subject  string
	Scopes   []string
	Audience []string
	// GrantID links the token to the authorization it came from, so one
	// device's tokens can be revoked without touching the others. Empty
	// for client_credentials.
	GrantID string
	// FamilyID groups a refresh token with every token rotated from it,
	// for reuse detection (RFC 9700 §4.14.2).
	FamilyID  string
	IssuedAt  time.Time
	ExpiresAt time.Time // zero: never expires
	UsedAt    time.Time // zero: not yet consumed (refresh rotation)
	RevokedAt time.Time // zero: not revoked
	// JKT is the RFC 7638 thumbprint of the DPoP key the token is bound
	// to (RFC 9449 §6): an opaque access token's cnf.jkt, or the key a
	// public client's refresh token must be presented with. Empty: not
	// bound.
	JKT string
}

// Active reports whether the token can be used at now.
func (t *Token) Active(now time.Time) bool {
	return t.RevokedAt.IsZero() && (t.ExpiresAt.IsZero() || now.Before(t.ExpiresAt))
}

// TokenStore keeps opaque access tokens, refresh tokens and the revocation
// list of JWT access tokens.
type TokenStore interface {
	// CreateToken stores a token record. Returns ErrConflict if the hash
	// exists.
	CreateToken(ctx context.Context, t *Token) error
	// GetToken returns the token with the given hash, whatever its state,
	// or ErrNotFound.
	GetToken(ctx context.Context, hash []byte) (*Token, error)
	// ConsumeToken marks an unused token used at now, atomically: of many
	// concurrent callers exactly one gets the token, the others get
	// ErrConsumed (with the token, for reuse detection). Returns
	// ErrNotFound, ErrRevoked or ErrExpired when it cannot be used.
	ConsumeToken(ctx context.Context, hash []byte, now time.Time) (*Token, error)
	// RevokeToken revokes one token. Returns ErrNotFound if it does not
	// exist; revoking a revoked token is not an error.
	RevokeToken(ctx context.Context, hash []byte, now time.Time) error
	// RevokeFamily revokes every token of a refresh family and returns how
	// many were active.
	RevokeFamily(ctx context.Context, familyID string, now time.Time) (int, error)
	// RevokeJTI records that the JWT with this jti is revoked until exp,
	// after which the JWT is dead anyway and the record may be purged.
	RevokeJTI(ctx context.Context, jti string, exp time.Time) error
	// JTIRevoked reports whether a JWT's jti was revoked.
	JTIRevoked(ctx context.Context, jti string) (bool, error)
}

// DPoPStore remembers the DPoP proofs seen (RFC 9449 §11.1), so a proof
// is accepted once, on one instance or on many sharing the store.
type DPoPStore interface {
	// UseDPoPProof records a proof by hash (of its key and jti) until
	// exp, after which its iat is too old to pass anyway and the record
	// may be purged. Of concurrent callers with one hash exactly one gets
	// nil; the others, and every later caller until exp, get ErrConflict.
	// A record past exp counts as gone.
	UseDPoPProof(ctx context.Context, hash []byte, now, exp time.Time) error
}
