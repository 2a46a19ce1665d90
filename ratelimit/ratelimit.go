// Package ratelimit protects keypad's guessable inputs, above all the
// device flow's user code (RFC 8628 §5.1), against brute force.
//
// A user code has about 34 bits (8 of 20 letters), so what keeps a
// guesser out is not the code but the number of guesses they get while a
// code lives. Three limits apply to code entry, each a fixed-window counter
// kept in the Store so that they hold across keypad instances:
//
//   - per browser session: a person who mistypes gets a few tries;
//   - per client IP (IPv6 counted per /64): a script on one address gets
//     few more;
//   - globally: when wrong codes from everyone together exceed a rate, the
//     guard trips and every code entry is refused for a cool-down. That
//     caps what a botnet gains, however many addresses it has.
//
// Only wrong codes are charged: a correct code costs nothing and resets
// nothing, so a guesser cannot buy new tries with a code of their own.
// Limits are checked before a lookup and charged after it; requests that
// race past a check can overshoot a limit by the number in flight, which
// the in-memory per-IP token bucket (Buckets) keeps small.
//
// Sign-in uses the same machinery (login.go): password attempts are
// charged per username (known or not, so the lock does not reveal who has
// an account), per IP and to a global guard, before the password is
// checked; a success takes its charges back. A browser holding a device
// cookie for the username is charged to that cookie alone, so a lock an
// attacker causes does not stop the person.
//
// docs/security.md works out the guessing odds these defaults give.
//
// Ownership: the counters of code entry and sign-in are this package's
// state, kept through the Store's security counters; the pages only ask
// whether an attempt may go ahead. The protocol's own counters (OTP sends
// and tries, assertion replays) are oauth's, in the same Store.
package ratelimit

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/keypadauth/keypad"
)

// Limit is a fixed-window limit: at most Max events per Window.
type Limit struct {
	Max    int64
	Window time.Duration
}

func (l Limit) validate(name string, minWindow time.Duration) error {
	if l.Max < 1 {
		return fmt.Errorf("ratelimit: %s: max must be at least 1, got %d", name, l.Max)
	}
	if l.Window < minWindow {
		return fmt.Errorf("ratelimit: %s: window must be at least %s, got %s", name, minWindow, l.Window)
	}
	return nil
}

// Config holds the limits. DefaultConfig gives the values docs/security.md
// reasons about; Validate keeps changes within safe bounds.
type Config struct {
	// CodePerSession limits wrong user codes per browser session.
	CodePerSession Limit
	// CodePerIP limits wrong user codes per client IP (IPv6: per /64).
	CodePerIP Limit
	// CodeGlobal is the failure rate, across everyone, that trips the
	// global guard.
	CodeGlobal Limit
	// GlobalCooldown is how long every code entry is refused once the
	// code guard has tripped, and every sign-in without a device cookie
	// once the login guard has.
	GlobalCooldown time.Duration
	// LoginPerUser limits failed sign-ins per username; at the limit the
	// username is locked for the rest of the window, except for browsers
	// holding a device cookie for it (LoginPerDevice).
	LoginPerUser Limit
	// LoginPerIP limits failed sign-ins per client IP (IPv6: per /64),
	// across all usernames, so one address cannot spray guesses over
	// every account.
	LoginPerIP Limit
	// LoginPerDevice limits failed sign-ins from one device cookie. A
	// browser where the person signed in before is counted here instead
	// of per username, per IP and by the global guard, so an attacker
	// who locks a username does not lock its owner out.
	LoginPerDevice Limit
	// LoginGlobal is the failed sign-in rate, across everyone, that
	// trips the login guard (GlobalCooldown).
	LoginGlobal Limit
}

