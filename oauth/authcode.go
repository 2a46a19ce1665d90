package oauth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/keypadauth/keypad"
)

// The answers to a code that yields no token. None says more than the
// client needs to start again.
var (
	errCodeInvalid = InvalidGrant("the authorization code is not valid; start again at the authorization endpoint")
	errCodeExpired = InvalidGrant("the authorization code has expired (codes live 60 seconds); start again at the authorization endpoint")
	errCodeUsed    = InvalidGrant("the authorization code was already used, so the tokens issued for it were revoked (RFC 6749 section 4.1.2); start again at the authorization endpoint")
)

// maxSecretParam bounds codes and refresh tokens before they are hashed:
// keypad's own are 49 characters.
const maxSecretParam = 128

// Grant is the authorization_code grant at the token endpoint (RFC 6749
// §4.1.3; RFC 7636 §4.5; OpenID Connect Core §3.1.3). The code is read
// first and its bindings checked (client, redirect_uri, PKCE verifier,
// resource): a request that fails them gets invalid_grant and changes
// nothing, so a stranger can neither burn a code nor, by replaying a spent
// one, revoke the rightful client's tokens (RFC 9700 §4.5). Only then is
// it consumed, atomically, so of any number of concurrent exchanges
// exactly one proceeds; a code presented again by its own client revokes
// everything issued for it (§4.1.2). The person's grant ("my devices") is
// created here, under the ID the code carries, so a grant exists only for
// codes that were exchanged.
func (f *authCodeFlow) Grant(ctx context.Context, req *TokenRequest) (*TokenResponse, error) {
	s := f.s
	code := req.Form.Get("code")
	if code == "" {
		return nil, InvalidRequest("code is missing")
	}
	if !strings.HasPrefix(code, keypad.PrefixAuthCode) || len(code) > maxSecretParam {
		return nil, errCodeInvalid
	}
	hash := keypad.SecretHash(code)
	c, err := s.store.GetAuthCode(ctx, hash)
	if errors.Is(err, keypad.ErrNotFound) {
		return nil, errCodeInvalid
	} else if err != nil {
		return nil, fmt.Errorf("authorization code: read: %w", err)
	}
	accessAud, err := checkCodeBinding(c, req)
	if err != nil {
		s.metrics.Event("authcode", "binding_failed")
		return nil, err
	}
	// The requester is now the code's client: authenticated by the token
	// endpoint, and for a public client by the PKCE verifier only the
	// client that started the flow knows.
	now := s.now()
	c, err = s.store.ConsumeAuthCode(ctx, hash, now)
	switch {
	case errors.Is(err, keypad.ErrConsumed):
		if req.Client.Public && c.CodeChallenge == "" {
			// Nothing but the public client_id vouches for the requester.
			return nil, errCodeInvalid
		}
		s.codeReplayed(ctx, req.HTTP, c, now)
		return nil, errCodeUsed
	case errors.Is(err, keypad.ErrExpired):
		s.metrics.Event("authcode", "code_expired")
		return nil, errCodeExpired
	case errors.Is(err, keypad.ErrNotFound):
		return nil, errCodeInvalid
	case err != nil:
		return nil, err
	}

	g, err := codeGrant(c, now)
	if err != nil {
		return nil, err
	}
	g.LastUsedAt = now // its tokens are issued right away
	if err := s.store.CreateGrant(ctx, g); errors.Is(err, keypad.ErrConflict) {
		return nil, errCodeUsed // a replay got here first and revoked it
	} else if err != nil {
		return nil, fmt.Errorf("authorization code: create grant: %w", err)
	}
	is := Issue{
		Client: req.Client, Grant: g, Subject: c.Subject,
		Scopes: c.Scopes, Audience: c.Audience, AccessAudience: accessAud,
		Refresh: wantsRefresh(req.Client, c.Scopes),
	}
	if hasScope(c.Scopes, "openid") {
		is.idToken = &idTokenFacts{
			subject: c.Subject, nonce: c.Nonce, authTime: c.AuthTime, amr: c.AMR,
			ttl: f.cfg.IDTokenTTL,
		}
	}
	resp, err := s.issue(ctx, keypad.GrantAuthorizationCode, is)
	if err != nil {
		return nil, err
	}
	// A replay of the code may have revoked the grant while the tokens
	// were minted; revoking again takes the new tokens with it.
	if cur, err := s.store.GetGrant(ctx, g.ID); err != nil || !cur.RevokedAt.IsZero() {
		if rerr := s.store.RevokeGrant(ctx, g.ID, now); rerr != nil {
			s.log.ErrorContext(ctx, "oauth: revoke grant of a replayed code", "grant", g.ID, "err", rerr)
		}
		return nil, errCodeUsed
	}
	s.metrics.Event("authcode", "exchanged")
	return resp, nil
}

