package kiosk

import (
	"html"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/config"
	"github.com/keypadauth/keypad/examples/energy"
)

// Every test here runs the kiosk against a real keypad (testKeypad) and
// the real energy API; the person's phone is keypad's dev outbox.

func TestHappyPath(t *testing.T) {
	t.Parallel()
	e := newEnv(t, setup{})
	b := e.browser(t)

	_, page := b.get("/")
	mustSee(t, page, "Your street address", `action="/lookup"`)

	_, page = b.post("/lookup", url.Values{"identifier": {"123 Main Street"}})
	if b.url != "/channel" {
		t.Fatalf("after lookup at %s, want /channel; page:\n%s", b.url, page)
	}
	mustSee(t, page, "Text (•••) •••-4821", "Email h•••@e•••.com")
	// keypad told the address apart from the other identifier types by
	// itself, and found Heather for the kiosk.
	if ev := e.keypad.lastOTPEvent(t); ev.Type != "otp.lookup" || ev.ClientID != kioskID || ev.Subject != heather.sub ||
		!strings.Contains(ev.Detail, "identifier_type=address result=found") {
		t.Errorf("keypad's lookup = %+v, want Heather found by address for %s", ev, kioskID)
	}
	e.keypad.mustHaveSent(t, 0)

	_, page = b.choose("Text (•••) •••-4821")
	if b.url != "/code" {
		t.Fatalf("after send at %s, want /code; page:\n%s", b.url, page)
	}
	mustSee(t, page, "6-digit code by text to (•••) •••-4821", "10 minutes",
		`inputmode="numeric"`, `autocomplete="one-time-code"`, `maxlength="6"`)
	text := e.keypad.mustHaveSent(t, 1)[0]
	if text.Channel != "sms" || text.To != "+15415554821" || text.Code == "" ||
		!strings.Contains(text.Body, kioskName) || !strings.Contains(text.Body, usageWords) {
		t.Fatalf("the text = %+v, want a code to Heather's phone saying %s wants to %s", text, kioskName, usageWords)
	}

	_, page = b.post("/verify", url.Values{"otp": {text.Code}})
	if b.url != "/audit" {
		t.Fatalf("after verify at %s, want /audit; page:\n%s", b.url, page)
	}
	// The audit shows Heather's real numbers: the last 12 of the 13
	// months the energy API generates for her.
	months := energy.GenerateUsage(42, heather.rec.Account, 13, dataEnd).Months()[1:]
	var wh int64
	var cost float64
	for _, m := range months {
		wh += m.Wh
		cost += energy.Cost(m.Wh, 0.16)
	}
	slices.SortFunc(months, func(a, b energy.Month) int { return int(b.Wh - a.Wh) })
	mustSee(t, page, number(float64(wh)/1000)+" kWh", money(cost, "USD"),
		"<strong>"+months[0].Start.Format("January")+"</strong>",
		"<strong>"+months[1].Start.Format("January")+"</strong>",
		"<svg", "Switch to LED bulbs", "Rooftop solar", "Charging an electric car", `action="/done"`)
	tok := e.accessToken(t)
	if strings.Contains(page, tok) {
		t.Error("the access token appears in the audit page")
	}
	if in := e.keypad.introspect(t, tok); in["active"] != true || in["sub"] != heather.sub ||
		in["scope"] != scopeUsage || in["client_id"] != kioskID {
		t.Errorf("keypad says the visit's token is %v, want active, Heather's, %s, for %s", in, scopeUsage, kioskID)
	}

	_, page = b.post("/done", nil)
	if b.url != "/?m=done" {
		t.Errorf("after done at %s, want /?m=done", b.url)
	}
	mustSee(t, page, "forgotten")
	if n := e.k.visits.len(); n != 0 {
		t.Errorf("%d visits kept after Done, want 0", n)
	}
	if in := e.keypad.introspect(t, tok); in["active"] != false {
		t.Errorf("after Done keypad says the token is %v, want revoked (active false)", in)
	}
	if b.get("/audit"); b.url != "/" {
		t.Errorf("audit after Done lands on %s, want /", b.url)
	}
}

