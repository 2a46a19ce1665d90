package oauth

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
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
// §4.1.3; RFC 7636 §4.5; OpenID Connect Core §3.1.3). The code is consumed
// first, atomically, so of any number of concurrent exchanges exactly one
// proceeds; a code presented again revokes everything issued for it. The
// person's grant ("my devices") is created here, under the ID the code
// carries, so a grant exists only for codes that were exchanged.
func (f *authCodeFlow) Grant(ctx context.Context, req *TokenRequest) (*TokenResponse, error) {
	s := f.s
	code := req.Form.Get("code")
	if code == "" {
		return nil, InvalidRequest("code is missing")
	}
	if !strings.HasPrefix(code, keypad.PrefixAuthCode) || len(code) > maxSecretParam {
		return nil, errCodeInvalid
	}
	now := s.now()
	c, err := s.store.ConsumeAuthCode(ctx, keypad.SecretHash(code), now)
	switch {
	case errors.Is(err, keypad.ErrConsumed):
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
	if c.ClientID != req.Client.ID {
		// §4.1.3: the code must have been issued to this client. It is
		// spent now, which only hurts whoever stole it.
		s.metrics.Event("authcode", "code_wrong_client")
		return nil, errCodeInvalid
	}
	if !redirectMatches(c.RedirectURI, req.Form.Get("redirect_uri"), req.Client) {
		return nil, InvalidGrant("redirect_uri does not match the one in the authorization request")
	}
	if e := verifyPKCE(c.CodeChallenge, c.CodeChallengeMethod, req.Form.Get("code_verifier")); e != nil {
		s.metrics.Event("authcode", "pkce_failed")
		return nil, e
	}
	accessAud := c.Audience
	if r := req.Form.Get("resource"); r != "" {
		if !slices.Contains(c.Audience, r) {
			return nil, NewError(CodeInvalidTarget, "resource '%s' was not part of the authorization request", r)
		}
		accessAud = []string{r}
	}

	g := &keypad.Grant{
		ID: c.GrantID, Subject: c.Subject, ClientID: c.ClientID, Scopes: c.Scopes,
		Flow: keypad.GrantAuthorizationCode, CreatedAt: now, LastUsedAt: now,
	}
	if err := s.store.CreateGrant(ctx, g); errors.Is(err, keypad.ErrConflict) {
		return nil, errCodeUsed // a replay got here first and revoked it
	} else if err != nil {
		return nil, fmt.Errorf("authorization code: create grant: %w", err)
	}
	resp, err := s.issueForGrant(ctx, keypad.GrantAuthorizationCode, grantIssue{
		client: req.Client, grant: g, subject: c.Subject,
		scopes: c.Scopes, audience: c.Audience, accessAudience: accessAud,
		refresh: wantsRefresh(req.Client, c.Scopes),
	})
	if err != nil {
		return nil, err
	}
	if hasScope(c.Scopes, "openid") {
		resp.IDToken, err = s.idToken(req.Client, idTokenFacts{
			subject: c.Subject, nonce: c.Nonce, authTime: c.AuthTime, amr: c.AMR,
			accessToken: resp.AccessToken, ttl: f.cfg.IDTokenTTL,
		})
		if err != nil {
			return nil, err
		}
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
		err = s.store.CreateGrant(ctx, &keypad.Grant{
			ID: c.GrantID, Subject: c.Subject, ClientID: c.ClientID, Scopes: c.Scopes,
			Flow: keypad.GrantAuthorizationCode, CreatedAt: now, RevokedAt: now,
		})
		if errors.Is(err, keypad.ErrConflict) {
			err = s.store.RevokeGrant(ctx, c.GrantID, now)
		}
	}
	if err != nil {
		s.log.ErrorContext(ctx, "oauth: revoke the grant of a replayed code", "grant", c.GrantID, "err", err)
	}
}

// drawGrantID draws the ID of a person's grant: 128 random bits.
func (s *Server) drawGrantID() (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(s.rand, b[:]); err != nil {
		return "", fmt.Errorf("draw grant id: %w", err)
	}
	return "gr_" + base64.RawURLEncoding.EncodeToString(b[:]), nil
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
