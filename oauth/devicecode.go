package oauth

import (
	"cmp"
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

// grant is the device access token request (RFC 8628 §3.4, §3.5).
//
// Most polls of a fleet find their code pending, and many come early;
// they are answered without a write (see quickPoll), so they do not queue
// on SQLite's one writer. Every poll that changes something — an approved
// code consumed, a longer interval after slow_down — goes through one
// UpdateDeviceAuthorization, which both reads the authorization and
// records the poll, so the verdict and its bookkeeping are one atomic
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
	hash := keypad.SecretHash(code)
	mem, memEarly := f.polls.early(hash, req.Client.ID, now)
	if req.Form.Get("resource") == "" {
		if verdict, done, err := f.quickPoll(ctx, req, hash, mem, memEarly, now); done || err != nil {
			return nil, cmp.Or(err, verdict)
		}
	}
	var verdict error
	var aud []string
	d, err := f.store.UpdateDeviceAuthorization(ctx, hash, func(d *keypad.DeviceAuthorization) error {
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
		verdict = f.poll(d, now, memEarly)
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
	}
	if d.Status == keypad.DevicePending {
		f.polls.admitted(hash, pollEntry{at: now, expires: d.ExpiresAt, interval: d.Interval, clientID: d.ClientID})
	} else {
		f.polls.forget(hash)
	}
	switch {
	case errors.Is(verdict, errSlowDown):
		f.s.metrics.Event("device", "slow_down")
		return nil, slowDown(d.Interval)
	case verdict != nil:
		return nil, verdict
	}
	return f.issue(ctx, req.Client, d, aud)
}

// quickPoll answers a poll of a pending code that changes nothing in the
// store: done is false when the poll must go through the store's
// read-modify-write instead (the code is approved, denied, consumed,
// expired, another client's or unknown, or a slow_down must lengthen its
// interval). mem and memEarly are what this instance remembers of the
// code (pollMemory).
//
//   - Early by this instance's memory, with the interval already at its
//     cap: slow_down, from memory alone. An approval made meanwhile
//     reaches the device at its next on-time poll, at most one capped
//     interval later.
//   - Otherwise one read. Pending and on time: authorization_pending,
//     and the poll time is remembered here, not written. Pending, early
//     and at the cap: slow_down.
func (f *deviceFlow) quickPoll(ctx context.Context, req *TokenRequest, hash []byte, mem pollEntry, memEarly bool, now time.Time) (verdict error, done bool, err error) {
	if memEarly && f.nextInterval(mem.interval, mem.expires, now) == mem.interval {
		f.s.metrics.Event("device", "slow_down")
		return slowDown(mem.interval), true, nil
	}
	d, err := f.store.GetDeviceAuthorization(ctx, hash)
	if errors.Is(err, keypad.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("device poll: %w", err)
	}
	if d.Status != keypad.DevicePending || d.ClientID != req.Client.ID || !now.Before(d.ExpiresAt) {
		return nil, false, nil
	}
	early := memEarly || (!d.LastPolledAt.IsZero() && now.Before(d.LastPolledAt.Add(d.Interval)))
	switch {
	case !early:
		f.polls.admitted(hash, pollEntry{at: now, expires: d.ExpiresAt, interval: d.Interval, clientID: d.ClientID})
		return errDevicePending, true, nil
	case f.nextInterval(d.Interval, d.ExpiresAt, now) == d.Interval:
		if !memEarly {
			// Learn the stored poll time, so the next early polls are
			// answered from memory: no stricter than the store, and
			// no laxer.
			f.polls.admitted(hash, pollEntry{at: d.LastPolledAt, expires: d.ExpiresAt, interval: d.Interval, clientID: d.ClientID})
		}
		f.s.metrics.Event("device", "slow_down")
		return slowDown(d.Interval), true, nil
	}
	return nil, false, nil
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
// denied code has its final answer ready. memEarly says this instance
// saw the code polled within its interval (pollMemory): on-time polls are
// not written, so the stored poll time alone may be older.
func (f *deviceFlow) poll(d *keypad.DeviceAuthorization, now time.Time, memEarly bool) error {
	early := memEarly || (!d.LastPolledAt.IsZero() && now.Before(d.LastPolledAt.Add(d.Interval)))
	d.LastPolledAt = now
	switch d.Status {
	case keypad.DeviceApproved:
		d.Status = keypad.DeviceConsumed
		return nil
	case keypad.DeviceDenied:
		return errDeviceDenied
	case keypad.DevicePending:
		if early {
			d.Interval = f.nextInterval(d.Interval, d.ExpiresAt, now)
			return errSlowDown
		}
		return errDevicePending
	}
	return fmt.Errorf("device authorization has unknown status %q", d.Status)
}

// nextInterval is a code's interval after a slow_down at now: RFC 8628
// §3.5's step added, capped at a minute (DeviceBounds' longest interval)
// and at the code's remaining lifetime in whole seconds, since telling a
// device to wait past the code's expiry helps no one; never shorter than
// interval, which a device may already be keeping.
func (f *deviceFlow) nextInterval(interval time.Duration, expires, now time.Time) time.Duration {
	limit := min(DeviceBounds().Interval.Max, expires.Sub(now).Truncate(time.Second))
	return max(interval, min(interval+f.cfg.SlowDownStep, limit))
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
