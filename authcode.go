package keypad

import (
	"context"
	"time"
)

// AuthCode is an authorization code (RFC 6749 §4.1.2), stored by hash.
type AuthCode struct {
	Hash                []byte
	ClientID            string
	Subject             string
	Scopes              []string
	Audience            []string
	RedirectURI         string
	CodeChallenge       string
	CodeChallengeMethod string
	Nonce               string
	AuthTime            time.Time
	AMR                 []string
	GrantID             string
	CreatedAt           time.Time
	ExpiresAt           time.Time
	UsedAt              time.Time
}

// AuthCodeStore keeps authorization codes.
type AuthCodeStore interface {
	// CreateAuthCode stores a code. Returns ErrConflict if the hash exists.
	CreateAuthCode(ctx context.Context, c *AuthCode) error
	// GetAuthCode returns the code with the given hash as stored, used or
	// expired or not, so the token endpoint can check who presents it
	// before it consumes it (a stranger's attempt must change nothing).
	// Returns ErrNotFound.
	GetAuthCode(ctx context.Context, hash []byte) (*AuthCode, error)
	// ConsumeAuthCode marks the code used at now, atomically: exactly one
	// of many concurrent callers gets it. Later callers get ErrConsumed
	// together with the code (so its tokens can be revoked, RFC 6749
	// §4.1.2). Returns ErrNotFound, or ErrExpired with the code.
	ConsumeAuthCode(ctx context.Context, hash []byte, now time.Time) (*AuthCode, error)
}
