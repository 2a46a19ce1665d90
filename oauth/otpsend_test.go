package oauth

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
)

// TestOTPFlowSMS is DESIGN.md's kiosk story over a Twilio-speaking server:
// lookup by address, text, redeem, tokens.
func TestOTPFlowSMS(t *testing.T) {
	e := newOTPEnv(t, OTPConfig{})
	h := e.mustPerson("sub-heather", heather)
	c := mustChallenge(t, e.lookup("123 North Main Street Apt 4 62701", ""))

	r := e.send(c.session, c.channel(t, "sms"))
	if r.status != http.StatusOK {
		t.Fatalf("send: %d %s", r.status, r.raw)
	}
	for k, want := range map[string]float64{"expires_in": 600, "resend_after": 30, "code_length": 6} {
		if got := r.body[k]; got != want {
			t.Errorf("send %s = %v, want %v", k, got, want)
		}
	}
	msg := e.twilio.Last(t)
	if msg.Get("To") != "+14158674821" || msg.Get("From") != twilioFrom {
		t.Errorf("text To %q From %q, want +14158674821 from %s", msg.Get("To"), msg.Get("From"), twilioFrom)
	}
	body := msg.Get("Body")
	for _, want := range []string{kioskName, "read your energy usage history", "Expires in 10 minutes"} {
		if !strings.Contains(body, want) {
			t.Errorf("text %q does not say %q", body, want)
		}
	}
	code := e.smsCode()
	if o := e.session(c.session); len(o.CodeHash) == 0 || strings.Contains(string(o.CodeHash), code) {
		t.Errorf("stored code hash %x: want an HMAC, never the code", o.CodeHash)
	}

	tok := wantTokens(t, e.redeem(c.session, code))
	if tok.body["access_token"] == nil || tok.body["refresh_token"] == nil || tok.body["scope"] != usageScope {
		t.Errorf("token response %s: want access and refresh tokens for %s", tok.raw, usageScope)
	}
	grants, err := e.st.ListGrants(context.Background(), h.ID, "")
	if err != nil || len(grants) != 1 || grants[0].Flow != keypad.GrantOTP || grants[0].ClientID != e.kiosk.ID {
		t.Fatalf("grants of %s = %v (%v), want one OTP grant of the kiosk", h.ID, grants, err)
	}
	in := e.introspect(t, tok.body["access_token"].(string))
	if in["active"] != true || in["sub"] != h.ID {
		t.Errorf("introspection = %v, want active for %s", in, h.ID)
	}
	wantError(t, e.redeem(c.session, code), http.StatusBadRequest, CodeInvalidGrant)
	if got := issuedCount(t, e.env, keypad.GrantOTP, string(keypad.FormatOpaque)); got != 1 {
		t.Errorf("issued otp tokens = %v, want 1", got)
	}
	for _, ev := range []string{"lookup", "sent", "redeemed"} {
		if otpEvents(t, e.env, ev) != 1 {
			t.Errorf("otp event %s counted %v times, want 1", ev, otpEvents(t, e.env, ev))
		}
		if !slices.Contains(e.auditTypes(), "otp."+ev) {
			t.Errorf("audit log %v lacks otp.%s", e.auditTypes(), ev)
		}
	}
}

// introspect asks the introspection endpoint about tok, as a resource
// server client.
func (e *otpEnv) introspect(t *testing.T, tok string) map[string]any {
	t.Helper()
	rs := service("rs-"+tok[len(tok)-6:], keypad.FormatJWT)
	rs.Options.IntrospectAny = true // a resource server
	secret := e.mustClient(rs)
	r := e.post(PathIntrospect, map[string][]string{"token": {tok}}, basic("rs-"+tok[len(tok)-6:], secret))
	if r.status != http.StatusOK {
		t.Fatalf("introspect: %d %s", r.status, r.raw)
	}
	return r.body
}

