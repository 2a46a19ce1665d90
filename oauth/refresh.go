package oauth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keypadauth/keypad"
)

// The answers to a refresh token that yields nothing. Each tells the
// client to sign the person in again, which is all it can do.
var (
	errRefreshInvalid = InvalidGrant("the refresh token is not valid; sign in again")
	errRefreshExpired = InvalidGrant("the refresh token has expired; sign in again")
	errRefreshRevoked = InvalidGrant("the refresh token was revoked; sign in again")
	errRefreshReused  = InvalidGrant("the refresh token was already used, so every token of this sign-in was revoked for safety (RFC 9700 section 4.14.2); sign in again")
)

// installRefresh serves grant_type=refresh_token at the token endpoint
// (Config.Refresh). The authorization code flow and the password grant
// install it too; installing it again does nothing more.
func (s *Server) installRefresh() {
	s.registerGrant(keypad.GrantRefreshToken, GrantFunc(s.refreshGrant))
}

// refreshGrant is the refresh token grant (RFC 6749 §6) with rotation and
// reuse detection (RFC 9700 §4.14.2): every use consumes the token, in one
// atomic step, and hands out a new one of the same family; a consumed
// token presented again means it leaked, so the whole family and its grant
// are revoked, access tokens included. Of concurrent uses of one token
// exactly one succeeds, and the others count as reuse.
func (s *Server) refreshGrant(ctx context.Context, req *TokenRequest) (*TokenResponse, error) {
	rt := req.Form.Get("refresh_token")
	if rt == "" {
		return nil, InvalidRequest("refresh_token is missing")
	}
	if !strings.HasPrefix(rt, keypad.PrefixRefreshToken) || len(rt) > maxSecretParam {
		return nil, errRefreshInvalid
	}
	hash := keypad.TokenKey(rt)
	now := s.now()
	// Read first: a token of another client, or a request the grant
	// refuses anyway (a wider scope), must not burn the token.
	t, err := s.store.GetToken(ctx, hash)
	if errors.Is(err, keypad.ErrNotFound) {
		return nil, errRefreshInvalid
	}
	if err != nil {
		return nil, err
	}
	if t.Kind != keypad.KindRefresh || t.ClientID != req.Client.ID {
		return nil, errRefreshInvalid
	}
	// A disabled person's tokens were revoked when they were disabled;
	// this holds even for one that escaped, and does not burn it.
	if sub, err := s.store.GetSubject(ctx, t.Subject); err == nil && sub.Disabled {
		return nil, errRefreshRevoked
	} else if err != nil && !errors.Is(err, keypad.ErrNotFound) {
		return nil, fmt.Errorf("refresh: read subject: %w", err)
	}
	// A bound refresh token (a public client's, RFC 9449 §5) is good only
	// with a proof of its key; a wrong key does not burn the token.
	if t.JKT != "" && (req.DPoP == nil || req.DPoP.JKT != t.JKT) {
		s.metrics.Event("refresh", "dpop_key_mismatch")
		return nil, InvalidGrant("the refresh token is bound to a DPoP key: send a DPoP proof signed with that key")
	}
	if idle := req.Client.Options.RefreshIdleTTL; idle > 0 && t.UsedAt.IsZero() && t.RevokedAt.IsZero() && !now.Before(t.IssuedAt.Add(idle)) {
		s.metrics.Event("refresh", "idle_expired")
		return nil, errRefreshExpired
	}
	scopes, err := narrowScopes(keypad.ParseScope(req.Form.Get("scope")), t.Scopes)
	if err != nil {
		return nil, err
	}
	aud := t.Audience
	if r := req.Form.Get("resource"); r != "" {
		if !slices.Contains(t.Audience, r) {
			return nil, NewError(CodeInvalidTarget, "resource '%s' was not part of the authorization; a refresh may only narrow the audience", r)
		}
		aud = []string{r}
	}

	t, err = s.store.ConsumeToken(ctx, hash, now)
	switch {
	case errors.Is(err, keypad.ErrConsumed):
		s.refreshReused(ctx, req, t, now)
		return nil, errRefreshReused
	case errors.Is(err, keypad.ErrRevoked):
		return nil, errRefreshRevoked
	case errors.Is(err, keypad.ErrExpired):
		return nil, errRefreshExpired
	case errors.Is(err, keypad.ErrNotFound):
		return nil, errRefreshInvalid
	case err != nil:
		return nil, err
	}
	var g *keypad.Grant
	if t.GrantID != "" {
		g, err = s.store.GetGrant(ctx, t.GrantID)
		// A grant revoked before this request consumed the token refuses
		// it. One revoked since then was revoked by a concurrent reuse of
		// this very token: this request still answers (it won the
		// consumption), and the check after minting revokes what it got.
		if errors.Is(err, keypad.ErrNotFound) || (err == nil && !g.RevokedAt.IsZero() && g.RevokedAt.Before(now)) {
			if _, rerr := s.store.RevokeFamily(ctx, t.FamilyID, now); rerr != nil {
				s.log.ErrorContext(ctx, "oauth: revoke family of a revoked grant", "grant", t.GrantID, "err", rerr)
			}
			return nil, errRefreshRevoked
		}
		if err != nil {
			return nil, fmt.Errorf("refresh: grant %s: %w", t.GrantID, err)
		}
	}
	is := Issue{
		Client: req.Client, Grant: g, Subject: t.Subject,
		Scopes: t.Scopes, Audience: t.Audience, AccessScopes: scopes, AccessAudience: aud,
		Refresh: true, FamilyID: t.FamilyID,
	}
	if g == nil {
		is.absoluteEnd = t.ExpiresAt
	}
	resp, err := s.issue(ctx, keypad.GrantRefreshToken, is)
	if err != nil {
		return nil, err
	}
	if g != nil {
		if err := s.store.TouchGrant(ctx, g.ID, now); err != nil {
			s.log.WarnContext(ctx, "oauth: record grant use", "grant", g.ID, "err", err)
		}
	}
	// A concurrent reuse may have revoked the family while the new tokens
	// were minted, before they existed; revoke again so they fall too.
	if cur, err := s.store.GetToken(ctx, hash); err == nil && !cur.RevokedAt.IsZero() {
		s.revokeFamilyAndGrant(ctx, t, now)
	}
	s.metrics.Event("refresh", "rotated")
	return resp, nil
}

