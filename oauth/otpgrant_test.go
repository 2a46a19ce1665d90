package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
)

// sentSession looks Heather up and texts her a code.
func (e *otpEnv) sentSession() (session, code string) {
	e.t.Helper()
	c := mustChallenge(e.t, e.lookup("heather@example.com", ""))
	e.mustSend(c.session, c.channel(e.t, "sms"))
	return c.session, e.smsCode()
}

func TestOTPGrantWrongCodes(t *testing.T) {
	e := newOTPEnv(t, OTPConfig{})
	e.mustPerson("sub-heather", heather)
	session, code := e.sentSession()

	for want := DefaultOTPMaxAttempts - 1; want >= 1; want-- {
		r := e.redeem(session, wrongCode(code))
		wantError(t, r, http.StatusBadRequest, CodeInvalidGrant)
		if got := r.body["attempts_remaining"]; got != float64(want) {
			t.Errorf("attempts_remaining = %v, want %d", got, want)
		}
		desc := fmt.Sprintf("wrong code; %d attempts left before this otp_session is void", want)
		if want == 1 {
			desc = "wrong code; 1 attempt left before this otp_session is void"
		}
		if got := r.body["error_description"]; got != desc {
			t.Errorf("error_description = %q, want %q", got, desc)
		}
	}
	wantError(t, e.redeem(session, wrongCode(code)), http.StatusBadRequest, CodeAccessDenied)
	if o := e.session(session); o.Status != keypad.OTPVoid || o.FailedAttempts != DefaultOTPMaxAttempts {
		t.Errorf("session = %s after %d failures, want void", o.Status, o.FailedAttempts)
	}
	// Void is void, even for the right code, and for a send.
	wantError(t, e.redeem(session, code), http.StatusBadRequest, CodeAccessDenied)
	e.clk.Advance(DefaultOTPResendAfter)
	wantError(t, e.send(session, e.session(session).Channels[0].ID), http.StatusBadRequest, CodeAccessDenied)
	if got := otpEvents(t, e.env, "code_rejected"); got != DefaultOTPMaxAttempts-1 {
		t.Errorf("code_rejected events = %v, want %d", got, DefaultOTPMaxAttempts-1)
	}
	if got := otpEvents(t, e.env, "voided"); got != 1 {
		t.Errorf("voided events = %v, want 1", got)
	}
}

func TestOTPGrantErrors(t *testing.T) {
	e := newOTPEnv(t, OTPConfig{})
	e.mustPerson("sub-heather", heather)

	t.Run("ErrMalformedCode", func(t *testing.T) {
		session, _ := e.sentSession()
		wantError(t, e.redeem(session, "12345"), http.StatusBadRequest, CodeInvalidRequest)
		wantError(t, e.redeem(session, ""), http.StatusBadRequest, CodeInvalidRequest)
		if o := e.session(session); o.FailedAttempts != 0 {
			t.Errorf("a malformed code cost %d attempts, want 0", o.FailedAttempts)
		}
	})
	t.Run("ErrNoCodeSent", func(t *testing.T) {
		c := mustChallenge(t, e.lookup("heather@example.com", ""))
		wantError(t, e.redeem(c.session, "123456"), http.StatusBadRequest, CodeInvalidGrant)
	})
	t.Run("ErrUnknownSession", func(t *testing.T) {
		wantError(t, e.redeem(keypad.PrefixOTPSession+"nope", "123456"), http.StatusBadRequest, CodeInvalidGrant)
		wantError(t, e.redeem("", "123456"), http.StatusBadRequest, CodeInvalidRequest)
	})
	t.Run("ErrOtherClient", func(t *testing.T) {
		session, code := e.sentSession()
		other := &keypad.Client{ID: "other", GrantTypes: []string{keypad.GrantOTP}, Scopes: []string{usageScope}}
		secret := e.mustClient(other)
		r := e.post(PathToken, url.Values{"grant_type": {keypad.GrantOTP}, "otp_session": {session}, "otp": {code}}, basic("other", secret))
		wantError(t, r, http.StatusBadRequest, CodeInvalidGrant)
		if o := e.session(session); o.FailedAttempts != 0 || o.Status != keypad.OTPPending {
			t.Errorf("another client's attempt changed the session: %+v", o)
		}
		// The kiosk that looked the person up still can.
		r = e.post(PathToken, url.Values{"grant_type": {keypad.GrantOTP}, "otp_session": {session}, "otp": {code}}, basic(e.kiosk.ID, e.secret))
		wantTokens(t, r)
	})
	t.Run("ErrNotAllowed", func(t *testing.T) {
		secret := e.mustClient(service("svc", keypad.FormatJWT, usageScope))
		r := e.post(PathToken, url.Values{"grant_type": {keypad.GrantOTP}, "otp_session": {"x"}, "otp": {"123456"}}, basic("svc", secret))
		wantError(t, r, http.StatusBadRequest, CodeUnauthorizedClient)
	})
	t.Run("NoRefreshWithoutGrant", func(t *testing.T) {
		c := &keypad.Client{ID: "kiosk2", Name: "Kiosk Two", GrantTypes: []string{keypad.GrantOTP}, Scopes: []string{usageScope}}
		secret := e.mustClient(c)
		lk := mustChallenge(t, e.lookupAs("kiosk2", secret, "heather@example.com", ""))
		r := e.post(PathOTPSend, url.Values{"otp_session": {lk.session}, "channel": {lk.channel(t, "sms")}}, basic("kiosk2", secret))
		if r.status != http.StatusOK {
			t.Fatalf("send: %d %s", r.status, r.raw)
		}
		e.deliver()
		tok := wantTokens(t, e.post(PathToken, url.Values{"grant_type": {keypad.GrantOTP}, "otp_session": {lk.session}, "otp": {e.smsCode()}}, basic("kiosk2", secret)))
		if tok.body["refresh_token"] != nil {
			t.Errorf("a client without refresh_token got one: %s", tok.raw)
		}
	})
}