func TestAmbiguousAddress(t *testing.T) {
	t.Parallel()
	// keypad lists the identifier types that tell the sharers apart,
	// account number first; the lodgers have none, only phone numbers.
	for _, tt := range []struct {
		name, address, wantLabel, wantType string
	}{
		{"OKAskAccount", "88 Elm Street", "account number", "account"},
		{"OKAskPhone", "9 Shared Lane", "phone number", "phone"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, setup{})
			b := e.browser(t)
			_, page := b.post("/lookup", url.Values{"identifier": {tt.address}})
			mustSee(t, page, "More than one account uses this address", "type your "+tt.wantLabel,
				`name="identifier_type" value="`+tt.wantType+`"`)
			if ev := e.keypad.lastOTPEvent(t); ev.Type != "otp.ambiguous" || !strings.Contains(ev.Detail, "matches=2") {
				t.Errorf("keypad's lookup = %+v, want ambiguous between 2 people", ev)
			}
			if n := e.k.visits.len(); n != 0 {
				t.Errorf("%d visits started, want none before someone is found", n)
			}
		})
	}
	for _, tt := range []struct {
		name, address, typ, value string
		who                       customer
		wantLabel                 string
	}{
		{"OKAccountFindsOne", "88 Elm Street", "account", "100200311", dana, "Text (•••) •••-0111"},
		{"OKPhoneFindsOne", "9 Shared Lane", "phone", "541-555-0144", lodgers[1], "Text (•••) •••-0144"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, setup{})
			b := e.browser(t)
			b.post("/lookup", url.Values{"identifier": {tt.address}})
			_, page := b.post("/lookup", url.Values{"identifier": {tt.value}, "identifier_type": {tt.typ}})
			if b.url != "/channel" {
				t.Fatalf("at %s, want /channel; page:\n%s", b.url, page)
			}
			if got := b.labels(); !slices.Equal(got, []string{tt.wantLabel}) {
				t.Errorf("channels %q, want only %q", got, tt.wantLabel)
			}
			if ev := e.keypad.lastOTPEvent(t); ev.Type != "otp.lookup" || ev.Subject != tt.who.sub ||
				!strings.Contains(ev.Detail, "identifier_type="+tt.typ+" result=found") {
				t.Errorf("keypad's second lookup = %+v, want %s found by %s", ev, tt.who.sub, tt.typ)
			}
		})
	}
}

func TestUnknownAddress(t *testing.T) {
	t.Parallel()
	t.Run("OKDecoy", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, setup{})
		b := e.browser(t)
		_, page := b.post("/lookup", url.Values{"identifier": {"1 Nowhere Rd"}})
		if b.url != "/channel" {
			t.Fatalf("a decoy lookup lands on %s, want /channel like any other; page:\n%s", b.url, page)
		}
		labels := b.labels()
		for _, l := range labels {
			if !strings.HasPrefix(l, "Text (•••) •••-") && !strings.HasPrefix(l, "Email ") {
				t.Errorf("decoy channel %q does not look like a person's", l)
			}
		}
		if len(labels) == 0 {
			t.Fatalf("no channels offered; page:\n%s", page)
		}
		if b.choose(labels[0]); b.url != "/code" {
			t.Fatalf("a decoy send lands on %s, want /code like any other", b.url)
		}
		_, page = b.post("/verify", url.Values{"otp": {"000000"}})
		mustSee(t, page, "That code isn&#39;t right", "You have 4 tries left.")
		e.keypad.mustHaveSent(t, 0)
		if ev := e.keypad.otpEvents(t); len(ev) == 0 || ev[0].Subject != "" || !strings.Contains(ev[0].Detail, "result=unknown,decoy") {
			t.Errorf("keypad's lookup = %+v, want a decoy for nobody", ev)
		}
	})
	t.Run("ErrExplicit", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, setup{client: func(c *keypad.Client) { c.Options.ExplicitUnknownIdentifier = true }})
		b := e.browser(t)
		_, page := b.post("/lookup", url.Values{"identifier": {"1 Nowhere Rd"}})
		mustSee(t, page, "We couldn&#39;t find an account for “1 Nowhere Rd”", `value="1 Nowhere Rd"`)
		if ev := e.keypad.lastOTPEvent(t); ev.Type != "otp.lookup" || !strings.Contains(ev.Detail, "result=unknown") {
			t.Errorf("keypad's lookup = %+v, want unknown", ev)
		}
	})
	t.Run("ErrEmpty", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, setup{})
		_, page := e.browser(t).post("/lookup", url.Values{"identifier": {"  "}})
		mustSee(t, page, "Please type your street address")
		if ev := e.keypad.otpEvents(t); len(ev) != 0 {
			t.Errorf("an empty address reached keypad: %+v", ev[0])
		}
	})
}

func TestWrongCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t, setup{})
	b := e.browser(t)
	b.atCode()

	_, page := b.post("/verify", url.Values{"otp": {"12345"}})
	mustSee(t, page, "Please type the 6 digits")
	if ev := e.keypad.lastOTPEvent(t); ev.Type != "otp.sent" {
		t.Errorf("keypad's last event is %+v, want the send: a short code is not worth a try", ev)
	}
	wrong := "000000"
	if e.keypad.lastCode(t) == wrong {
		wrong = "111111"
	}
	_, page = b.post("/verify", url.Values{"otp": {wrong}})
	mustSee(t, page, "That code isn&#39;t right", "You have 4 tries left.")
	for range 3 {
		_, page = b.post("/verify", url.Values{"otp": {wrong}})
	}
	mustSee(t, page, "You have 1 try left.")
	_, page = b.post("/verify", url.Values{"otp": {wrong}})
	mustSee(t, page, "Too many wrong codes", `href="/"`)
	if ev := e.keypad.lastOTPEvent(t); ev.Type != "otp.voided" {
		t.Errorf("keypad's last event is %+v, want the session voided", ev)
	}
	if b.get("/code"); b.url != "/" {
		t.Errorf("code screen after too many tries lands on %s, want the start", b.url)
	}
}

func TestExpiredCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t, setup{keypad: func(c *config.Config) { c.OTP.CodeLifetime = time.Minute }})
	b := e.browser(t)
	mustSee(t, b.atCode(), "It works for 1 minute.")
	code := e.keypad.lastCode(t)
	e.clock.Advance(time.Minute)
	_, page := b.post("/verify", url.Values{"otp": {code}})
	mustSee(t, page, "Your code has expired", "start over")
	if ev := e.keypad.lastOTPEvent(t); ev.Type != "otp.expired" || !strings.Contains(ev.Detail, "the code expired") {
		t.Errorf("keypad's last event is %+v, want the code expired", ev)
	}
	if n := e.k.visits.len(); n != 0 {
		t.Errorf("%d visits kept, want 0", n)
	}
}

func TestResend(t *testing.T) {
	t.Parallel()
	// One wrong code in a row puts the person in keypad's cool-down for a
	// minute, which keypad enforces with 429 and Retry-After.
	e := newEnv(t, setup{keypad: func(c *config.Config) {
		c.OTP.MaxPersonFailures, c.OTP.PersonCooldown = 1, time.Minute
	}})
	b := e.browser(t)
	b.atCode()
	first := e.keypad.lastCode(t)

	t.Run("ErrTooSoonKioskWaits", func(t *testing.T) {
		e.clock.Advance(10 * time.Second)
		_, page := b.resend()
		mustSee(t, page, "You can ask for a new code in 20 seconds.", `name="otp"`)
		e.keypad.mustHaveSent(t, 1)
		if ev := e.keypad.lastOTPEvent(t); ev.Type != "otp.sent" {
			t.Errorf("keypad's last event is %+v: the kiosk should not have asked", ev)
		}
	})
	t.Run("OK", func(t *testing.T) {
		e.clock.Advance(20 * time.Second) // resend_after, 30 s after the first send
		_, page := b.resend()
		if b.url != "/code" {
			t.Fatalf("at %s, want /code; page:\n%s", b.url, page)
		}
		if box := e.keypad.mustHaveSent(t, 2); box[0].Code == first {
			t.Fatalf("the new code is the old one, %s", first)
		}
		// Only the newest code is valid.
		_, page = b.post("/verify", url.Values{"otp": {first}})
		mustSee(t, page, "That code isn&#39;t right", "You have 4 tries left.")
	})
	t.Run("Err429RetryAfter", func(t *testing.T) {
		e.clock.Advance(30 * time.Second)
		_, page := b.resend()
		mustSee(t, page, "You can ask for a new code in 60 seconds.", `name="otp"`)
		e.keypad.mustHaveSent(t, 2)
		if ev := e.keypad.lastOTPEvent(t); ev.Type != "otp.send_refused" {
			t.Errorf("keypad's last event is %+v, want the send refused", ev)
		}
	})
	t.Run("OKAfterRetryAfter", func(t *testing.T) {
		e.clock.Advance(59 * time.Second)
		_, page := b.resend()
		mustSee(t, page, "You can ask for a new code in 1 second.")
		e.keypad.mustHaveSent(t, 2)
		e.clock.Advance(time.Second)
		_, page = b.resend()
		if b.url != "/code" {
			t.Fatalf("at %s, want /code; page:\n%s", b.url, page)
		}
		e.keypad.mustHaveSent(t, 3)
		b.post("/verify", url.Values{"otp": {e.keypad.lastCode(t)}})
		if b.url != "/audit" {
			t.Errorf("the new code lands on %s, want /audit", b.url)
		}
	})
}

