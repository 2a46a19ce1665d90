package oauth

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/notify"
	"github.com/keypadauth/keypad/ratelimit"
)

func TestOTPDailyCaps(t *testing.T) {
	t.Run("ErrPerDestination", func(t *testing.T) {
		e := newOTPEnv(t, OTPConfig{DailyPerDestination: 2})
		e.mustPerson("sub-heather", heather)
		for range 2 {
			c := mustChallenge(t, e.lookup("heather@example.com", ""))
			e.mustSend(c.session, c.channel(t, "sms"))
		}
		c := mustChallenge(t, e.lookup("heather@example.com", ""))
		r := e.send(c.session, c.channel(t, "sms"))
		wantError(t, r, http.StatusTooManyRequests, CodeTooManyRequests)
		if got := r.header.Get("Retry-After"); got != "86400" {
			t.Errorf("Retry-After = %q, want 86400", got)
		}
		// Another destination of the same person is fine.
		e.mustSend(c.session, c.channel(t, "email"))
		if len(e.twilio.Accepted()) != 2 {
			t.Errorf("texts = %d, want 2", len(e.twilio.Accepted()))
		}
		// A day later the cap starts again.
		e.clk.Advance(24 * time.Hour)
		c = mustChallenge(t, e.lookup("heather@example.com", ""))
		e.mustSend(c.session, c.channel(t, "sms"))
	})

	t.Run("ErrPerClient", func(t *testing.T) {
		e := newOTPEnv(t, OTPConfig{DailyPerClient: 2})
		for i, p := range []person{
			{Email: "one@example.com"}, {Email: "two@example.com"}, {Email: "three@example.com"},
		} {
			e.mustPerson("sub-"+string(rune('a'+i)), p)
		}
		for _, who := range []string{"one@example.com", "two@example.com"} {
			c := mustChallenge(t, e.lookup(who, ""))
			e.mustSend(c.session, c.channel(t, "email"))
		}
		c := mustChallenge(t, e.lookup("three@example.com", ""))
		wantError(t, e.send(c.session, c.channel(t, "email")), http.StatusTooManyRequests, CodeTooManyRequests)
		// Decoys count towards the cap and are refused alike.
		dc := mustChallenge(t, e.lookup("stranger@example.com", ""))
		wantError(t, e.send(dc.session, dc.channels[0]["id"].(string)), http.StatusTooManyRequests, CodeTooManyRequests)
		if got := e.mail.Count(); got != 2 {
			t.Errorf("emails = %d, want 2", got)
		}
	})
}

func TestOTPCountryAllowList(t *testing.T) {
	uk := person{Email: "pat@example.co.uk", Phone: "+44 7400 123456", Account: "UK-7777"}

	t.Run("ErrNotOffered", func(t *testing.T) {
		e := newOTPEnv(t, OTPConfig{})
		e.mustPerson("sub-uk", uk)
		c := mustChallenge(t, e.lookup("UK-7777", "account"))
		if len(c.channels) != 1 || c.channels[0]["type"] != "email" {
			t.Errorf("channels = %v, want email only: texts to GB are not enabled", c.channels)
		}
		// A decoy for a GB number offers no text either.
		d := mustChallenge(t, e.lookup("+44 7400 123457", "phone"))
		for _, ch := range d.channels {
			if ch["type"] == "sms" {
				t.Errorf("decoy for a GB number offers a text: %v", d.channels)
			}
		}
	})

	t.Run("OK", func(t *testing.T) {
		e := newOTPEnv(t, OTPConfig{SMSCountries: []string{"us", "GB"}})
		e.mustPerson("sub-uk", uk)
		c := mustChallenge(t, e.lookup("UK-7777", "account"))
		e.mustSend(c.session, c.channel(t, "sms"))
		if got := e.twilio.Last(t).Get("To"); got != "+447400123456" {
			t.Errorf("text to %q, want +447911123456", got)
		}
	})

	t.Run("ErrCountryRemoved", func(t *testing.T) {
		// A session from before the allow-list changed still cannot text.
		e := newOTPEnv(t, OTPConfig{SMSCountries: []string{"US", "GB"}})
		e.mustPerson("sub-uk", uk)
		c := mustChallenge(t, e.lookup("UK-7777", "account"))
		f, _ := e.srv.otp()
		delete(f.countries, "GB")
		r := e.send(c.session, c.channel(t, "sms"))
		wantError(t, r, http.StatusBadRequest, CodeInvalidRequest)
		if len(e.twilio.Accepted()) != 0 {
			t.Error("a text went to a country not allowed")
		}
	})
}

