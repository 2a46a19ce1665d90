package oauth

import (
	"context"
	"errors"
	"fmt"

	"github.com/keypadauth/keypad"
)

// ErrDeviceNotPending answers an approval or denial of a device request
// that was answered, expired or deleted meanwhile: nothing was changed,
// and the person should start again on the device.
var ErrDeviceNotPending = errors.New("oauth: device request is no longer pending")

// ApproveDevice records that subject approved the device request under
// deviceCodeHash (RFC 8628 §3.3): it creates the grant the device's
// tokens will hang off ("my devices"), then marks the request approved in
// one conditional update, which fails if the request expired or was
// answered meanwhile; then the grant is revoked again, so no grant exists
// without its approval. The device's next poll (devicecode.go) consumes
// the approval and takes the tokens. It returns the new grant, or
// ErrDeviceNotPending.
func (a *Actions) ApproveDevice(ctx context.Context, deviceCodeHash []byte, subject string) (*keypad.Grant, error) {
	if subject == "" {
		return nil, errors.New("approve device: no subject")
	}
	now := a.now()
	// The grant takes the request's client and scopes; the update below
	// checks the request is still pending before it names the grant.
	pending, err := a.store.GetDeviceAuthorization(ctx, deviceCodeHash)
	if err != nil {
		return nil, pendingErr(err)
	}
	if pending.Status != keypad.DevicePending || !now.Before(pending.ExpiresAt) {
		return nil, ErrDeviceNotPending
	}
	g, err := newGrant(a.rand, "", keypad.GrantDeviceCode, subject, pending.ClientID, pending.Scopes, now)
	if err != nil {
		return nil, fmt.Errorf("approve device: %w", err)
	}
	if err := a.store.CreateGrant(ctx, g); err != nil {
		return nil, fmt.Errorf("approve device: create grant: %w", err)
	}
	_, err = a.store.UpdateDeviceAuthorization(ctx, deviceCodeHash, func(d *keypad.DeviceAuthorization) error {
		if d.Status != keypad.DevicePending || !now.Before(d.ExpiresAt) || d.ClientID != g.ClientID {
			return ErrDeviceNotPending
		}
		d.Status, d.Subject, d.GrantID = keypad.DeviceApproved, subject, g.ID
		return nil
	})
	if err != nil {
		if rerr := a.store.RevokeGrant(ctx, g.ID, now); rerr != nil {
			a.log.ErrorContext(ctx, "oauth: revoke unused device grant", "grant", g.ID, "err", rerr)
		}
		return nil, pendingErr(err)
	}
	return g, nil
}

// DenyDevice records that the person denied the device request under
// deviceCodeHash; the device's next poll answers access_denied (RFC 8628
// §3.5). It returns ErrDeviceNotPending when the request was answered or
// expired meanwhile.
func (a *Actions) DenyDevice(ctx context.Context, deviceCodeHash []byte) error {
	now := a.now()
	_, err := a.store.UpdateDeviceAuthorization(ctx, deviceCodeHash, func(d *keypad.DeviceAuthorization) error {
		if d.Status != keypad.DevicePending || !now.Before(d.ExpiresAt) {
			return ErrDeviceNotPending
		}
		d.Status = keypad.DeviceDenied
		return nil
	})
	return pendingErr(err)
}

// pendingErr maps the store's not-found (the request was deleted) to
// ErrDeviceNotPending, the one not-found this flow expects, and adds
// context to anything else.
func pendingErr(err error) error {
	switch {
	case err == nil, errors.Is(err, ErrDeviceNotPending):
		return err
	case errors.Is(err, keypad.ErrNotFound):
		return ErrDeviceNotPending
	}
	return fmt.Errorf("answer device request: %w", err)
}