func TestDeliveryFailure(t *testing.T) {
	t.Parallel()
	tw := newTwilioOutage(t)
	e := newEnv(t, setup{keypad: tw.configure})
	b := e.browser(t)
	b.post("/lookup", url.Values{"identifier": {"123 Main Street"}})
	email := ""
	for _, m := range channelButton.FindAllStringSubmatch(b.page, -1) {
		if m[2] == "Email h•••@e•••.com" {
			email = html.UnescapeString(m[1])
		}
	}
	// keypad queues the text and answers at once: the kiosk asks for the
	// code; the outage reaches only keypad's worker.
	if b.choose("Text (•••) •••-4821"); b.url != "/code" {
		t.Fatalf("the text lands on %s, want /code; page:\n%s", b.url, b.page)
	}
	e.keypad.flush(t)
	if got := tw.tries(); len(got) != 1 || got[0].Get("To") != "+15415554821" || got[0].Get("From") != twilioFrom {
		t.Errorf("Twilio got %v, want one text to Heather", got)
	}
	// The worker tries again a second later; Twilio now refuses the
	// number for good, and the worker gives up.
	tw.Fail(http.StatusBadRequest, 21211)
	e.clock.Advance(time.Second)
	e.keypad.flush(t)
	if len(tw.tries()) != 2 {
		t.Errorf("Twilio was tried %d times, want 2 (a retry)", len(tw.tries()))
	}
	evs := e.keypad.otpEvents(t)
	if ev := evs[len(evs)-1]; ev.Type != "otp.delivery_failed" {
		t.Errorf("keypad's last event is %+v, want the delivery given up", ev)
	}
	e.keypad.mustHaveSent(t, 0)

	// The failure spent nothing at keypad (it gave the send back): after
	// the kiosk's own resend wait, the other channel works.
	e.clock.Advance(30 * time.Second)
	if b.post("/send", url.Values{"channel": {email}}); b.url != "/code" {
		t.Fatalf("the other channel lands on %s, want /code; page:\n%s", b.url, b.page)
	}
	mail := e.keypad.mustHaveSent(t, 1)[0]
	if mail.Channel != "email" || mail.To != "heather@example.com" {
		t.Errorf("sent %+v, want an email to Heather", mail)
	}
	if b.post("/verify", url.Values{"otp": {mail.Code}}); b.url != "/audit" {
		t.Errorf("the emailed code lands on %s, want /audit", b.url)
	}
}

