package oauth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/keypadauth/keypad"
)

// cibaSlowDown is what each too-early poll adds to a request's interval
// (CIBA Core §11, as RFC 8628 §3.5).
const cibaSlowDown = 5 * time.Second

// Answers about an auth_req_id that cannot be used. An unknown one, one
// of another client, and a decoy's read alike until they expire.
var (
	errCIBAInvalid  = InvalidGrant("the auth_req_id is not valid; start again at the backchannel authentication endpoint")
	errCIBAUsed     = InvalidGrant("the auth_req_id was already used; start again at the backchannel authentication endpoint")
	errCIBAExpired  = NewError(CodeExpiredToken, "the auth_req_id expired before the person approved; start again at the backchannel authentication endpoint")
	errCIBADenied   = AccessDenied("the person denied the request")
	errCIBAPending  = NewError(CodeAuthorizationPending, "the person has not approved yet; poll again after the interval")
	errCIBASlowDown = NewError(CodeSlowDown, "polling too fast: wait the interval, now 5 seconds longer, between polls")
)

// Grant is the CIBA grant at the token endpoint (CIBA Core §10.1):
// grant_type urn:openid:params:grant-type:ciba with auth_req_id. One
// UpdateCIBARequest decides and records: a poll too early raises the
// persisted interval (slow_down), a pending request records the poll,
// and of any number of concurrent requests for an approved one exactly
// one consumes it and gets the tokens, on one instance or many.
func (c *cibaFlow) Grant(ctx context.Context, req *TokenRequest) (*TokenResponse, error) {
	id := req.Form.Get("auth_req_id")
	if id == "" {
		return nil, InvalidRequest("auth_req_id is missing: send the auth_req_id the backchannel authentication endpoint returned")
	}
	// RFC 8707 §2: the resource the access token is for, checked before
	// the request is used up.
	aud, err := c.s.directAudience(req.Form)
	if err != nil {
		return nil, err
	}
	now := c.s.now()
	var verdict *Error
	r, err := c.store.UpdateCIBARequest(ctx, keypad.SecretHash(id), func(r *keypad.CIBARequest) error {
		verdict = nil // fn may run again when the store retries
		switch {
		case r.ClientID != req.Client.ID:
			return errCIBAInvalid
		case r.Status == keypad.CIBAConsumed:
			return errCIBAUsed
		case r.Status == keypad.CIBADenied:
			return errCIBADenied
		case !now.Before(r.ExpiresAt):
			return errCIBAExpired
		case r.Status == keypad.CIBAApproved:
			r.Status = keypad.CIBAConsumed
			return nil
		case r.Status != keypad.CIBAPending:
			return fmt.Errorf("ciba request has unknown status %q", r.Status)
		}
		verdict = errCIBAPending
		if r.Mode == keypad.CIBAModePoll && !r.LastPollAt.IsZero() && now.Before(r.LastPollAt.Add(r.Interval)) {
			r.Interval += cibaSlowDown
			verdict = errCIBASlowDown
		}
		r.LastPollAt = now
		return nil
	})
	switch {
	case errors.Is(err, keypad.ErrNotFound):
		return nil, errCIBAInvalid
	case err != nil:
		return nil, err
	case verdict != nil:
		return nil, verdict
	}
	g, err := c.store.GetGrant(ctx, r.GrantID)
	if err != nil {
		return nil, fmt.Errorf("ciba grant: read grant: %w", err)
	}
	c.record(ctx, "redeemed", r.ClientID, r.Subject, "", "")
	is := Issue{
		Client: req.Client, Subject: r.Subject, Scopes: r.Scopes, Audience: aud, Grant: g,
		Refresh: wantsRefresh(req.Client, r.Scopes),
	}
	if hasScope(r.Scopes, "openid") {
		is.idToken = &idTokenFacts{subject: r.Subject, authTime: r.AuthTime, ttl: c.cfg.IDTokenTTL}
	}
	return c.s.issue(ctx, keypad.GrantCIBA, is)
}
