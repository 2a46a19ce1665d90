package oauth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/keypadauth/keypad"
)

// The person's side of a CIBA request: the approval page (package web)
// reads it with CIBARequest and answers it with CIBADecide, holding only
// the link's token from the text or email. Opening the page never
// decides anything (link previews fetch it); the decision is the page's
// POST.

// ErrCIBALinkInvalid answers a link token that names no request: unknown,
// or the request was purged.
var ErrCIBALinkInvalid = errors.New("oauth: this approval link is not valid")

// ErrCIBANotPending answers a decision on a request that was decided or
// expired meanwhile: nothing was changed.
var ErrCIBANotPending = errors.New("oauth: this request was already answered or has expired")

// ErrCIBASignInRequired answers an approval of a request whose client
// requires the person to be signed in, by someone who is not signed in
// as the person the request is for.
var ErrCIBASignInRequired = errors.New("oauth: sign in as the person this request is for to approve it")

// CIBAView is what the approval page shows.
type CIBAView struct {
	ClientID, ClientName string
	// Scopes are the catalogue's words for what the client asks;
	// ScopeNames are the scopes themselves, for pages that put them in
	// the person's language.
	Scopes         []string
	ScopeNames     []string
	BindingMessage string
	RequestedAt    time.Time
	ExpiresAt      time.Time
	// Status is pending, approved, denied or consumed; a pending request
	// whose ExpiresAt passed has expired.
	Status keypad.CIBAStatus
	// RequireSignIn: Approve counts only from the person, signed in.
	RequireSignIn bool
	// RequireBindingCode: Approve counts only with the code the client
	// shows typed in; BindingMessage is then empty, never shown.
	RequireBindingCode bool
	// Subject is the person the request is for (to compare with the
	// signed-in person).
	Subject string
}

// CIBARequest reads the request a link token names, for the approval
// page; it changes nothing. ErrCIBALinkInvalid for an unknown token.
func (s *Server) CIBARequest(ctx context.Context, linkToken string) (*CIBAView, error) {
	c, err := s.ciba()
	if err != nil {
		return nil, err
	}
	r, err := c.byLink(ctx, linkToken)
	if err != nil {
		return nil, err
	}
	client, err := s.clients.GetClient(ctx, r.ClientID)
	if err != nil {
		return nil, fmt.Errorf("ciba: read client: %w", err)
	}
	names := withoutOpenID(r.Scopes)
	words, err := c.otp.scopeWords(ctx, names, "")
	if err != nil {
		return nil, err
	}
	name := client.Name
	if name == "" {
		name = client.ID
	}
	v := &CIBAView{
		ClientID: client.ID, ClientName: name, Scopes: words, ScopeNames: names, BindingMessage: r.BindingMessage,
		RequestedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt, Status: r.Status,
		RequireSignIn: client.Options.CIBA.RequireSignIn, Subject: r.Subject,
		RequireBindingCode: client.Options.CIBA.RequireBindingCode,
	}
	if v.RequireBindingCode {
		v.BindingMessage = "" // the person types it from the client's screen
	}
	return v, nil
}

func (c *cibaFlow) byLink(ctx context.Context, linkToken string) (*keypad.CIBARequest, error) {
	if linkToken == "" {
		return nil, ErrCIBALinkInvalid
	}
	r, err := c.store.GetCIBARequestByLink(ctx, keypad.SecretHash(linkToken))
	switch {
	case errors.Is(err, keypad.ErrNotFound):
		return nil, ErrCIBALinkInvalid
	case err != nil:
		return nil, fmt.Errorf("ciba: read request: %w", err)
	case r.Decoy:
		return nil, ErrCIBALinkInvalid // never sent; cannot be approved
	}
	return r, nil
}

