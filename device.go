package keypad

import (
	"context"
	"time"
)

// DeviceStatus is where a device authorization stands (RFC 8628).
type DeviceStatus string

const (
	DevicePending  DeviceStatus = "pending"  // waiting for the person
	DeviceApproved DeviceStatus = "approved" // approved, tokens not yet collected
	DeviceDenied   DeviceStatus = "denied"   // the person said no
	DeviceConsumed DeviceStatus = "consumed" // tokens were issued, once
)

// DeviceAuthorization is one run of the device flow (RFC 8628 §3.1): the
// device holds the device_code, the person types the user_code. Neither
// is stored in clear; both are kept as SecretHash values.
type DeviceAuthorization struct {
	DeviceCodeHash []byte
	// UserCodeHash is SecretHash of the normalised user code (upper case,
	// no separators).
	UserCodeHash []byte
	ClientID     string
	Scopes       []string
	// Resources are the RFC 8707 resource indicators named at device
	// authorization, as AuthCode.Audience: the token request may pick one
	// of them, and without one they are all the access token's aud.
	Resources []string
	Status    DeviceStatus
	// Subject and GrantID are set when the person approves.
	Subject string
	GrantID string
	// Interval is the current minimum polling interval; every slow_down
	// adds to it (RFC 8628 §3.5).
	Interval time.Duration
	// LastPolledAt is the last poll that changed the record (a slow_down
	// or the redemption); on-time polls of a pending code are kept in
	// the instance's memory, not here (docs/performance.md).
	LastPolledAt time.Time
	CreatedAt    time.Time
	ExpiresAt    time.Time
}

// DeviceStore keeps device authorizations.
type DeviceStore interface {
	// CreateDeviceAuthorization stores a new authorization. Returns
	// ErrConflict if the device code hash or the user code hash is taken
	// (the caller draws a new user code and tries again).
	CreateDeviceAuthorization(ctx context.Context, d *DeviceAuthorization) error
	// GetDeviceAuthorization returns an authorization by device code hash,
	// or ErrNotFound.
	GetDeviceAuthorization(ctx context.Context, deviceCodeHash []byte) (*DeviceAuthorization, error)
	// GetDeviceAuthorizationByUserCode returns an authorization by user
	// code hash, or ErrNotFound.
	GetDeviceAuthorizationByUserCode(ctx context.Context, userCodeHash []byte) (*DeviceAuthorization, error)
	// UpdateDeviceAuthorization reads the authorization, calls fn on it and
	// writes the result, atomically: concurrent updates of one record are
	// serialised, on one instance or many. If fn returns an error nothing
	// is written and that error is returned. Returns ErrNotFound if the
	// record does not exist.
	UpdateDeviceAuthorization(ctx context.Context, deviceCodeHash []byte, fn func(*DeviceAuthorization) error) (*DeviceAuthorization, error)
}
