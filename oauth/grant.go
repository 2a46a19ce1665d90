package oauth

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/keypadauth/keypad"
)

// A person's grant ("my devices") is made here and nowhere else: every
// flow that creates one (device approval, OTP, authorization code,
// password) calls newGrant, and every grant ID comes from newGrantID.

// grantIDPrefix starts every grant ID, so an ID in a log or a token's
// claims reads as what it is.
const grantIDPrefix = "gr_"

// newGrantID draws the ID of a person's grant: "gr_" and 128 random bits,
// base64url. It is an identifier, not a secret: tokens carry it.
func newGrantID(r io.Reader) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("draw grant id: %w", err)
	}
	return grantIDPrefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// drawGrantID draws a grant ID with the server's randomness.
func (s *Server) drawGrantID() (string, error) { return newGrantID(s.rand) }

// newGrant is the one constructor of a person's grant: what flow, who,
// which client, which scopes, when. id is "" to draw a fresh one (the
// authorization code flow passes the ID its code carries). It does not
// store the grant.
func newGrant(r io.Reader, id, flow, subject, clientID string, scopes []string, now time.Time) (*keypad.Grant, error) {
	if id == "" {
		var err error
		if id, err = newGrantID(r); err != nil {
			return nil, err
		}
	}
	return &keypad.Grant{
		ID: id, Subject: subject, ClientID: clientID, Scopes: scopes,
		Flow: flow, CreatedAt: now,
	}, nil
}

// ErrNoSuchGrant answers a revocation of a grant that does not exist or
// is not the person's: the two read the same, so a person cannot probe
// for other people's grant IDs.
var ErrNoSuchGrant = errors.New("oauth: no such grant for this person")

// RevokeGrant revokes one of subject's grants ("my devices"): it ends the
// grant's refresh and opaque access tokens in the store and makes its JWT
// access tokens inactive at introspection. Other grants, even of the same
// client, are untouched. It returns the revoked grant, or ErrNoSuchGrant.
func (a *Actions) RevokeGrant(ctx context.Context, subject, grantID string) (*keypad.Grant, error) {
	if subject == "" || grantID == "" {
		return nil, ErrNoSuchGrant
	}
	g, err := a.store.GetGrant(ctx, grantID)
	if errors.Is(err, keypad.ErrNotFound) || (err == nil && g.Subject != subject) {
		return nil, ErrNoSuchGrant
	}
	if err != nil {
		return nil, fmt.Errorf("revoke grant: load: %w", err)
	}
	err = a.store.RevokeGrant(ctx, g.ID, a.now())
	if errors.Is(err, keypad.ErrNotFound) {
		return nil, ErrNoSuchGrant // deleted meanwhile, with its client
	}
	if err != nil {
		return nil, fmt.Errorf("revoke grant: %w", err)
	}
	return g, nil
}
