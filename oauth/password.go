package oauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/password"
	"github.com/keypadauth/keypad/ratelimit"
)

// errPasswordFailed is the one answer for an unknown username, a person
// without a password and a wrong password.
var errPasswordFailed = InvalidGrant("the username or password is wrong")

// passwordLimitText says which limit refused a password attempt.
var passwordLimitText = map[ratelimit.Scope]string{
	ratelimit.ScopeUser:   "too many failed sign-ins for this account; it is locked",
	ratelimit.ScopeIP:     "too many failed sign-ins from this address; it is paused",
	ratelimit.ScopeGlobal: "too many failed sign-ins from many places; sign-in is paused for everyone",
}

// passwordFlow is the resource owner password credentials grant (RFC 6749
// §4.3). RFC 9700 §2.4 says it MUST NOT be used, so keypad keeps it for
// legacy thick clients only: a client gets it when an admin registers it
// with grant type "password", and every attempt counts against the same
// per-username lock as the sign-in page.
type passwordFlow struct {
	s        *Server
	store    passwordStore
	users    passwordCheckStore // what checkPassword reads and upgrades
	limiter  *ratelimit.Limiter
	ipHeader string
}

// PasswordConfig configures the password grant.
type PasswordConfig struct {
	// ClientIPHeader names the header a trusted reverse proxy sets with
	// the client address (see ratelimit.ClientIP); empty uses RemoteAddr.
	ClientIPHeader string
}

// installPasswordGrant serves grant_type=password (Config.Password) for
// the clients registered with it (and refresh_token with it). limiter is
// the one the sign-in page uses (Deps.Limiter), so failures on either
// count together, per username, per client address and globally.
func (s *Server) installPasswordGrant(cfg PasswordConfig, limiter *ratelimit.Limiter) error {
	if limiter == nil {
		return errors.New("password grant: a limiter is required (per-user lockout): set Deps.Limiter")
	}
	f := &passwordFlow{s: s, store: s.store, users: s.store, limiter: limiter, ipHeader: cfg.ClientIPHeader}
	s.registerGrant(keypad.GrantPassword, GrantFunc(f.grant))
	s.installRefresh()
	return nil
}

// grant checks the person's password (RFC 6749 §4.3.2) and issues tokens
// under a new grant, listed on "my devices" like any other. Unknown
// usernames pay for a dummy verification, so timing does not reveal who
// has an account; a locked username is refused before its password is
// looked at. A resource parameter (RFC 8707 §2) becomes the tokens' aud.
func (f *passwordFlow) grant(ctx context.Context, req *TokenRequest) (*TokenResponse, error) {
	s := f.s
	username := strings.TrimSpace(req.Form.Get("username"))
	pw := req.Form.Get("password")
	if username == "" || pw == "" {
		return nil, InvalidRequest("username and password are required")
	}
	// A scope the client may not have costs no password attempt.
	scopes, err := requestableScopes(keypad.ParseScope(req.Form.Get("scope")), req.Client.Scopes)
	if err != nil {
		return nil, err
	}
	// Nor does a bad resource (RFC 8707 §2), which becomes the aud.
	aud, err := s.directAudience(req.Form)
	if err != nil {
		return nil, err
	}
	// Charged before the password is looked at, so racing guesses cannot
	// all slip under a limit; a success takes its charge back. A token
	// request has no device cookie: the grant is for legacy clients an
	// admin chose, and they share the sign-in page's limits.
	charge, err := f.limiter.ChargeLogin(ctx, ratelimit.LoginAttempt{Username: username, IP: ratelimit.ClientIP(req.HTTP, f.ipHeader)})
	if err != nil {
		if le, ok := ratelimit.IsLimited(err); ok {
			s.metrics.Event("password", "locked")
			e := InvalidGrant("%s; try again in up to %d minutes", passwordLimitText[le.Scope], int(le.RetryAfter.Minutes()+0.999))
			e.RetryAfter = le.RetryAfter
			return nil, e
		}
		return nil, err
	}
	sub, ok, err := checkPassword(ctx, f.users, s.rand, s.now, s.log, username, pw)
	if err != nil {
		return nil, fmt.Errorf("password grant: %w", err)
	}
	if !ok {
		if err := charge.Failed(ctx); err != nil {
			s.log.ErrorContext(ctx, "oauth: count failed sign-in", "err", err)
		}
		s.metrics.Event("password", "failed")
		subject := ""
		if sub != nil {
			subject = sub.ID
		}
		s.authzAudit(ctx, req.HTTP, "password.failed", req.Client.ID, subject, "")
		return nil, errPasswordFailed
	}
	if err := charge.Succeeded(ctx); err != nil {
		s.log.WarnContext(ctx, "oauth: refund sign-in charge", "err", err)
	}

	now := s.now()
	g, err := newGrant(s.rand, "", keypad.GrantPassword, sub.ID, req.Client.ID, scopes, now)
	if err != nil {
		return nil, fmt.Errorf("password grant: %w", err)
	}
	g.LastUsedAt = now // its tokens are issued right away
	if err := f.store.CreateGrant(ctx, g); err != nil {
		return nil, fmt.Errorf("password grant: create grant: %w", err)
	}
	s.metrics.Event("password", "succeeded")
	s.authzAudit(ctx, req.HTTP, "password.succeeded", req.Client.ID, sub.ID, "grant="+g.ID)
	return s.issue(ctx, keypad.GrantPassword, Issue{
		Client: req.Client, Grant: g, Subject: sub.ID, Scopes: scopes, Audience: aud,
		Refresh: req.Client.AllowsGrant(keypad.GrantRefreshToken),
	})
}

