package keypad

import (
	"context"
	"time"
)

// Session is a browser session on keypad's hosted pages. The cookie holds
// a random kp_ss_ value; the store keeps only its hash.
type Session struct {
	Hash []byte
	// Subject is empty until the person signs in.
	Subject  string
	AuthTime time.Time
	// AMR lists how the person signed in ("pwd", "otp"), for OIDC amr.
	AMR []string
	// Data carries page-flow state between requests (the device request
	// being approved, the authorize request being served, ...). Values
	// must not be secrets.
	Data       map[string]string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

// SessionStore keeps browser sessions.
type SessionStore interface {
	// CreateSession stores a session. Returns ErrConflict if the hash
	// exists.
	CreateSession(ctx context.Context, s *Session) error
	// GetSession returns a session by hash, or ErrNotFound (also when it
	// expired).
	GetSession(ctx context.Context, hash []byte, now time.Time) (*Session, error)
	// UpdateSession atomically applies fn to a stored session, like
	// UpdateDeviceAuthorization.
	UpdateSession(ctx context.Context, hash []byte, fn func(*Session) error) (*Session, error)
	// DeleteSession removes a session; deleting a missing one is not an
	// error.
	DeleteSession(ctx context.Context, hash []byte) error
}