// checkCodeBinding checks what the code binds the exchange to, before the
// code is consumed: the client it was issued to (§4.1.3), the redirect_uri
// of the authorization request, the PKCE verifier (RFC 7636 §4.6), and a
// resource among those authorized (RFC 8707 §2.2). It returns the access
// token's audience.
func checkCodeBinding(c *keypad.AuthCode, req *TokenRequest) ([]string, error) {
	if c.ClientID != req.Client.ID {
		return nil, errCodeInvalid
	}
	if !redirectMatches(c.RedirectURI, req.Form.Get("redirect_uri"), req.Client) {
		return nil, InvalidGrant("redirect_uri does not match the one in the authorization request")
	}
	if e := verifyPKCE(c.CodeChallenge, c.CodeChallengeMethod, req.Form.Get("code_verifier")); e != nil {
		return nil, e
	}
	return narrowResource(req.Form, c.Audience, "the authorization request")
}

// redirectMatches applies §4.1.3: a redirect_uri given at authorization
// must be repeated exactly; one left out there may be left out here too,
// or name a registered URI.
func redirectMatches(authorized, given string, c *keypad.Client) bool {
	if authorized != "" {
		return given == authorized
	}
	return given == "" || slices.Contains(c.RedirectURIs, given)
}

// wantsRefresh reports whether a refresh token comes with the access
// token: the client must be registered for refresh_token, and an OpenID
// Connect request must ask for offline_access (Core §11).
func wantsRefresh(c *keypad.Client, scopes []string) bool {
	if !c.AllowsGrant(keypad.GrantRefreshToken) {
		return false
	}
	return !hasScope(scopes, "openid") || hasScope(scopes, "offline_access")
}

// codeReplayed answers the second use of a code (RFC 6749 §4.1.2: "SHOULD
// revoke (when possible) all tokens previously issued based on that
// authorization code"): it revokes the code's grant, which takes every
// token issued under it. If the first exchange has not created the grant
// yet, a revoked grant takes its ID, so that exchange fails.
func (s *Server) codeReplayed(ctx context.Context, r *http.Request, c *keypad.AuthCode, now time.Time) {
	s.metrics.Event("authcode", "code_replayed")
	s.log.WarnContext(ctx, "oauth: authorization code used twice; revoking what it issued", "client", c.ClientID, "grant", c.GrantID)
	s.authzAudit(ctx, r, "authcode.replayed", c.ClientID, c.Subject, "grant="+c.GrantID)
	if c.GrantID == "" {
		return
	}
	err := s.store.RevokeGrant(ctx, c.GrantID, now)
	if errors.Is(err, keypad.ErrNotFound) {
		var g *keypad.Grant
		if g, err = codeGrant(c, now); err == nil {
			g.RevokedAt = now
			err = s.store.CreateGrant(ctx, g)
		}
		if errors.Is(err, keypad.ErrConflict) {
			err = s.store.RevokeGrant(ctx, c.GrantID, now)
		}
	}
	if err != nil {
		s.log.ErrorContext(ctx, "oauth: revoke the grant of a replayed code", "grant", c.GrantID, "err", err)
	}
}

// codeGrant is the grant of a code, under the ID the code carries.
func codeGrant(c *keypad.AuthCode, now time.Time) (*keypad.Grant, error) {
	if c.GrantID == "" {
		return nil, fmt.Errorf("authorization code of client %s carries no grant id", c.ClientID)
	}
	return newGrant(nil, c.GrantID, keypad.GrantAuthorizationCode, c.Subject, c.ClientID, c.Scopes, now)
}

// authzAudit records a security event of these flows; failing to is
// logged, never answered.
func (s *Server) authzAudit(ctx context.Context, r *http.Request, typ, clientID, subject, detail string) {
	ip := ""
	if r != nil {
		ip, _, _ = net.SplitHostPort(r.RemoteAddr)
	}
	err := s.store.AddAuditEvent(ctx, &keypad.AuditEvent{
		Time: s.now(), Type: typ, ClientID: clientID, Subject: subject, IP: ip, Detail: detail,
	})
	if err != nil {
		s.log.ErrorContext(ctx, "oauth: write audit event", "type", typ, "err", err)
	}
}