// passwordCheckStore is what the password check reads, and writes to
// upgrade a stored hash.
type passwordCheckStore interface {
	GetSubjectByUsername(ctx context.Context, username string) (*keypad.Subject, error)
	UpdateSubject(ctx context.Context, s *keypad.Subject) error
}

// checkPassword is THE password check, of the sign-in page (through
// Actions.CheckPassword) and of the password grant. It returns the
// username's subject (nil for an unknown username) and whether pw is its
// password. An unknown username and a subject without a password pay for
// a dummy argon2id verification, so timing does not tell who has an
// account. A stored hash that cannot be read is the server's fault, not
// the person's: it is logged and answered like a wrong password. A right
// password under older argon2id parameters is rehashed with the current
// ones, best effort. A disabled person's right password is refused as a
// wrong one. Guessing limits are the caller's: they differ per
// entry point (the page has device cookies) and must be charged before
// this runs.
func checkPassword(ctx context.Context, st passwordCheckStore, rnd io.Reader, now func() time.Time, log *slog.Logger, username, pw string) (*keypad.Subject, bool, error) {
	sub, err := st.GetSubjectByUsername(ctx, username)
	if err != nil && !errors.Is(err, keypad.ErrNotFound) {
		return nil, false, fmt.Errorf("look up subject: %w", err)
	}
	if sub == nil || sub.PasswordHash == "" || sub.Disabled {
		// A disabled person's password is refused like a wrong one, in
		// the same time.
		password.VerifyDummy(pw)
		return sub, false, nil
	}
	ok, err := password.Verify(sub.PasswordHash, pw)
	if err != nil {
		log.ErrorContext(ctx, "oauth: verify password", "subject", sub.ID, "err", err)
		return sub, false, nil
	}
	if ok && password.NeedsRehash(sub.PasswordHash) {
		rehash(ctx, st, rnd, now, log, sub, pw)
	}
	return sub, ok, nil
}

// rehash upgrades sub's stored hash to the current parameters; failing
// to must not stop a sign-in.
func rehash(ctx context.Context, st passwordCheckStore, rnd io.Reader, now func() time.Time, log *slog.Logger, sub *keypad.Subject, pw string) {
	phc, err := password.Hash(pw, rnd)
	if err == nil {
		up := *sub
		up.PasswordHash, up.UpdatedAt = phc, now()
		if err = st.UpdateSubject(ctx, &up); err == nil {
			*sub = up
		}
	}
	if err != nil {
		log.WarnContext(ctx, "oauth: upgrade password hash", "subject", sub.ID, "err", err)
	}
}

// CheckPassword checks a sign-in page's username and password (see
// checkPassword): it returns the username's subject, nil when there is
// none, and whether the password is right. The page charges its limits
// before and settles them after.
func (a *Actions) CheckPassword(ctx context.Context, username, pw string) (*keypad.Subject, bool, error) {
	return checkPassword(ctx, a.store, a.rand, a.now, a.log, username, pw)
}