// TestOTPFlowEmail runs the flow over a real SMTP server and reads the
// code out of the email.
func TestOTPFlowEmail(t *testing.T) {
	e := newOTPEnv(t, OTPConfig{})
	e.mustPerson("sub-heather", heather)
	c := mustChallenge(t, e.lookup("100-200-300", "account"))
	e.mustSend(c.session, c.channel(t, "email"))

	m := e.mail.Next(t)
	if !slices.Equal(m.To, []string{"heather@example.com"}) {
		t.Errorf("email to %v, want heather@example.com", m.To)
	}
	subject, text := mailText(t, m.Data)
	if !strings.Contains(subject, kioskName) {
		t.Errorf("subject %q does not name the client", subject)
	}
	if !strings.Contains(text, usageWords) {
		t.Errorf("email text does not describe the scope:\n%s", text)
	}
	got := emailCode.FindStringSubmatch(text)
	if got == nil {
		t.Fatalf("no code in the email:\n%s", text)
	}
	if len(e.twilio.Accepted()) != 0 {
		t.Error("an email send also sent a text")
	}
	wantTokens(t, e.redeem(c.session, got[1]))
}

func TestOTPSendResend(t *testing.T) {
	e := newOTPEnv(t, OTPConfig{})
	e.mustPerson("sub-heather", heather)
	c := mustChallenge(t, e.lookup("heather@example.com", ""))
	sms := c.channel(t, "sms")
	e.mustSend(c.session, sms)
	first := e.smsCode()

	t.Run("ErrTooEarly", func(t *testing.T) {
		r := e.send(c.session, sms)
		wantError(t, r, http.StatusTooManyRequests, CodeTooManyRequests)
		if got := r.header.Get("Retry-After"); got != "30" {
			t.Errorf("Retry-After = %q, want 30", got)
		}
		e.clk.Advance(29 * time.Second)
		r = e.send(c.session, sms)
		wantError(t, r, http.StatusTooManyRequests, CodeTooManyRequests)
		if got := r.header.Get("Retry-After"); got != "1" {
			t.Errorf("Retry-After = %q, want 1", got)
		}
		if len(e.twilio.Accepted()) != 1 {
			t.Errorf("texts sent = %d, want 1", len(e.twilio.Accepted()))
		}
	})

	t.Run("NewestOnly", func(t *testing.T) {
		e.clk.Advance(time.Second)
		e.mustSend(c.session, sms)
		second := e.smsCode()
		if second == first {
			t.Skip("the two codes happen to be equal")
		}
		r := e.redeem(c.session, first)
		wantError(t, r, http.StatusBadRequest, CodeInvalidGrant)
		wantTokens(t, e.redeem(c.session, second))
	})
}

func TestOTPSendMaxSends(t *testing.T) {
	e := newOTPEnv(t, OTPConfig{})
	e.mustPerson("sub-heather", heather)
	c := mustChallenge(t, e.lookup("heather@example.com", ""))
	email := c.channel(t, "email")
	for range DefaultOTPMaxSends {
		e.mustSend(c.session, email)
		e.clk.Advance(DefaultOTPResendAfter)
	}
	r := e.send(c.session, email)
	wantError(t, r, http.StatusTooManyRequests, CodeTooManyRequests)
	if r.header.Get("Retry-After") != "" {
		t.Errorf("Retry-After = %q, want none: waiting does not help", r.header.Get("Retry-After"))
	}
	if got := e.mail.Count(); got != DefaultOTPMaxSends {
		t.Errorf("emails = %d, want %d", got, DefaultOTPMaxSends)
	}
	if o := e.session(c.session); o.Sends != DefaultOTPMaxSends {
		t.Errorf("session sends = %d, want %d", o.Sends, DefaultOTPMaxSends)
	}
}