// refreshReused answers a consumed refresh token presented again: either
// the client or an attacker holds a copy, and the server cannot tell
// which, so nothing of the family may live on.
func (s *Server) refreshReused(ctx context.Context, req *TokenRequest, t *keypad.Token, now time.Time) {
	s.metrics.Event("refresh", "reused")
	s.log.WarnContext(ctx, "oauth: refresh token reused; revoking its family", "client", t.ClientID, "grant", t.GrantID)
	s.authzAudit(ctx, req.HTTP, "refresh.reused", t.ClientID, t.Subject, "grant="+t.GrantID)
	s.revokeFamilyAndGrant(ctx, t, now)
}

// revokeFamilyAndGrant revokes the refresh family of t and the grant it
// belongs to; the grant's revocation is what ends its JWT access tokens.
func (s *Server) revokeFamilyAndGrant(ctx context.Context, t *keypad.Token, now time.Time) {
	if _, err := s.store.RevokeFamily(ctx, t.FamilyID, now); err != nil {
		s.log.ErrorContext(ctx, "oauth: revoke refresh family", "grant", t.GrantID, "err", err)
	}
	if t.GrantID == "" {
		return
	}
	if err := s.store.RevokeGrant(ctx, t.GrantID, now); err != nil && !errors.Is(err, keypad.ErrNotFound) {
		s.log.ErrorContext(ctx, "oauth: revoke grant", "grant", t.GrantID, "err", err)
	}
}