// TestOTPPersonCooldown: wrong codes in a row, across sessions, cool the
// person down; a right code forgets them.
func TestOTPPersonCooldown(t *testing.T) {
	e := newOTPEnv(t, OTPConfig{MaxPersonFailures: 3, PersonCooldown: time.Hour})
	e.mustPerson("sub-heather", heather)

	s1, c1 := e.sentSession()
	for range 2 {
		wantError(t, e.redeem(s1, wrongCode(c1)), http.StatusBadRequest, CodeInvalidGrant)
	}
	wantTokens(t, e.redeem(s1, c1)) // resets the count

	s2, c2 := e.sentSession()
	for range 2 {
		wantError(t, e.redeem(s2, wrongCode(c2)), http.StatusBadRequest, CodeInvalidGrant)
	}
	if o := e.session(s2); o.Status != keypad.OTPPending {
		t.Fatalf("session is %s after 2 failures", o.Status)
	}
	wantError(t, e.redeem(s2, wrongCode(c2)), http.StatusBadRequest, CodeInvalidGrant) // the 3rd in a row
	r := e.redeem(s2, c2)
	wantError(t, r, http.StatusTooManyRequests, CodeTooManyRequests)
	if got := r.header.Get("Retry-After"); got != "3600" {
		t.Errorf("Retry-After = %q, want 3600", got)
	}
	c := mustChallenge(t, e.lookup("heather@example.com", ""))
	wantError(t, e.send(c.session, c.channel(t, "email")), http.StatusTooManyRequests, CodeTooManyRequests)
	if got := otpEvents(t, e.env, "person_cooldown"); got != 1 {
		t.Errorf("person_cooldown events = %v, want 1", got)
	}

	// After the cool-down the person can receive and redeem codes again.
	e.clk.Advance(time.Hour)
	s3, c3 := e.sentSession()
	wantTokens(t, e.redeem(s3, c3))
}

func TestOTPConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  OTPConfig
		want string // "" means valid
	}{
		{"OK", OTPConfig{}, ""},
		{"OKExplicit", OTPConfig{CodeLength: 8, CodeLifetime: 5 * time.Minute, ResendAfter: time.Minute, SMSCountries: []string{"gb"}}, ""},
		{"OKNoSMS", OTPConfig{SMSCountries: []string{}}, ""},
		{"ErrShortCode", OTPConfig{CodeLength: 4}, "code length"},
		{"ErrLongCode", OTPConfig{CodeLength: 11}, "code length"},
		{"ErrLongLife", OTPConfig{CodeLifetime: 11 * time.Minute}, "code lifetime"},
		{"ErrAttempts", OTPConfig{MaxAttempts: 11}, "max attempts"},
		{"ErrResendFraction", OTPConfig{ResendAfter: 30500 * time.Millisecond}, "whole seconds"},
		{"ErrResendShort", OTPConfig{ResendAfter: time.Second}, "resend wait"},
		{"ErrResendLong", OTPConfig{CodeLifetime: 2 * time.Minute, ResendAfter: 3 * time.Minute}, "not shorter"},
		{"ErrSends", OTPConfig{MaxSends: -1}, "max sends"},
		{"ErrPerDest", OTPConfig{DailyPerDestination: 101}, "per destination"},
		{"ErrPersonFailures", OTPConfig{MaxPersonFailures: 101}, "failures per person"},
		{"ErrCountry", OTPConfig{SMSCountries: []string{"XX"}}, "SMS country"},
		{"ErrRegion", OTPConfig{Region: "USA"}, "region"},
		{"ErrLookup", OTPConfig{LookupLimit: ratelimit.Limit{Max: 10, Window: time.Millisecond}}, "lookup limit window"},
		{"ErrLoginName", OTPConfig{LoginName: "  "}, "login name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Validate() = %v, want an error about %q", err, tt.want)
			}
		})
	}
}