// DefaultConfig returns keypad's default limits.
func DefaultConfig() Config {
	return Config{
		CodePerSession: Limit{Max: 5, Window: 15 * time.Minute},
		CodePerIP:      Limit{Max: 20, Window: time.Hour},
		CodeGlobal:     Limit{Max: 100, Window: time.Minute},
		GlobalCooldown: 2 * time.Minute,
		LoginPerUser:   Limit{Max: 10, Window: 15 * time.Minute},
		LoginPerIP:     Limit{Max: 30, Window: time.Hour},
		LoginPerDevice: Limit{Max: 10, Window: 15 * time.Minute},
		LoginGlobal:    Limit{Max: 300, Window: time.Minute},
	}
}

// Validate reports a limit that is missing or so loose it protects nothing.
func (c Config) Validate() error {
	for _, v := range []struct {
		name string
		l    Limit
		max  int64
	}{
		{"code_per_session", c.CodePerSession, 100},
		{"code_per_ip", c.CodePerIP, 10000},
		{"code_global", c.CodeGlobal, 1000000},
		{"login_per_user", c.LoginPerUser, 1000},
		{"login_per_ip", c.LoginPerIP, 10000},
		{"login_per_device", c.LoginPerDevice, 1000},
		{"login_global", c.LoginGlobal, 1000000},
	} {
		if err := v.l.validate(v.name, time.Second); err != nil {
			return err
		}
		if v.l.Max > v.max {
			return fmt.Errorf("ratelimit: %s: max %d is above the safe bound %d", v.name, v.l.Max, v.max)
		}
	}
	if c.GlobalCooldown < time.Second {
		return fmt.Errorf("ratelimit: global_cooldown must be at least 1s, got %s", c.GlobalCooldown)
	}
	return nil
}

// Scope names which limit refused a request.
type Scope string

// Scopes of Error.
const (
	ScopeSession Scope = "session"
	ScopeIP      Scope = "ip"
	ScopeGlobal  Scope = "global"
	ScopeUser    Scope = "user"
	ScopeDevice  Scope = "device"
)

// Error is returned when a limit refuses a request. RetryAfter is an upper
// bound: the store does not tell when a window began, so it is the whole
// window (or cool-down), after which the request surely goes through.
type Error struct {
	Scope      Scope
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	return fmt.Sprintf("rate limited (%s): retry after %s", e.Scope, e.RetryAfter)
}

// IsLimited returns the *Error inside err, if there is one.
func IsLimited(err error) (*Error, bool) {
	var le *Error
	ok := errors.As(err, &le)
	return le, ok
}

// Counter keys. They name no secret: sessions appear by the hash the store
// already keys them by, usernames by their hash.
const (
	keyCodeSession = "code:session:"
	keyCodeIP      = "code:ip:"
	keyCodeGlobal  = "code:global"
	keyCodeGuard   = "code:guard"
	keyLoginUser   = "login:user:"
	keyLoginIP     = "login:ip:"
	keyLoginDevice = "login:device:"
	keyLoginGlobal = "login:global"
	keyLoginGuard  = "login:guard"
)

// Limiter applies Config against the counters in a keypad.CounterStore.
type Limiter struct {
	store keypad.CounterStore
	cfg   Config
	now   func() time.Time
}