// TestOTPSendDeliveryFailure checks that a failed delivery answers
// clearly, is audited, and burns nothing: not the send, not the wait, not
// the code already sent.
func TestOTPSendDeliveryFailure(t *testing.T) {
	e := newOTPEnv(t, OTPConfig{})
	e.mustPerson("sub-heather", heather)
	c := mustChallenge(t, e.lookup("heather@example.com", ""))
	sms := c.channel(t, "sms")
	e.mustSend(c.session, sms)
	code := e.smsCode()
	e.clk.Advance(DefaultOTPResendAfter)
	before := e.session(c.session)

	t.Run("ErrTemporary", func(t *testing.T) {
		e.twilio.Fail(http.StatusServiceUnavailable, 0)
		r := e.send(c.session, sms)
		wantError(t, r, http.StatusServiceUnavailable, CodeTemporarilyUnavailable)
		after := e.session(c.session)
		f, _ := e.srv.otp()
		if string(after.CodeHash) != string(f.codeHash(keypad.SecretHash(c.session), code)) {
			t.Error("after a failed delivery the code already sent is no longer the valid one")
		}
		if after.Sends != before.Sends || !after.LastSentAt.Equal(before.LastSentAt) || string(after.CodeHash) != string(before.CodeHash) {
			t.Errorf("a failed delivery changed the session: sends %d→%d, last sent %v→%v, code changed %t",
				before.Sends, after.Sends, before.LastSentAt, after.LastSentAt, string(after.CodeHash) != string(before.CodeHash))
		}
	})

	t.Run("ErrPermanent", func(t *testing.T) {
		e.twilio.Fail(http.StatusBadRequest, 21211)
		r := e.send(c.session, sms)
		wantError(t, r, http.StatusBadRequest, CodeInvalidRequest)
		if d, _ := r.body["error_description"].(string); !strings.Contains(d, "phone number is not valid") || !strings.Contains(d, "another channel") {
			t.Errorf("error_description %q: want the reason and what to do", d)
		}
	})

	t.Run("OK", func(t *testing.T) {
		if n := otpEvents(t, e.env, "delivery_failed"); n != 2 {
			t.Errorf("delivery_failed events = %v, want 2", n)
		}
		if !slices.Contains(e.auditTypes(), "otp.delivery_failed") {
			t.Errorf("audit log %v lacks otp.delivery_failed", e.auditTypes())
		}
		// The provider is back: a send goes out at once (no wait was
		// spent), and the session still has its sends.
		e.twilio.Fail(0, 0)
		e.mustSend(c.session, sms)
		if o := e.session(c.session); o.Sends != 2 {
			t.Errorf("sends = %d, want 2 (the failures cost none)", o.Sends)
		}
	})

	t.Run("PreviousCodeKept", func(t *testing.T) {
		// A second session: a code out, then a failed resend; the first
		// code still works.
		c2 := mustChallenge(t, e.lookup("heather@example.com", ""))
		e.mustSend(c2.session, c2.channel(t, "email"))
		_, text := mailText(t, e.mail.Next(t).Data)
		code2 := emailCode.FindStringSubmatch(text)[1]
		e.clk.Advance(DefaultOTPResendAfter)
		e.twilio.Fail(http.StatusInternalServerError, 0)
		wantError(t, e.send(c2.session, c2.channel(t, "sms")), http.StatusServiceUnavailable, CodeTemporarilyUnavailable)
		wantTokens(t, e.redeem(c2.session, code2))
	})
}

func TestOTPSendErrors(t *testing.T) {
	e := newOTPEnv(t, OTPConfig{})
	e.mustPerson("sub-heather", heather)
	c := mustChallenge(t, e.lookup("heather@example.com", ""))

	t.Run("ErrUnknownChannel", func(t *testing.T) {
		wantError(t, e.send(c.session, "aaaaaaaaaaaaaaaa"), http.StatusBadRequest, CodeInvalidRequest)
	})
	t.Run("ErrMissing", func(t *testing.T) {
		wantError(t, e.send("", "x"), http.StatusBadRequest, CodeInvalidRequest)
		wantError(t, e.send(c.session, ""), http.StatusBadRequest, CodeInvalidRequest)
	})
	t.Run("ErrUnknownSession", func(t *testing.T) {
		wantError(t, e.send(keypad.PrefixOTPSession+"nope", c.channel(t, "sms")), http.StatusBadRequest, CodeInvalidGrant)
	})
	t.Run("ErrOtherClient", func(t *testing.T) {
		other := &keypad.Client{ID: "other", GrantTypes: []string{keypad.GrantOTP}, Scopes: []string{usageScope}}
		secret := e.mustClient(other)
		r := e.post(PathOTPSend, map[string][]string{"otp_session": {c.session}, "channel": {c.channel(t, "sms")}}, basic("other", secret))
		wantError(t, r, http.StatusBadRequest, CodeInvalidGrant)
	})
	t.Run("ErrExpired", func(t *testing.T) {
		e.clk.Advance(DefaultOTPSessionLifetime)
		wantError(t, e.send(c.session, c.channel(t, "sms")), http.StatusBadRequest, CodeExpiredToken)
	})
	if len(e.twilio.Accepted())+e.mail.Count() != 0 {
		t.Error("a refused send delivered something")
	}
}