// TestOTPDailyCapRace sends over many sessions of one person at once: the
// cap per destination lets exactly its number of texts through, however
// the requests interleave (the cap is charged before the send, and the
// refused take their charge back).
func TestOTPDailyCapRace(t *testing.T) {
	const limit, racers = 3, 12
	e := newOTPEnv(t, OTPConfig{DailyPerDestination: limit})
	e.mustPerson("sub-heather", heather)
	type target struct{ session, channel string }
	targets := make([]target, racers)
	for i := range targets {
		c := mustChallenge(t, e.lookup("heather@example.com", ""))
		targets[i] = target{c.session, c.channel(t, "sms")}
	}
	statuses := make([]int, racers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, tg := range targets {
		wg.Go(func() {
			<-start
			form := url.Values{"otp_session": {tg.session}, "channel": {tg.channel}}
			req, _ := http.NewRequest(http.MethodPost, e.ts.URL+PathOTPSend, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			basic(e.kiosk.ID, e.secret)(req)
			resp, err := e.ts.Client().Do(req)
			if err != nil {
				t.Errorf("send %d: %v", i, err)
				return
			}
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		})
	}
	close(start)
	wg.Wait()
	e.deliver()
	ok, limited := 0, 0
	for _, s := range statuses {
		switch s {
		case http.StatusOK:
			ok++
		case http.StatusTooManyRequests:
			limited++
		}
	}
	if ok != limit || limited != racers-limit {
		t.Errorf("statuses %v: %d sent and %d refused, want %d and %d", statuses, ok, limited, limit, racers-limit)
	}
	if got := len(e.twilio.Accepted()); got != limit {
		t.Errorf("texts delivered = %d, want exactly the cap, %d", got, limit)
	}
}

// TestOTPFailedDeliveryCostsNoCap checks that a message the provider
// never accepts is retried with back-off, then given up, and takes back
// its charge against the daily caps: with a cap of one, a failed text and
// then a delivered one both fit. The delivered one is paid for.
func TestOTPFailedDeliveryCostsNoCap(t *testing.T) {
	e := newOTPEnv(t, OTPConfig{DailyPerDestination: 1, DailyPerClient: 1})
	e.mustPerson("sub-heather", heather)
	c := mustChallenge(t, e.lookup("heather@example.com", ""))
	e.twilio.Fail(http.StatusServiceUnavailable, 20429)
	e.mustSend(c.session, c.channel(t, "sms")) // queued; the first try failed
	f, _ := e.srv.otp()
	tries := 1
	for start := e.clk.Now(); e.clk.Now().Sub(start) <= f.queue.giveUpAfter(); {
		e.clk.Advance(otpRetryMax)
		tries += e.deliver()
	}
	if got := len(e.twilio.Requests()); got != tries || tries < 3 {
		t.Errorf("provider tried %d times, worker tried %d: want equal and several (retries with back-off)", got, tries)
	}
	if n := otpEvents(t, e.env, "delivery_failed"); n != 1 {
		t.Errorf("delivery_failed events = %v, want 1 (given up once)", n)
	}
	if e.deliver() != 0 {
		t.Error("a message given up on is still in the queue")
	}
	if o := e.session(c.session); o.Sends != 0 {
		t.Errorf("session sends = %d after the give-up, want 0 (given back)", o.Sends)
	}
	e.twilio.Fail(0, 0)
	c = mustChallenge(t, e.lookup("heather@example.com", ""))
	e.mustSend(c.session, c.channel(t, "sms"))
	if got := len(e.twilio.Accepted()); got != 1 {
		t.Errorf("texts delivered = %d, want 1", got)
	}
	// The one unit of both caps is now spent: the delivered text is paid.
	c = mustChallenge(t, e.lookup("heather@example.com", ""))
	wantError(t, e.send(c.session, c.channel(t, "sms")), http.StatusTooManyRequests, CodeTooManyRequests)
}

// TestOTPRejectedDeliveryRefundsAtOnce: a destination the provider
// refuses for good is not retried; its charges come back at once.
func TestOTPRejectedDeliveryRefundsAtOnce(t *testing.T) {
	e := newOTPEnv(t, OTPConfig{DailyPerDestination: 1})
	e.mustPerson("sub-heather", heather)
	c := mustChallenge(t, e.lookup("heather@example.com", ""))
	e.twilio.Fail(http.StatusBadRequest, 21211)
	e.mustSend(c.session, c.channel(t, "sms"))
	e.clk.Advance(time.Hour)
	if n := e.deliver(); n != 0 {
		t.Errorf("a refused message was tried again (%d)", n)
	}
	if got := len(e.twilio.Requests()); got != 1 {
		t.Errorf("provider asked %d times, want once", got)
	}
	e.twilio.Fail(0, 0)
	c = mustChallenge(t, e.lookup("heather@example.com", ""))
	e.mustSend(c.session, c.channel(t, "sms"))
	if got := len(e.twilio.Accepted()); got != 1 {
		t.Errorf("texts delivered after the refund = %d, want 1", got)
	}
}

// hangUp is an SMS sender that stops the worker (as a shutdown does)
// just as the message goes to the provider: it cancels the worker's
// context, then sends.
type hangUp struct {
	cancel context.CancelFunc
	next   notify.Sender
}

func (h hangUp) Send(ctx context.Context, m notify.Message) error {
	h.cancel()
	return h.next.Send(ctx, m)
}

// TestOTPSendOutlivesTheWorker: a worker stopped while its text is on the
// way finishes the send and records it, so the text is paid for and its
// code works (a stop must never refund a text that went out, nor send it
// twice).
func TestOTPSendOutlivesTheWorker(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := newOTPEnv(t, OTPConfig{DailyPerDestination: 1}, func(d *OTPDeps) {
		d.Router.SMS = hangUp{cancel: cancel, next: d.Router.SMS}
	})
	e.mustPerson("sub-heather", heather)
	c := mustChallenge(t, e.lookup("heather@example.com", ""))
	if r := e.sendOnly(c.session, c.channel(t, "sms")); r.status != http.StatusOK {
		t.Fatalf("send: %d %s", r.status, r.raw)
	}
	if n, err := e.srv.DeliverOTPQueue(ctx); n != 1 || err != nil {
		t.Fatalf("DeliverOTPQueue stopped mid-send = %d, %v; want the one message handled", n, err)
	}
	if got := len(e.twilio.Accepted()); got != 1 {
		t.Fatalf("texts accepted by the provider = %d, want 1", got)
	}
	if e.deliver() != 0 {
		t.Error("the message sent during the stop is still queued: it would go out twice")
	}
	// The text went out, so the day's one text for this number is spent,
	// and its code works.
	c2 := mustChallenge(t, e.lookup("heather@example.com", ""))
	wantError(t, e.send(c2.session, c2.channel(t, "sms")), http.StatusTooManyRequests, CodeTooManyRequests)
	if r := e.redeem(c.session, e.smsCode()); r.status != http.StatusOK {
		t.Errorf("the code of the text sent while the worker stopped: %d %s, want a token", r.status, r.raw)
	}
}
