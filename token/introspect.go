package token

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/keypadauth/keypad"
)

// Introspection is the answer of RFC 7662 §2.2 about one token. An
// inactive token carries nothing but Active=false, so introspection never
// tells a caller why a token failed.
type Introspection struct {
	Active bool   `json:"active"`
	Scope  string `json:"scope,omitempty"`
	// ClientID is the client the token was issued to.
	ClientID string `json:"client_id,omitempty"`
	// TokenType is "Bearer" for access tokens, or "DPoP" for those bound
	// to a DPoP key (RFC 9449 §6.2), the RFC 6749 §7.1 type RFC 7662 §2.2
	// asks for. A refresh token has no such type, so it is
	// left out there (an active answer without token_type is a refresh
	// token).
	TokenType string   `json:"token_type,omitempty"`
	Exp       int64    `json:"exp,omitempty"`
	Iat       int64    `json:"iat,omitempty"`
	Sub       string   `json:"sub,omitempty"`
	Aud       Audience `json:"aud,omitempty"`
	Iss       string   `json:"iss,omitempty"`
	Jti       string   `json:"jti,omitempty"`
	// GrantID is the person's grant the token belongs to (keypad
	// extension), so a resource server can tell devices apart.
	GrantID string `json:"gid,omitempty"`
	// Cnf names the DPoP key a bound token (access or refresh) must be
	// presented with (RFC 9449 §6.2); nil when not bound.
	Cnf *Confirmation `json:"cnf,omitempty"`
}

var inactive = &Introspection{Active: false}

// Introspect reports whether tok (a JWT access token, an opaque access
// token or a refresh token) is active now, and its metadata if so. Unknown,
// expired, revoked, consumed and forged tokens are all simply inactive;
// the error is only for a failing store.
func (i *Issuer) Introspect(ctx context.Context, tok string) (*Introspection, error) {
	if isJWT(tok) {
		return i.introspectJWT(ctx, tok)
	}
	if !strings.HasPrefix(tok, keypad.PrefixAccessToken) && !strings.HasPrefix(tok, keypad.PrefixRefreshToken) {
		return inactive, nil
	}
	t, err := i.Store.GetToken(ctx, keypad.TokenKey(tok))
	if errors.Is(err, keypad.ErrNotFound) {
		return inactive, nil
	}
	if err != nil {
		return nil, fmt.Errorf("introspect: %w", err)
	}
	if !t.Active(i.now()) || !t.UsedAt.IsZero() {
		// A used refresh token was rotated away; it grants nothing more.
		return inactive, nil
	}
	in := &Introspection{
		Active: true, Scope: keypad.FormatScope(t.Scopes), ClientID: t.ClientID,
		TokenType: TypeBearer, Iat: t.IssuedAt.Unix(), Sub: t.Subject,
		Aud: t.Audience, Iss: i.Issuer, GrantID: t.GrantID,
	}
	if t.JKT != "" {
		in.Cnf = &Confirmation{JKT: t.JKT}
		in.TokenType = TypeDPoP
	}
	if t.Kind == keypad.KindRefresh {
		in.TokenType = ""
	}
	if !t.ExpiresAt.IsZero() {
		in.Exp = t.ExpiresAt.Unix()
	}
	return in, nil
}

// verifyAccessJWT returns the claims of a JWT access token this issuer
// signed, or ok=false if it is not one (forged, foreign, malformed).
func (i *Issuer) verifyAccessJWT(ctx context.Context, tok string) (c AccessClaims, ok bool, err error) {
	err = i.Keys.Verify(ctx, tok, TypAccessToken, &c)
	switch {
	case errors.Is(err, ErrMalformed), errors.Is(err, ErrUnknownKey), errors.Is(err, ErrSignature):
		return c, false, nil
	case err != nil:
		return c, false, fmt.Errorf("verify token: %w", err)
	}
	return c, c.Issuer == i.Issuer && c.ID != "", nil
}

func (i *Issuer) introspectJWT(ctx context.Context, tok string) (*Introspection, error) {
	c, ok, err := i.verifyAccessJWT(ctx, tok)
	if err != nil || !ok {
		return inactive, err
	}
	if !i.now().Before(time.Unix(c.Expiry, 0)) {
		return inactive, nil
	}
	revoked, err := i.Store.JTIRevoked(ctx, c.ID)
	if err != nil {
		return nil, fmt.Errorf("introspect: %w", err)
	}
	if revoked {
		return inactive, nil
	}
	if i.Clients != nil {
		_, err := i.Clients.GetClient(ctx, c.ClientID)
		if errors.Is(err, keypad.ErrNotFound) {
			return inactive, nil
		}
		if err != nil {
			return nil, fmt.Errorf("introspect: %w", err)
		}
	}
	if c.GrantID != "" && i.Grants != nil {
		g, err := i.Grants.GetGrant(ctx, c.GrantID)
		if errors.Is(err, keypad.ErrNotFound) {
			return inactive, nil
		}
		if err != nil {
			return nil, fmt.Errorf("introspect: %w", err)
		}
		if !g.RevokedAt.IsZero() {
			return inactive, nil
		}
	}
	in := &Introspection{
		Active: true, Scope: c.Scope, ClientID: c.ClientID, TokenType: TypeBearer,
		Exp: c.Expiry, Iat: c.IssuedAt, Sub: c.Subject, Aud: c.Audience,
		Iss: c.Issuer, Jti: c.ID, GrantID: c.GrantID,
	}
	if c.Cnf != nil && c.Cnf.JKT != "" {
		in.Cnf, in.TokenType = c.Cnf, TypeDPoP
	}
	return in, nil
}

