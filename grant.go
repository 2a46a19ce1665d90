package keypad

import (
	"context"
	"time"
)

// Grant is one authorization a person gave one client (or one device of a
// client): the thing "my devices" lists and revokes. Every token issued
// under it carries its ID.
type Grant struct {
	ID       string
	Subject  string
	ClientID string
	Scopes   []string
	// DeviceName is what the person or the device called itself, shown on
	// "my devices" (optional).
	DeviceName string
	// Flow is the grant type that created it (device code, OTP, ...).
	Flow       string
	CreatedAt  time.Time
	LastUsedAt time.Time
	RevokedAt  time.Time // zero: active
}

// GrantStore keeps grants.
type GrantStore interface {
	// CreateGrant stores a grant. Returns ErrConflict if the ID exists.
	CreateGrant(ctx context.Context, g *Grant) error
	// GetGrant returns a grant, or ErrNotFound.
	GetGrant(ctx context.Context, id string) (*Grant, error)
	// ListGrants returns the grants of a subject (or of a client, when
	// subject is empty), newest first, revoked ones included.
	ListGrants(ctx context.Context, subject, clientID string) ([]*Grant, error)
	// TouchGrant records a use of the grant at now.
	TouchGrant(ctx context.Context, id string, now time.Time) error
	// RevokeGrant revokes the grant and every token issued under it, in
	// one transaction. Returns ErrNotFound if it does not exist.
	RevokeGrant(ctx context.Context, id string, now time.Time) error
}