// CIBADecide records the person's answer to the request a link token
// names: approve creates the grant the tokens will hang off ("my
// devices") and marks the request approved in one conditional update
// (the grant is revoked again if that fails); deny marks it denied. In
// ping mode the client's notification is queued with it. signedIn is the
// person signed in on the page ("" for nobody); a client with
// RequireSignIn needs it to be the request's person to approve
// (ErrCIBASignInRequired); denying needs nobody. code is the binding code
// typed on the page, which a client with RequireBindingCode needs to
// approve (ErrCIBABindingCodeMissing; a wrong one denies the request,
// ErrCIBABindingCodeWrong). ErrCIBANotPending when the request was
// decided or expired meanwhile.
func (s *Server) CIBADecide(ctx context.Context, linkToken string, approve bool, code, signedIn, ip string) error {
	c, err := s.ciba()
	if err != nil {
		return err
	}
	r, err := c.byLink(ctx, linkToken)
	if err != nil {
		return err
	}
	now := s.now()
	if r.Status != keypad.CIBAPending || !now.Before(r.ExpiresAt) {
		return ErrCIBANotPending
	}
	var g *keypad.Grant
	var typed string // the binding code typed, for a client that needs one
	if approve {
		client, err := s.clients.GetClient(ctx, r.ClientID)
		if err != nil {
			return fmt.Errorf("ciba: read client: %w", err)
		}
		if client.Options.CIBA.RequireSignIn && signedIn != r.Subject {
			return ErrCIBASignInRequired
		}
		if client.Options.CIBA.RequireBindingCode {
			if typed = typedCode(code); typed == "" {
				return ErrCIBABindingCodeMissing
			}
		}
		if g, err = newGrant(s.rand, "", keypad.GrantCIBA, r.Subject, r.ClientID, r.Scopes, now); err != nil {
			return fmt.Errorf("ciba: %w", err)
		}
		if err := c.store.CreateGrant(ctx, g); err != nil {
			return fmt.Errorf("ciba: create grant: %w", err)
		}
	}
	if err := c.decide(ctx, r, g, typed); err != nil {
		if errors.Is(err, ErrCIBABindingCodeWrong) {
			c.record(ctx, "denied", r.ClientID, r.Subject, ip, "wrong binding code")
		}
		return err
	}
	name := "denied"
	if approve {
		name = "approved"
	}
	c.record(ctx, name, r.ClientID, r.Subject, ip, "")
	return nil
}

// decide marks a pending request approved with grant g, or denied when g
// is nil, in one conditional update, queueing the ping in ping mode. When
// typed is set (a client with RequireBindingCode) it is compared with the
// request's code inside that update, so that racing tries get one
// comparison per request: a wrong code denies (ErrCIBABindingCodeWrong).
// The grant is revoked again unless the request was approved with it.
func (c *cibaFlow) decide(ctx context.Context, r *keypad.CIBARequest, g *keypad.Grant, typed string) error {
	now := c.s.now()
	var wrong bool
	_, err := c.store.UpdateCIBARequest(ctx, r.Hash, func(r *keypad.CIBARequest) error {
		if r.Status != keypad.CIBAPending || !now.Before(r.ExpiresAt) {
			return ErrCIBANotPending
		}
		r.Status = keypad.CIBADenied
		wrong = g != nil && typed != "" && !bindingCodeMatches(typed, r.BindingMessage)
		if g != nil && !wrong {
			r.Status, r.GrantID, r.AuthTime = keypad.CIBAApproved, g.ID, now
		}
		if r.Mode == keypad.CIBAModePing {
			r.PingStatus, r.PingDueAt, r.PingAttempts = keypad.CIBAPingDue, now, 0
		}
		return nil
	})
	if err == nil && !wrong {
		return nil
	}
	if g != nil {
		if rerr := c.store.RevokeGrant(ctx, g.ID, now); rerr != nil {
			c.s.log.ErrorContext(ctx, "oauth: revoke unused ciba grant", "grant", g.ID, "err", rerr)
		}
	}
	if err == nil {
		return ErrCIBABindingCodeWrong
	}
	if errors.Is(err, ErrCIBANotPending) || errors.Is(err, keypad.ErrNotFound) {
		return ErrCIBANotPending
	}
	return fmt.Errorf("ciba: decide: %w", err)
}