// Revoke revokes tok on behalf of clientID (RFC 7009 §2.1). Only the
// client a token was issued to may revoke it; for anyone else, and for
// unknown tokens, Revoke does nothing and returns nil, so the endpoint
// reveals nothing. A JWT's jti goes on the revocation list until the JWT
// expires. A refresh token takes its whole rotation family with it and,
// when a GrantStore is set, its grant, which makes every access token of
// that grant inactive too (RFC 7009 §2.1: "SHOULD also invalidate all
// access tokens based on the same authorization grant").
func (i *Issuer) Revoke(ctx context.Context, tok, clientID string) error {
	_, err := i.revoke(ctx, tok, func(owner string) bool { return owner == clientID })
	return err
}

// Revocation is what RevokeAny ended.
type Revocation struct {
	// Found is false for a token keypad did not issue, and for a JWT
	// that no longer verifies or has expired; then nothing else is set.
	// An opaque token is found, and its family and grant end, even when
	// it was already revoked (a rotated refresh token), as RFC 7009 asks.
	Found bool
	// ClientID is the client the token was issued to; Kind is
	// keypad.KindAccess or keypad.KindRefresh.
	ClientID string
	Kind     keypad.TokenKind
	// GrantID is the grant a refresh token ended with it (empty for an
	// access token, which ends alone).
	GrantID string
}

// RevokeAny is the operator's revocation (the admin API): it revokes tok
// whichever client it was issued to, as Revoke does for that client, and
// says what it ended.
func (i *Issuer) RevokeAny(ctx context.Context, tok string) (Revocation, error) {
	return i.revoke(ctx, tok, func(string) bool { return true })
}

// revoke revokes tok if mayRevoke allows its client.
func (i *Issuer) revoke(ctx context.Context, tok string, mayRevoke func(clientID string) bool) (Revocation, error) {
	now := i.now()
	if isJWT(tok) {
		c, ok, err := i.verifyAccessJWT(ctx, tok)
		if err != nil || !ok || !mayRevoke(c.ClientID) {
			return Revocation{}, err
		}
		exp := time.Unix(c.Expiry, 0)
		if !now.Before(exp) {
			return Revocation{}, nil // dead anyway
		}
		if err := i.Store.RevokeJTI(ctx, c.ID, exp); err != nil {
			return Revocation{}, fmt.Errorf("revoke token: %w", err)
		}
		return Revocation{Found: true, ClientID: c.ClientID, Kind: keypad.KindAccess}, nil
	}
	if !strings.HasPrefix(tok, keypad.PrefixAccessToken) && !strings.HasPrefix(tok, keypad.PrefixRefreshToken) {
		return Revocation{}, nil
	}
	hash := keypad.TokenKey(tok)
	t, err := i.Store.GetToken(ctx, hash)
	if errors.Is(err, keypad.ErrNotFound) {
		return Revocation{}, nil
	}
	if err != nil {
		return Revocation{}, fmt.Errorf("revoke token: %w", err)
	}
	if !mayRevoke(t.ClientID) {
		return Revocation{}, nil
	}
	if err := i.Store.RevokeToken(ctx, hash, now); err != nil && !errors.Is(err, keypad.ErrNotFound) {
		return Revocation{}, fmt.Errorf("revoke token: %w", err)
	}
	done := Revocation{Found: true, ClientID: t.ClientID, Kind: t.Kind}
	if t.Kind != keypad.KindRefresh {
		return done, nil
	}
	if t.FamilyID != "" {
		if _, err := i.Store.RevokeFamily(ctx, t.FamilyID, now); err != nil {
			return done, fmt.Errorf("revoke token family: %w", err)
		}
	}
	if t.GrantID != "" && i.Grants != nil {
		if err := i.Grants.RevokeGrant(ctx, t.GrantID, now); err != nil && !errors.Is(err, keypad.ErrNotFound) {
			return done, fmt.Errorf("revoke grant: %w", err)
		}
		done.GrantID = t.GrantID
	}
	return done, nil
}
