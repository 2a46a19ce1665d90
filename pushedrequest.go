package keypad

import (
	"context"
	"time"
)

// PushedRequest is an authorization request a client pushed (RFC 9126):
// its parameters wait, under the hash of the request_uri keypad handed
// back, until the browser arrives at the authorization endpoint with that
// request_uri, once.
type PushedRequest struct {
	// Hash is SecretHash of the request_uri: the record's key.
	Hash     []byte
	ClientID string
	// Params are the authorization request's parameters, form-encoded,
	// without the client's credentials.
	Params    string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero: not used yet
}

// PushedRequestStore keeps pushed authorization requests.
type PushedRequestStore interface {
	// CreatePushedRequest stores a pushed request. Returns ErrConflict if
	// the hash exists.
	CreatePushedRequest(ctx context.Context, p *PushedRequest) error
	// ConsumePushedRequest marks an unused, live pushed request used at
	// now, atomically: of many concurrent callers exactly one gets it,
	// the others ErrConsumed. Returns ErrNotFound or ErrExpired when it
	// cannot be used.
	ConsumePushedRequest(ctx context.Context, hash []byte, now time.Time) (*PushedRequest, error)
}
