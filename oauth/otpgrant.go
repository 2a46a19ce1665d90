package oauth

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"

	"github.com/keypadauth/keypad"
)

// errOTPNoCode answers a redemption before any code was sent.
var errOTPNoCode = InvalidGrant("no code has been sent for this otp_session yet; call the send endpoint first")

// redeemRequest is step three of the flow, from the token endpoint or from
// the sign-in page (OTPVerify, client nil).
type redeemRequest struct {
	client  *keypad.Client
	purpose string
	handle  string
	code    string
	ip      string
}

// Grant is the OTP grant at the token endpoint (DESIGN.md, "OTP flow on
// the wire", step 3): grant_type urn:keypad:params:oauth:grant-type:otp
// with otp_session and otp. The dispatcher has authenticated the client
// and checked it may use the grant. A redeemed code becomes a Grant the
// person can see and revoke under "my devices", and tokens under it; a
// refresh token comes along when the client may use one. A resource
// parameter (RFC 8707 §2) becomes the tokens' aud; it is checked before
// the code is spent.
func (f *otpFlow) Grant(ctx context.Context, req *TokenRequest) (*TokenResponse, error) {
	aud, err := f.s.directAudience(req.Form)
	if err != nil {
		return nil, err
	}
	ip := ""
	if req.HTTP != nil {
		ip = f.clientIP(req.HTTP)
	}
	o, err := f.redeem(ctx, redeemRequest{
		client: req.Client, purpose: OTPPurposeToken,
		handle: req.Form.Get("otp_session"), code: req.Form.Get("otp"), ip: ip,
	})
	if err != nil {
		return nil, err
	}
	g, err := newGrant(f.s.rand, "", keypad.GrantOTP, o.Subject, req.Client.ID, o.Scopes, f.s.now())
	if err != nil {
		return nil, fmt.Errorf("otp grant: %w", err)
	}
	if err := f.store.CreateGrant(ctx, g); err != nil {
		return nil, fmt.Errorf("otp grant: create grant: %w", err)
	}
	return f.s.issue(ctx, keypad.GrantOTP, Issue{
		Client:   req.Client,
		Subject:  o.Subject,
		Scopes:   o.Scopes,
		Audience: aud,
		Grant:    g,
		Refresh:  req.Client.AllowsGrant(keypad.GrantRefreshToken),
	})
}

// redeem checks a typed code against the session's newest code in ONE
// UpdateOTPSession, which both decides and records: of any number of
// concurrent redemptions of the right code exactly one consumes the
// session, and every wrong code is counted, the last allowed one voiding
// the session. A decoy session takes the same path and never matches.
// It returns the consumed session.
func (f *otpFlow) redeem(ctx context.Context, req redeemRequest) (*keypad.OTPSession, error) {
	if req.handle == "" {
		return nil, InvalidRequest("otp_session is missing: send the otp_session the lookup returned")
	}
	code, err := f.normalizeCode(req.code)
	if err != nil {
		return nil, err
	}
	clientID := ""
	if req.client != nil {
		clientID = req.client.ID
	}
	now := f.s.now()
	hash := keypad.SecretHash(req.handle)
	ev := otpEvent{clientID: clientID, ip: req.ip}

	// A read first, for the person's cool-down; the verdict itself is the
	// update below.
	o, err := f.store.GetOTPSession(ctx, hash)
	if errors.Is(err, keypad.ErrNotFound) {
		return nil, errOTPSessionInvalid
	}
	if err != nil {
		return nil, fmt.Errorf("otp redeem: %w", err)
	}
	ev.subject = o.Subject
	if err := checkSession(o, clientID, req.purpose, now); err != nil {
		return nil, f.refused(ctx, ev, err)
	}
	if err := f.checkPerson(ctx, o, now); err != nil {
		return nil, f.refused(ctx, ev, err)
	}

	want := f.codeHash(hash, code)
	var verdict *Error
	o, err = f.store.UpdateOTPSession(ctx, hash, func(s *keypad.OTPSession) error {
		// fn may run again when the store retries a transaction, so it
		// starts from nothing every time.
		verdict = nil
		if err := checkSession(s, clientID, req.purpose, now); err != nil {
			return err
		}
		switch {
		case len(s.CodeHash) == 0:
			return errOTPNoCode
		case !now.Before(s.CodeExpiresAt):
			return errOTPCodeExpired
		}
		if hmac.Equal(s.CodeHash, want) && !s.Decoy {
			s.Status = keypad.OTPConsumed
			return nil
		}
		s.FailedAttempts++
		left := f.cfg.MaxAttempts - s.FailedAttempts
		if left <= 0 {
			s.Status = keypad.OTPVoid
			verdict = AccessDenied("wrong code, and that was the last allowed attempt: this otp_session is void; start again with a lookup")
			return nil
		}
		attempts := "attempts"
		if left == 1 {
			attempts = "attempt"
		}
		verdict = InvalidGrant("wrong code; %d %s left before this otp_session is void", left, attempts)
		verdict.Extra = map[string]any{"attempts_remaining": left}
		return nil
	})
	switch {
	case errors.Is(err, keypad.ErrNotFound):
		return nil, errOTPSessionInvalid
	case err != nil:
		return nil, f.refused(ctx, ev, err)
	case verdict != nil:
		ev.name = "code_rejected"
		if o.Status == keypad.OTPVoid {
			ev.name = "voided"
		}
		ev.detail = fmt.Sprintf("attempt %d of %d", o.FailedAttempts, f.cfg.MaxAttempts)
		f.record(ctx, ev)
		if err := f.personFailed(ctx, o, req.ip, now); err != nil {
			return nil, err
		}
		return nil, verdict
	}
	if err := f.personSucceeded(ctx, o); err != nil {
		f.s.log.ErrorContext(ctx, "oauth: reset otp failures", "err", err)
	}
	ev.name, ev.detail = "redeemed", "purpose="+o.Purpose
	f.record(ctx, ev)
	return o, nil
}

// refused records a redemption turned down before any code was compared
// and passes its error on.
func (f *otpFlow) refused(ctx context.Context, ev otpEvent, err error) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	ev.name = "redeem_refused"
	if e.Code == CodeExpiredToken {
		ev.name = "expired"
	}
	ev.detail = e.Description
	f.record(ctx, ev)
	return err
}