// New returns a Limiter. now is the clock (time.Now when nil).
func New(store keypad.CounterStore, cfg Config, now func() time.Time) (*Limiter, error) {
	if store == nil {
		return nil, errors.New("ratelimit: a counter store is required")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	return &Limiter{store: store, cfg: cfg, now: now}, nil
}

// Config returns the limits in force.
func (l *Limiter) Config() Config { return l.cfg }

// SessionKey turns a session's store hash into the counter's subject.
func SessionKey(sessionHash []byte) string { return hex.EncodeToString(sessionHash) }

// CodeAttempt is one code entry, charged to its session and its IP
// before the code is looked at. The caller ends it with Failed (a wrong
// code: the charges stand) or Refund (not a guess: a right code, or one
// so malformed it cannot match anything).
type CodeAttempt struct {
	l       *Limiter
	charges []charge
	now     time.Time
}

// charge is one counter an attempt hit, with the window it hit it in.
type charge struct {
	key    string
	window time.Duration
}

// ChargeCode charges a code entry to the session and the IP and lets it
// be looked up, or refuses it with an *Error naming the limit (or a store
// error). session is SessionKey of the browser session, ip the client
// address (ClientIP). Charging first is what makes the limits exact:
// concurrent entries each get a distinct count from the store, so no more
// than a limit's Max of them are ever looked up, however many race; a
// refused entry takes its charges back, so waiting out a limit ends it.
func (l *Limiter) ChargeCode(ctx context.Context, session, ip string) (*CodeAttempt, error) {
	now := l.now()
	guard, err := l.store.Count(ctx, keyCodeGuard, now)
	if err != nil {
		return nil, fmt.Errorf("ratelimit: read global guard: %w", err)
	}
	if guard > 0 {
		return nil, &Error{Scope: ScopeGlobal, RetryAfter: l.cfg.GlobalCooldown}
	}
	a := &CodeAttempt{l: l, now: now}
	charges := []struct {
		key   string
		limit Limit
		scope Scope
	}{
		{keyCodeSession + session, l.cfg.CodePerSession, ScopeSession},
		{keyCodeIP + IPKey(ip), l.cfg.CodePerIP, ScopeIP},
	}
	for _, c := range charges {
		n, err := l.store.Hit(ctx, c.key, c.limit.Window, now)
		if err != nil {
			return nil, errors.Join(fmt.Errorf("ratelimit: charge %s: %w", c.scope, err), a.Refund(ctx))
		}
		a.charges = append(a.charges, charge{c.key, c.limit.Window})
		if n > c.limit.Max {
			if err := a.Refund(ctx); err != nil {
				return nil, err
			}
			return nil, &Error{Scope: c.scope, RetryAfter: c.limit.Window}
		}
	}
	return a, nil
}

// Refund takes the attempt's charges back: it was not a guess.
func (a *CodeAttempt) Refund(ctx context.Context) error {
	ctx = context.WithoutCancel(ctx)
	for _, c := range a.charges {
		if err := a.l.store.Unhit(ctx, c.key, c.window, a.now); err != nil {
			return fmt.Errorf("ratelimit: take back a code charge: %w", err)
		}
	}
	a.charges = nil
	return nil
}

// Failed records a wrong code: its charges to the session and the IP
// stand, it counts towards the global failure rate, and it trips the
// global guard when that rate reaches its limit.
func (a *CodeAttempt) Failed(ctx context.Context) error {
	l := a.l
	n, err := l.store.Hit(ctx, keyCodeGlobal, l.cfg.CodeGlobal.Window, a.now)
	if err != nil {
		return fmt.Errorf("ratelimit: charge global: %w", err)
	}
	if n >= l.cfg.CodeGlobal.Max {
		// The guard is a counter whose window is the cool-down: while it
		// is non-zero every entry is refused. Hitting it again while it
		// runs does not lengthen it (fixed window).
		if _, err := l.store.Hit(ctx, keyCodeGuard, l.cfg.GlobalCooldown, a.now); err != nil {
			return fmt.Errorf("ratelimit: trip global guard: %w", err)
		}
	}
	return nil
}

// GuardTripped reports whether the global guard currently refuses code
// entry (for health pages and tests).
func (l *Limiter) GuardTripped(ctx context.Context) (bool, error) {
	n, err := l.store.Count(ctx, keyCodeGuard, l.now())
	return n > 0, err
}

// Counter keys, exported for tests and operators who want to inspect or
// clear a counter with the store's tools.

// CodeSessionCounter is the counter key of a session's wrong codes.
func CodeSessionCounter(session string) string { return keyCodeSession + session }

// CodeIPCounter is the counter key of an IP's wrong codes.
func CodeIPCounter(ip string) string { return keyCodeIP + IPKey(ip) }

// CodeGlobalCounter is the counter key of everyone's wrong codes.
const CodeGlobalCounter = keyCodeGlobal

// CodeGuardCounter is the counter key of the global guard.
const CodeGuardCounter = keyCodeGuard