func TestOTPGrantExpiry(t *testing.T) {
	e := newOTPEnv(t, OTPConfig{})
	e.mustPerson("sub-heather", heather)

	t.Run("ErrExpired", func(t *testing.T) {
		session, code := e.sentSession()
		e.clk.Advance(DefaultOTPCodeLifetime - time.Second)
		wantError(t, e.redeem(session, wrongCode(code)), http.StatusBadRequest, CodeInvalidGrant)
		e.clk.Advance(time.Second)
		wantError(t, e.redeem(session, code), http.StatusBadRequest, CodeExpiredToken)
		if got := otpEvents(t, e.env, "expired"); got != 1 {
			t.Errorf("expired events = %v, want 1", got)
		}
	})
	t.Run("OK", func(t *testing.T) {
		session, code := e.sentSession()
		e.clk.Advance(DefaultOTPCodeLifetime - time.Second)
		wantTokens(t, e.redeem(session, code))
	})
}

// TestOTPGrantConcurrentRedemption: 32 clients redeem the right code at
// once; exactly one gets tokens.
func TestOTPGrantConcurrentRedemption(t *testing.T) {
	e := newOTPEnv(t, OTPConfig{})
	e.mustPerson("sub-heather", heather)
	session, code := e.sentSession()

	const n = 32
	var wg sync.WaitGroup
	start := make(chan struct{})
	results := make([]response, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i] = e.redeem(session, code)
		}()
	}
	close(start)
	wg.Wait()
	ok := 0
	for _, r := range results {
		switch {
		case r.status == http.StatusOK:
			ok++
		case r.status == http.StatusBadRequest && r.body["error"] == CodeInvalidGrant:
		default:
			t.Errorf("redemption answered %d %s", r.status, r.raw)
		}
	}
	if ok != 1 {
		t.Errorf("%d redemptions got tokens, want exactly 1", ok)
	}
	grants, err := e.st.ListGrants(context.Background(), "sub-heather", "")
	if err != nil || len(grants) != 1 {
		t.Errorf("grants = %d (%v), want 1", len(grants), err)
	}
}

// TestOTPLogin drives the Go API the hosted sign-in page uses.
func TestOTPLogin(t *testing.T) {
	e := newOTPEnv(t, OTPConfig{LoginName: "Springfield Power"})
	e.mustPerson("sub-heather", heather)
	ctx := context.Background()

	ch, err := e.srv.OTPStart(ctx, "heather@example.com", "", "192.0.2.1", "")
	if err != nil {
		t.Fatalf("OTPStart: %v", err)
	}
	if len(ch.Channels) != 2 || ch.ExpiresIn != DefaultOTPSessionLifetime {
		t.Fatalf("challenge = %+v, want two channels for 10m", ch)
	}
	d, err := e.srv.OTPSend(ctx, ch.Session, ch.Channels[0].ID, "192.0.2.1")
	if err != nil {
		t.Fatalf("OTPSend: %v", err)
	}
	if d.CodeLength != 6 || d.ExpiresIn != DefaultOTPCodeLifetime {
		t.Errorf("delivery = %+v", d)
	}
	e.deliver()
	body := e.twilio.Last(t).Get("Body")
	if want := "to sign in to Springfield Power"; !regexpMatch(want, body) {
		t.Errorf("text %q does not say %q", body, want)
	}
	code := e.smsCode()

	// A login session is no good at the token endpoint.
	wantError(t, e.redeem(ch.Session, code), http.StatusBadRequest, CodeInvalidGrant)

	_, err = e.srv.OTPVerify(ctx, ch.Session, wrongCode(code), "192.0.2.1")
	var oe *Error
	if !errors.As(err, &oe) || oe.Code != CodeInvalidGrant || oe.Extra["attempts_remaining"] != DefaultOTPMaxAttempts-1 {
		t.Errorf("wrong code: %v (%+v), want invalid_grant with attempts_remaining", err, oe)
	}
	sub, err := e.srv.OTPVerify(ctx, ch.Session, code, "192.0.2.1")
	if err != nil || sub != "sub-heather" {
		t.Errorf("OTPVerify = %q, %v; want sub-heather", sub, err)
	}
	if _, err := e.srv.OTPVerify(ctx, ch.Session, code, "192.0.2.1"); !errors.As(err, &oe) || oe.Code != CodeInvalidGrant {
		t.Errorf("second OTPVerify = %v, want invalid_grant", err)
	}

	// A client's session is no good for sign-in.
	c := mustChallenge(t, e.lookup("heather@example.com", ""))
	if _, err := e.srv.OTPSend(ctx, c.session, c.channel(t, "email"), "192.0.2.1"); !errors.As(err, &oe) || oe.Code != CodeInvalidGrant {
		t.Errorf("OTPSend of a client session = %v, want invalid_grant", err)
	}
	// Unknown people get decoys here too.
	dc, err := e.srv.OTPStart(ctx, "stranger@example.com", "email", "192.0.2.1", "")
	if err != nil || len(dc.Channels) == 0 {
		t.Errorf("OTPStart of a stranger = %+v, %v; want decoy channels", dc, err)
	}

	plain := newEnv(t)
	if _, err := plain.srv.OTPStart(ctx, "x", "", "", ""); !errors.Is(err, ErrOTPDisabled) {
		t.Errorf("OTPStart without the flow = %v, want ErrOTPDisabled", err)
	}
}
