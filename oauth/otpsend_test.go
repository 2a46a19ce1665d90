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

// TestOTPSendDeliveryFailure checks that a provider failure never
// reaches the client: the send answers as usual, the worker retries, and
// the message goes out once the provider is back, with the code the
// session holds.
func TestOTPSendDeliveryFailure(t *testing.T) {
	e := newOTPEnv(t, OTPConfig{})
	e.mustPerson("sub-heather", heather)
	c := mustChallenge(t, e.lookup("heather@example.com", ""))
	sms := c.channel(t, "sms")
	e.twilio.Fail(http.StatusServiceUnavailable, 0)
	ok := e.send(c.session, sms)
	if ok.status != http.StatusOK {
		t.Fatalf("send with the provider down: %d %s, want 200 (queued)", ok.status, ok.raw)
	}
	if n := otpEvents(t, e.env, "delivery_retry"); n != 1 {
		t.Errorf("delivery_retry events = %v, want 1", n)
	}
	if e.deliver() != 0 {
		t.Error("a retry ran before its back-off")
	}
	e.twilio.Fail(0, 0)
	e.clk.Advance(time.Second)
	if n := e.deliver(); n != 1 {
		t.Fatalf("retry after the back-off handled %d messages, want 1", n)
	}
	if got := len(e.twilio.Accepted()); got != 1 {
		t.Fatalf("texts accepted = %d, want 1", got)
	}
	if !slices.Contains(e.auditTypes(), "otp.delivered") {
		t.Errorf("audit log %v lacks otp.delivered", e.auditTypes())
	}
	wantTokens(t, e.redeem(c.session, e.smsCode()))
}

// TestOTPQueueSealed: the queued message holds the code, so the store
// keeps it only sealed, and drops it once delivered.
func TestOTPQueueSealed(t *testing.T) {
	e := newOTPEnv(t, OTPConfig{})
	e.mustPerson("sub-heather", heather)
	c := mustChallenge(t, e.lookup("heather@example.com", ""))
	e.mustSend(c.session, c.channel(t, "sms")) // the first send, delivered
	_ = e.smsCode()
	e.clk.Advance(DefaultOTPResendAfter)
	if r := e.sendOnly(c.session, c.channel(t, "sms")); r.status != http.StatusOK {
		t.Fatalf("send: %d %s", r.status, r.raw)
	}
	db := e.st.DB()
	var sealed []byte
	if err := db.QueryRow(`SELECT sealed FROM otp_sends WHERE id = 2`).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	if len(sealed) == 0 || strings.Contains(string(sealed), "is your code") {
		t.Fatalf("queued message stored as %q, want it sealed", sealed)
	}
	e.deliver()
	if code2 := e.smsCode(); strings.Contains(string(sealed), code2) {
		t.Errorf("the sealed message shows the code %s", code2)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM otp_sends WHERE sealed IS NOT NULL`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d delivered messages still stored, want none", n)
	}
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
