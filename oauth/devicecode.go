package oauth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/keypadauth/keypad"
)

// The answers of a poll that yields no token. The device code itself is
// never named: a description says what happened and what to do.
var (
	errDeviceCodeInvalid = InvalidGrant("the device_code is not valid; start again at the device authorization endpoint")
	errDeviceCodeUsed    = InvalidGrant("the device_code was already exchanged for tokens; start again at the device authorization endpoint")
	errDeviceExpired     = NewError(CodeExpiredToken, "the device_code expired before the person approved it; start again at the device authorization endpoint")
	errDeviceDenied      = AccessDenied("the person denied the request")
	errDevicePending     = NewError(CodeAuthorizationPending, "the person has not answered yet; poll again after the interval")
	errGrantRevoked      = AccessDenied("the person withdrew the approval; start again at the device authorization endpoint")
)

// grant is the device access token request (RFC 8628 §3.4, §3.5). One
// UpdateDeviceAuthorization both reads the authorization and records the
// poll, so the verdict and its bookkeeping (the poll time, a longer
// interval after slow_down, consumption after approval) are one atomic
// step: of any number of concurrent polls of an approved code exactly one
// finds it approved and takes the tokens. A resource parameter (RFC 8707
// §2) is checked before the poll counts: see deviceAudience.
func (f *deviceFlow) grant(ctx context.Context, req *TokenRequest) (*TokenResponse, error) {
	code := req.Form.Get("device_code")
	if code == "" {
		return nil, InvalidRequest("device_code is missing")
	}
	direct, err := f.s.directAudience(req.Form)
	if err != nil {
		return nil, err
	}
	f.s.metrics.Event("device", "poll")
	now := f.s.now()
	var verdict error
	var aud []string
	d, err := f.store.UpdateDeviceAuthorization(ctx, keypad.SecretHash(code), func(d *keypad.DeviceAuthorization) error {
		// fn may run again when the store retries a transaction, so it
		// starts from nothing every time.
		verdict, aud = nil, nil
		switch {
		case d.ClientID != req.Client.ID:
			// Another client's code: as good as unknown, and the
			// record is left untouched.
			return errDeviceCodeInvalid
		case d.Status == keypad.DeviceConsumed:
			return errDeviceCodeUsed
		case !now.Before(d.ExpiresAt):
			return errDeviceExpired
		}
		// A resource not granted changes nothing: the poll does not
		// count and an approved code stays to be redeemed.
		var err error
		if aud, err = deviceAudience(d, req.Form.Get("resource"), direct); err != nil {
			return err
		}
		verdict = f.poll(d, now)
		return nil
	})
	switch {
	case errors.Is(err, keypad.ErrNotFound):
		return nil, errDeviceCodeInvalid
	case errors.Is(err, errDeviceExpired):
		f.s.metrics.Event("device", "expired")
		return nil, err
	case err != nil:
		return nil, err
	case errors.Is(verdict, errSlowDown):
		f.s.metrics.Event("device", "slow_down")
		return nil, slowDown(d.Interval)
	case verdict != nil:
		return nil, verdict
	}
	return f.issue(ctx, req.Client, d, aud)
}

// deviceAudience is the access token's aud for a device authorization
// and the token request's resource r (already checked by resourceParam;
// direct is directAudience's answer for it). When the device
// authorization named resources, RFC 8707 §2.2 applies as to a code: r
// may pick one of them (else invalid_target), and without r they all
// are the aud. When it named none, r alone is the aud, as in a grant
// with no earlier authorization.
func deviceAudience(d *keypad.DeviceAuthorization, r string, direct []string) ([]string, error) {
	switch {
	case len(d.Resources) == 0:
		return direct, nil
	case r == "":
		return d.Resources, nil
	case slices.Contains(d.Resources, r):
		return []string{r}, nil
	}
	return nil, NewError(CodeInvalidTarget, "resource '%s' was not part of the device authorization request; name it there, or leave resource out here", r)
}

// errSlowDown marks a poll that came too early; slowDown builds the wire
// error with the code's new interval.
var errSlowDown = errors.New("slow down")

func slowDown(interval time.Duration) *Error {
	e := NewError(CodeSlowDown, "polling too fast: wait at least %d seconds between requests (RFC 8628 section 3.5)", int64(interval/time.Second))
	e.RetryAfter = interval
	e.Err = errSlowDown
	return e
}

// poll records a poll at now on a live, unconsumed authorization and
// returns its verdict: nil when it was approved (it is now consumed), or
// the error to answer. Only a pending code is rate-checked: slow_down is a
// variant of authorization_pending (RFC 8628 §3.5), and an approved or
// denied code has its final answer ready.
func (f *deviceFlow) poll(d *keypad.DeviceAuthorization, now time.Time) error {
	early := !d.LastPolledAt.IsZero() && now.Before(d.LastPolledAt.Add(d.Interval))
	d.LastPolledAt = now
	switch d.Status {
	case keypad.DeviceApproved:
		d.Status = keypad.DeviceConsumed
		return nil
	case keypad.DeviceDenied:
		return errDeviceDenied
	case keypad.DevicePending:
		if early {
			d.Interval += f.cfg.SlowDownStep
			return errSlowDown
		}
		return errDevicePending
	}
	return fmt.Errorf("device authorization has unknown status %q", d.Status)
}

// issue mints the tokens of a just-consumed authorization: for the person
// who approved, with the scope they approved, linked to their grant so
// "my devices" can revoke this device alone. A refresh token comes along
// when the client may use one, in a new family.
func (f *deviceFlow) issue(ctx context.Context, client *keypad.Client, d *keypad.DeviceAuthorization, aud []string) (*TokenResponse, error) {
	if d.Subject == "" || d.GrantID == "" {
		return nil, fmt.Errorf("approved device authorization of client %s lacks a subject or grant", client.ID)
	}
	g, err := f.store.GetGrant(ctx, d.GrantID)
	if errors.Is(err, keypad.ErrNotFound) || (err == nil && !g.RevokedAt.IsZero()) {
		// Deleted with its person or client, or revoked on "my devices":
		// either way the approval was withdrawn.
		return nil, errGrantRevoked
	}
	if err != nil {
		return nil, fmt.Errorf("device authorization: grant %s: %w", d.GrantID, err)
	}
	return f.s.issue(ctx, keypad.GrantDeviceCode, Issue{
		Client:   client,
		Subject:  d.Subject,
		Scopes:   d.Scopes,
		Audience: aud,
		Grant:    g,
		Refresh:  client.AllowsGrant(keypad.GrantRefreshToken),
	})
}