func TestSendErrors(t *testing.T) {
	t.Parallel()
	t.Run("ErrExpiredSession", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, setup{keypad: func(c *config.Config) { c.OTP.SessionLifetime = time.Minute }})
		b := e.browser(t)
		b.post("/lookup", url.Values{"identifier": {"123 Main Street"}})
		e.clock.Advance(time.Minute)
		_, page := b.choose("Text (•••) •••-4821")
		mustSee(t, page, "This visit has timed out")
		if e.k.visits.len() != 0 {
			t.Error("the visit was kept")
		}
		e.keypad.mustHaveSent(t, 0)
	})
	t.Run("ErrTooManySends", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, setup{}) // keypad's default: 3 codes a session
		b := e.browser(t)
		b.atCode()
		for range 2 {
			e.clock.Advance(30 * time.Second)
			if b.resend(); b.url != "/code" {
				t.Fatalf("resend lands on %s, want /code; page:\n%s", b.url, b.page)
			}
		}
		e.keypad.mustHaveSent(t, 3)
		e.clock.Advance(30 * time.Second)
		_, page := b.resend()
		mustSee(t, page, "We can&#39;t send more codes")
		if e.k.visits.len() != 0 {
			t.Error("the visit was kept")
		}
		e.keypad.mustHaveSent(t, 3)
		if ev := e.keypad.lastOTPEvent(t); ev.Type != "otp.send_refused" || !strings.Contains(ev.Detail, "sent its 3 codes") {
			t.Errorf("keypad's last event is %+v, want the fourth send refused", ev)
		}
	})
	t.Run("ErrDailyCap", func(t *testing.T) {
		// keypad's daily cap per phone number answers 429 with a
		// Retry-After of a day: the kiosk does not ask anyone to wait
		// that, and offers the other way to reach the person.
		t.Parallel()
		e := newEnv(t, setup{keypad: func(c *config.Config) { c.OTP.DailyPerDestination = 1 }})
		b := e.browser(t)
		b.atCode()
		b.post("/done", nil)
		b.post("/lookup", url.Values{"identifier": {"123 Main Street"}})
		_, page := b.choose("Text (•••) •••-4821")
		mustSee(t, page, "We can&#39;t send more codes that way today", "Email h•••@e•••.com")
		// The idle notice and warning at the end speak of seconds too.
		screen, _, _ := strings.Cut(page, `<aside class="idle"`)
		if strings.Contains(screen, "seconds") || strings.Contains(screen, "minutes") {
			t.Errorf("the kiosk asks the person to wait out a daily cap; page:\n%s", page)
		}
		e.keypad.mustHaveSent(t, 1)
		if ev := e.keypad.lastOTPEvent(t); ev.Type != "otp.send_refused" || !strings.Contains(ev.Detail, "this destination") {
			t.Errorf("keypad's last event is %+v, want the second text refused by the daily cap", ev)
		}
		if b.choose("Email h•••@e•••.com"); b.url != "/code" {
			t.Fatalf("email after the text's cap lands on %s, want /code; page:\n%s", b.url, b.page)
		}
		if sent := e.keypad.mustHaveSent(t, 2); sent[0].Channel != "email" { // newest first
			t.Errorf("second message went by %s, want email", sent[1].Channel)
		}
	})
}

func TestUnreachable(t *testing.T) {
	t.Parallel()
	t.Run("ErrKeypad", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, setup{kiosk: func(c *Config) { c.Issuer = unreachableURL(t) }})
		status, page := e.browser(t).post("/lookup", url.Values{"identifier": {"123 Main Street"}})
		if status != http.StatusBadGateway {
			t.Errorf("status %d, want 502", status)
		}
		mustSee(t, page, "We can&#39;t reach the utility right now")
	})
	t.Run("ErrEnergyAPI", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, setup{kiosk: func(c *Config) { c.EnergyAPI = unreachableURL(t) }})
		b := e.browser(t)
		b.atCode()
		_, page := b.post("/verify", url.Values{"otp": {e.keypad.lastCode(t)}})
		mustSee(t, page, "We can&#39;t reach the utility right now", `href="/audit"`)
	})
	t.Run("ErrEnergyRefuses", func(t *testing.T) {
		t.Parallel()
		// keypad lets the kiosk have billing:read, which is not what the
		// energy API's usage needs.
		e := newEnv(t, setup{
			client: func(c *keypad.Client) { c.Scopes = append(c.Scopes, "billing:read") },
			kiosk:  func(c *Config) { c.Scope = "billing:read" },
		})
		b := e.browser(t)
		b.atCode()
		_, page := b.post("/verify", url.Values{"otp": {e.keypad.lastCode(t)}})
		mustSee(t, page, "We can&#39;t read your usage")
		if ev := e.keypad.lastOTPEvent(t); ev.Type != "otp.redeemed" {
			t.Errorf("keypad's last event is %+v, want the code redeemed", ev)
		}
		if e.k.visits.len() != 0 {
			t.Error("the visit was kept")
		}
	})
	for _, tt := range []struct {
		name string
		s    setup
	}{
		{"ErrWrongSecret", setup{kiosk: func(c *Config) { c.ClientSecret = "wrong" }}},
		{"ErrScopeNotAllowed", setup{kiosk: func(c *Config) { c.Scope = "billing:read" }}},
		{"ErrNotOTPClient", setup{client: func(c *keypad.Client) { c.GrantTypes = []string{keypad.GrantClientCredentials} }}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tt.s)
			_, page := e.browser(t).post("/lookup", url.Values{"identifier": {"123 Main Street"}})
			mustSee(t, page, "This kiosk is not set up correctly")
			if ev := e.keypad.otpEvents(t); len(ev) != 0 {
				t.Errorf("keypad looked someone up for a misconfigured kiosk: %+v", ev[0])
			}
		})
	}
}

func TestIdleTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t, setup{kiosk: func(c *Config) { c.IdleTimeout = 90 * time.Second }})
	b := e.browser(t)
	_, page := b.post("/lookup", url.Values{"identifier": {"123 Main Street"}})
	mustSee(t, page, `data-idle="90" data-warn="30"`, `<script src="/static/idle.js" defer></script>`,
		"starts over after 90 seconds left alone", `name="back" value="/channel"`)
	if strings.Contains(page, "http-equiv") {
		t.Error("a screen still resets by meta refresh, without warning (WCAG 2.2.1)")
	}

	e.clock.Advance(89 * time.Second)
	if b.get("/channel"); b.url != "/channel" {
		t.Fatalf("after 89 s idle at %s, want /channel", b.url)
	}
	e.clock.Advance(89 * time.Second) // each request restarts the timer
	if b.get("/channel"); b.url != "/channel" {
		t.Fatalf("89 s after the last request at %s, want /channel", b.url)
	}
	e.clock.Advance(90 * time.Second)
	_, page = b.get("/channel")
	if b.url != "/?m=idle" {
		t.Fatalf("after 90 s idle at %s, want /?m=idle", b.url)
	}
	mustSee(t, page, "We started over")
	if strings.Contains(page, "http-equiv") || strings.Contains(page, "data-idle") {
		t.Error("the start screen resets itself")
	}
	if n := e.k.visits.len(); n != 0 {
		t.Errorf("%d visits kept after the timeout, want 0", n)
	}
}

func TestPagePolicy(t *testing.T) {
	t.Parallel()
	e := newEnv(t, setup{})
	b := e.browser(t)
	req, _ := http.NewRequest("POST", e.kiosk.URL+"/lookup", strings.NewReader("identifier=123+Main+Street"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'self';") || strings.Contains(csp, "unsafe") {
		t.Errorf("CSP = %q, want default-src 'none' and script only from the kiosk itself", csp)
	}
	for h, want := range map[string]string{"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	var cookie *http.Cookie
	if resp.Request.Response != nil {
		for _, c := range resp.Request.Response.Cookies() {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || len(cookie.Value) < 43 {
		t.Errorf("visit cookie = %+v, want HttpOnly, SameSite=Strict, 256 bits", cookie)
	}
	for _, path := range []string{"/", "/channel"} {
		_, page := b.get(path)
		if strings.Count(page, "<script") != strings.Count(page, `<script src="/static/`) || strings.Contains(page, "style=") || strings.Contains(page, "onclick=") {
			t.Errorf("%s has inline script or style", path)
		}
	}

	t.Run("ErrCrossOrigin", func(t *testing.T) {
		req, _ := http.NewRequest("POST", e.kiosk.URL+"/done", nil)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site POST: status %d, want 403", resp.StatusCode)
		}
	})
}

func TestNew(t *testing.T) {
	ok := Config{Issuer: "http://127.0.0.1:1", ClientID: "k", ClientSecret: "s", EnergyAPI: "http://127.0.0.1:2"}
	if _, err := New(ok); err != nil {
		t.Fatalf("New: %v", err)
	}
	for name, mod := range map[string]func(*Config){
		"ErrNoIssuer":    func(c *Config) { c.Issuer = "" },
		"ErrNoSecret":    func(c *Config) { c.ClientSecret = "" },
		"ErrRelativeAPI": func(c *Config) { c.EnergyAPI = "/api" },
	} {
		t.Run(name, func(t *testing.T) {
			c := ok
			mod(&c)
			if _, err := New(c); err == nil {
				t.Error("no error")
			}
		})
	}
}
