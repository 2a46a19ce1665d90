package ratelimit

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/keypadauth/keypad"
)

// LoginAttempt says who tries a password, as far as the limits care.
type LoginAttempt struct {
	// Username as typed; counted case- and space-insensitively.
	Username string
	// IP is the client address (ClientIP); IPv6 is counted per /64.
	IP string
	// Device identifies a valid device cookie issued to this username
	// after an earlier successful sign-in in this browser, or is empty.
	// The caller checks the cookie's signature and that it names
	// Username; the limiter only counts. With a device the attempt is
	// charged to LoginPerDevice alone: neither the username's lock, nor
	// the address's, nor the global guard stops a person on a device
	// where they signed in before (OWASP's "device cookie" design).
	Device string
}

// LoginCharge is one password attempt, charged before the password is
// looked at. The caller ends it with Failed (a wrong password: the
// charges stand) or Succeeded (its charges are taken back).
type LoginCharge struct {
	l       *Limiter
	charges []charge
	final   bool
	a       LoginAttempt
	now     time.Time
}

// ChargeLogin charges a password attempt to its username and IP (or, with
// a device cookie, to that device) and lets it go on to the password
// check, or refuses it with an *Error naming the limit (ScopeUser,
// ScopeIP, ScopeDevice or ScopeGlobal), or a store error.
//
// Charging first is what makes the limits exact: concurrent attempts each
// get a distinct count from the store, so no more than a limit's Max of
// them ever reach the (costly, argon2id) password check, however many
// race, on one instance or several. A refused attempt takes its charges
// back, so waiting out the window always ends a block.
func (l *Limiter) ChargeLogin(ctx context.Context, a LoginAttempt) (*LoginCharge, error) {
	now := l.now()
	type plan struct {
		key   string
		limit Limit
		scope Scope
	}
	var plans []plan
	if a.Device != "" {
		plans = []plan{{DeviceCounter(a.Device), l.cfg.LoginPerDevice, ScopeDevice}}
	} else {
		guard, err := l.store.Count(ctx, keyLoginGuard, now)
		if err != nil {
			return nil, fmt.Errorf("ratelimit: read login guard: %w", err)
		}
		if guard > 0 {
			return nil, &Error{Scope: ScopeGlobal, RetryAfter: l.cfg.GlobalCooldown}
		}
		plans = []plan{
			{LoginCounter(a.Username), l.cfg.LoginPerUser, ScopeUser},
			{LoginIPCounter(a.IP), l.cfg.LoginPerIP, ScopeIP},
		}
	}
	c := &LoginCharge{l: l, a: a, now: now}
	for _, p := range plans {
		n, err := l.store.Hit(ctx, p.key, p.limit.Window, now)
		if err != nil {
			return nil, errors.Join(fmt.Errorf("ratelimit: charge login %s: %w", p.scope, err), c.refund(ctx))
		}
		c.charges = append(c.charges, charge{p.key, p.limit.Window})
		if n > p.limit.Max {
			if err := c.refund(ctx); err != nil {
				return nil, err
			}
			return nil, &Error{Scope: p.scope, RetryAfter: p.limit.Window}
		}
		if n == p.limit.Max && (p.scope == ScopeUser || p.scope == ScopeDevice) {
			c.final = true
		}
	}
	return c, nil
}

// Final reports that this attempt used the username's (or the device's)
// last allowance in its window: a wrong password now locks it, and the
// page should say so rather than invite another try.
func (c *LoginCharge) Final() bool { return c.final }

// Failed records a wrong password: the charges stand, and the failure
// counts towards the global rate, tripping the login guard when that rate
// reaches LoginGlobal.Max.
func (c *LoginCharge) Failed(ctx context.Context) error {
	l := c.l
	now := c.now
	n, err := l.store.Hit(ctx, keyLoginGlobal, l.cfg.LoginGlobal.Window, now)
	if err != nil {
		return fmt.Errorf("ratelimit: charge login global: %w", err)
	}
	if n >= l.cfg.LoginGlobal.Max {
		if _, err := l.store.Hit(ctx, keyLoginGuard, l.cfg.GlobalCooldown, now); err != nil {
			return fmt.Errorf("ratelimit: trip login guard: %w", err)
		}
	}
	return nil
}

// Succeeded takes the attempt's charges back: a right password is not a
// guess. Earlier failures in the window stand, so a person signing in
// does not hand a guesser a fresh allowance.
func (c *LoginCharge) Succeeded(ctx context.Context) error { return c.refund(ctx) }

func (c *LoginCharge) refund(ctx context.Context) error {
	ctx = context.WithoutCancel(ctx)
	for _, ch := range c.charges {
		if err := c.l.store.Unhit(ctx, ch.key, ch.window, c.now); err != nil {
			return fmt.Errorf("ratelimit: take back a login charge: %w", err)
		}
	}
	c.charges = nil
	return nil
}

// LoginGuardTripped reports whether the login guard currently refuses
// sign-ins without a device cookie (for health pages and tests).
func (l *Limiter) LoginGuardTripped(ctx context.Context) (bool, error) {
	n, err := l.store.Count(ctx, keyLoginGuard, l.now())
	return n > 0, err
}

// LoginCounter is the counter key of a username's failed sign-ins. The
// username appears by its hash.
func LoginCounter(username string) string {
	return keyLoginUser + hex.EncodeToString(keypad.SecretHash(strings.ToLower(strings.TrimSpace(username))))
}

// LoginIPCounter is the counter key of an address's failed sign-ins.
func LoginIPCounter(ip string) string { return keyLoginIP + IPKey(ip) }

// DeviceCounter is the counter key of a device cookie's failed sign-ins.
// The device id appears by its hash.
func DeviceCounter(device string) string {
	return keyLoginDevice + hex.EncodeToString(keypad.SecretHash(device))
}

// LoginGlobalCounter is the counter key of everyone's failed sign-ins.
const LoginGlobalCounter = keyLoginGlobal

// LoginGuardCounter is the counter key of the login guard.
const LoginGuardCounter = keyLoginGuard
