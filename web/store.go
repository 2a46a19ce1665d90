package web

import (
	"context"

	"github.com/keypadauth/keypad"
)

// Store is what the pages read from keypad's store, and the two kinds of
// record that are the pages' own: browser sessions (keypad.SessionStore)
// and audit events (keypad.AuditStore). Flow state (device requests,
// grants, subjects, tokens) is read here and never written: the pages
// change it through Flows, which package oauth implements. store_test.go
// holds that line.
type Store interface {
	GetClient(ctx context.Context, id string) (*keypad.Client, error)
	GetScope(ctx context.Context, name string) (*keypad.Scope, error)
	GetSubject(ctx context.Context, id string) (*keypad.Subject, error)
	GetDeviceAuthorization(ctx context.Context, deviceCodeHash []byte) (*keypad.DeviceAuthorization, error)
	GetDeviceAuthorizationByUserCode(ctx context.Context, userCodeHash []byte) (*keypad.DeviceAuthorization, error)
	GetGrant(ctx context.Context, id string) (*keypad.Grant, error)
	ListGrants(ctx context.Context, subject, clientID string) ([]*keypad.Grant, error)

	keypad.SessionStore
	keypad.AuditStore
}

// Flows is what a person does to flow state from the pages: answer a
// device request, sign in with a password, revoke a grant. oauth owns
// that state; *oauth.Actions implements Flows.
type Flows interface {
	// ApproveDevice creates subject's grant for the pending device
	// request and marks the request approved; oauth.ErrDeviceNotPending
	// when it was answered or expired meanwhile.
	ApproveDevice(ctx context.Context, deviceCodeHash []byte, subject string) (*keypad.Grant, error)
	// DenyDevice marks the pending device request denied;
	// oauth.ErrDeviceNotPending as above.
	DenyDevice(ctx context.Context, deviceCodeHash []byte) error
	// CheckPassword returns the username's subject (nil when there is
	// none) and whether pw is its password, in the same time either way.
	CheckPassword(ctx context.Context, username, pw string) (*keypad.Subject, bool, error)
	// RevokeGrant revokes one of subject's grants; oauth.ErrNoSuchGrant
	// when there is no such grant or it is someone else's.
	RevokeGrant(ctx context.Context, subject, grantID string) (*keypad.Grant, error)
}
