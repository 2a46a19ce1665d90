package oauth

import (
	"context"
	"errors"
	"fmt"
	"strings"

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
	f := &passwordFlow{s: s, store: s.store, limiter: limiter, ipHeader: cfg.ClientIPHeader}
	s.registerGrant(keypad.GrantPassword, GrantFunc(f.grant))
	s.installRefresh()
	return nil
}

// grant checks the person's password (RFC 6749 §4.3.2) and issues tokens
// under a new grant, listed on "my devices" like any other. Unknown
// usernames pay for a dummy verification, so timing does not reveal who
// has an account; a locked username is refused before its password is
// looked at.
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
	sub, err := f.store.GetSubjectByUsername(ctx, username)
	if err != nil && !errors.Is(err, keypad.ErrNotFound) {
		return nil, fmt.Errorf("password grant: look up subject: %w", err)
	}
	ok := false
	if sub == nil || sub.PasswordHash == "" {
		password.VerifyDummy(pw)
	} else if ok, err = password.Verify(sub.PasswordHash, pw); err != nil {
		s.log.ErrorContext(ctx, "oauth: verify password", "subject", sub.ID, "err", err)
		ok = false
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
	id, err := s.drawGrantID()
	if err != nil {
		return nil, err
	}
	g := &keypad.Grant{
		ID: id, Subject: sub.ID, ClientID: req.Client.ID, Scopes: scopes,
		Flow: keypad.GrantPassword, CreatedAt: now, LastUsedAt: now,
	}
	if err := f.store.CreateGrant(ctx, g); err != nil {
		return nil, fmt.Errorf("password grant: create grant: %w", err)
	}
	s.metrics.Event("password", "succeeded")
	s.authzAudit(ctx, req.HTTP, "password.succeeded", req.Client.ID, sub.ID, "grant="+g.ID)
	return s.issueForGrant(ctx, keypad.GrantPassword, grantIssue{
		client: req.Client, grant: g, subject: sub.ID, scopes: scopes,
		refresh: req.Client.AllowsGrant(keypad.GrantRefreshToken),
	})
}
