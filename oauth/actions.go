package oauth

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/keypadauth/keypad"
)

// Actions is what a person does to flow state from the hosted pages:
// approve or deny a device request (deviceapproval.go), check a password
// (password.go), revoke one of their grants (grant.go). oauth owns that
// state, so the pages (package web) call these methods through small
// interfaces of their own, as they call Authorizer and CodeSignIn, and
// never write the store themselves. The token endpoint's flows share the
// same functions (the grant constructor, the password check), so each
// rule is written once.
type Actions struct {
	store actionStore
	now   func() time.Time
	rand  io.Reader
	log   *slog.Logger
}

// actionStore is what Actions reads and writes: device requests, grants,
// and subjects (for the password check and its hash upgrade).
type actionStore interface {
	GetDeviceAuthorization(ctx context.Context, deviceCodeHash []byte) (*keypad.DeviceAuthorization, error)
	UpdateDeviceAuthorization(ctx context.Context, deviceCodeHash []byte, fn func(*keypad.DeviceAuthorization) error) (*keypad.DeviceAuthorization, error)
	CreateGrant(ctx context.Context, g *keypad.Grant) error
	GetGrant(ctx context.Context, id string) (*keypad.Grant, error)
	RevokeGrant(ctx context.Context, id string, now time.Time) error
	passwordCheckStore
}

// ActionsDeps are the collaborators of Actions. Store is required; the
// others default to time.Now, crypto/rand and a discarding logger.
type ActionsDeps struct {
	Store  keypad.Store
	Now    func() time.Time
	Rand   io.Reader
	Logger *slog.Logger
}

// NewActions returns the pages' API over deps.Store.
func NewActions(deps ActionsDeps) (*Actions, error) {
	if deps.Store == nil {
		return nil, errors.New("oauth actions: a store is required")
	}
	a := &Actions{store: deps.Store, now: deps.Now, rand: deps.Rand, log: deps.Logger}
	if a.now == nil {
		a.now = time.Now
	}
	if a.rand == nil {
		a.rand = rand.Reader
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	return a, nil
}

// Actions returns the pages' API sharing s's store, clock, randomness and
// log.
func (s *Server) Actions() *Actions {
	return &Actions{store: s.store, now: s.now, rand: s.rand, log: s.log}
}
