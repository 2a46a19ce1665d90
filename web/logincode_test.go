package web_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/oauth"
)

// signInWithCode walks browser b from the sign-in page to the code page,
// texting Heather, and returns the code she received.
func (e *codeEnv) signInWithCode(b *browser) string {
	e.t.Helper()
	wantBody(e.t, b.get("/login"), `href="/login/code"`, "Send me a code instead")
	wantRedirect(e.t, b.identify(heatherAddress, ""), "/login/code/send")
	wantRedirect(e.t, b.chooseChannel(heatherText), "/login/code/verify")
	return e.codeFor("+14158674821")
}

func TestLoginCode(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		e := newCodeEnv(t)
		hash := e.device("WDJBMJHT", 10*time.Minute)
		b := e.browser()
		wantRedirect(t, b.enterCode("WDJBMJHT"), "/login")
		before := b.sessionCookie()

		wantBody(t, b.get("/login"), "Send me a code instead")
		form := b.get("/login/code")
		wantStatus(t, form, http.StatusOK)
		wantBody(t, form, "Sign in to connect your device", `<label for="identifier">`, `name="identifier"`)

		wantRedirect(t, b.identify(heatherAddress, ""), "/login/code/send")
		choice := b.get("/login/code/send")
		wantBody(t, choice, "Where should we send your code?")
		if got := channels(t, choice); len(got) != 2 || got[heatherText] == "" || got[heatherEmail] == "" {
			t.Fatalf("channels offered %v, want %q and %q", got, heatherText, heatherEmail)
		}
		wantRedirect(t, b.chooseChannel(heatherText), "/login/code/verify")
		msg := e.lastMessage()
		if msg.Channel != "sms" || msg.To != "+14158674821" || !strings.Contains(msg.Body, "to sign in to keypad") {
			t.Fatalf("message %+v, want a sign-in text to +14158674821", msg)
		}
		code := e.codeFor("+14158674821")

		page := b.get("/login/code/verify")
		wantStatus(t, page, http.StatusOK)
		wantBody(t, page, "We sent a 6-digit code by text message to (•••) •••-4821", "It works for 10 minutes",
			`inputmode="numeric"`, `autocomplete="one-time-code"`, `<label for="otp">`,
			"You can ask for a new code in 30 seconds", "Send it another way")

		// The otp_session handle never reaches the browser, and the
		// store keeps it only sealed.
		s := e.codeSession(b)
		if s.Data["otp"] == "" || strings.Contains(s.Data["otp"], keypad.PrefixOTPSession) ||
			strings.Contains(s.Data["otp_state"], keypad.PrefixOTPSession) {
			t.Fatalf("session data %v: want the otp handle present and sealed", s.Data)
		}
		for _, r := range []response{form, choice, page} {
			if strings.Contains(r.Body, keypad.PrefixOTPSession) || strings.Contains(r.Request.URL.String(), keypad.PrefixOTPSession) {
				t.Fatalf("%s shows an otp_session handle", r.Request.URL)
			}
		}

		wantRedirect(t, b.typeCode(code[:3]+" "+code[3:]), "/consent")
		after := b.sessionCookie()
		if after == before || after == "" {
			t.Fatal("session value was not rotated at sign-in (session fixation)")
		}
		s = e.codeSession(b)
		if s.Subject != "sub-heather" || !slices.Equal(s.AMR, []string{"otp"}) || s.Data["device"] == "" {
			t.Fatalf("session after sign-in = %+v, want heather by otp with the device kept", s)
		}
		if _, ok := s.Data["otp"]; ok {
			t.Fatalf("the spent otp handle outlived sign-in: %v", s.Data)
		}

		consent := b.get("/consent")
		wantStatus(t, consent, http.StatusOK)
		wantBody(t, consent, "Allow Living Room TV to use your account?", "See your playlists", "Heather")
		wantStatus(t, b.answer("approve"), http.StatusOK)
		if d := e.getDevice(hash); d.Status != keypad.DeviceApproved || d.Subject != "sub-heather" {
			t.Fatalf("device request = %s by %q, want approved by sub-heather", d.Status, d.Subject)
		}
		types := e.auditTypes(code)
		for _, want := range []string{"otp.lookup", "otp.sent", "otp.redeemed", "login.succeeded"} {
			if e.count(types, want) != 1 {
				t.Errorf("audit events %v, want one %s", types, want)
			}
		}
		// The code page is gone with the flow.
		wantRedirect(t, b.get("/login/code/verify"), "/login/code")
	})

	t.Run("OKAuthorize", func(t *testing.T) {
		e := newCodeEnv(t, codeAuthcode)
		b := e.browser()
		q := url.Values{
			"response_type": {"code"}, "client_id": {"webapp"}, "redirect_uri": {e.srv.URL + appCallback},
			"scope": {"playlists:read"}, "state": {"st-1"},
			"code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"},
		}
		wantRedirect(t, b.get(oauth.PathAuthorize+"?"+q.Encode()), "/login")
		wantBody(t, b.get("/login/code"), "Sign in to continue to Energy Dashboard")
		code := e.signInWithCode(b)
		verify := b.get("/login/code/verify")
		if csp := verify.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' "+e.srv.URL) {
			t.Fatalf("code page CSP %q does not let the form end at the app", csp)
		}
		wantRedirect(t, b.typeCode(code), "/authorize/continue")
		wantRedirect(t, b.get("/authorize/continue"), "/consent")
		wantBody(t, b.get("/consent"), "Allow Energy Dashboard to use your account?")
		r := b.answer("approve")
		wantStatus(t, r, http.StatusSeeOther)
		back, err := url.Parse(r.Header.Get("Location"))
		must(t, err)
		if back.Path != appCallback || back.Query().Get("state") != "st-1" || !strings.HasPrefix(back.Query().Get("code"), keypad.PrefixAuthCode) {
			t.Fatalf("back at the app with %s, want a code and state", back)
		}
	})

	t.Run("OKWithoutFlow", func(t *testing.T) {
		e := newCodeEnv(t)
		b := e.browser()
		wantBody(t, b.get("/login/code"), "Sign in with a code")
		wantRedirect(t, b.identify("heather@example.com", ""), "/login/code/send")
		if got := b.sessionCookie(); got == "" {
			t.Fatal("no session was started to hold the flow")
		}
		wantRedirect(t, b.chooseChannel(heatherEmail), "/login/code/verify")
		wantRedirect(t, b.typeCode(e.codeFor("heather@example.com")), "/device")
		if s := e.codeSession(b); s.Subject != "sub-heather" {
			t.Fatalf("signed in as %q, want sub-heather", s.Subject)
		}
		// Signed in, the code pages go on like the sign-in page.
		wantRedirect(t, b.get("/login/code"), "/device")
	})

	t.Run("ErrOff", func(t *testing.T) {
		for name, e := range map[string]*env{
			"NoCodeSignIn": newEnv(t),
			"FlowDisabled": newCodeEnv(t, codeDisabled).env,
		} {
			b := e.browser()
			login := b.get("/login")
			wantStatus(t, login, http.StatusOK)
			if strings.Contains(login.Body, "/login/code") {
				t.Errorf("%s: the sign-in page offers a code:\n%s", name, login.Body)
			}
			for _, r := range []response{b.get("/login/code"), b.identify("heather@example.com", "")} {
				wantStatus(t, r, http.StatusNotFound)
				wantBody(t, r, "Signing in with a code is not available here", "username and password")
			}
		}
	})

	t.Run("ErrAmbiguous", func(t *testing.T) {
		e := newCodeEnv(t)
		b := e.browser()
		r := b.identify("5 elm street 62701", "")
		wantStatus(t, r, http.StatusConflict)
		wantBody(t, r, "More than one account matches", "Enter your account number instead. It is printed on your bill.",
			`<label for="identifier">Account number</label>`, `name="identifier_type" value="account"`)
		wantRedirect(t, b.identify("444 555 666", "account"), "/login/code/send")
		if got := channels(t, b.get("/login/code/send")); got["Email me at b•••@e•••.com"] == "" {
			t.Fatalf("channels %v, want Ben's email", got)
		}
	})

	t.Run("ErrUnreadable", func(t *testing.T) {
		e := newCodeEnv(t)
		b := e.browser()
		r := b.identify("heather@", "")
		wantStatus(t, r, http.StatusBadRequest)
		wantBody(t, r, "Check what you typed", "We could not read that as an email address", `value="heather@"`, `aria-invalid="true"`)
		r = b.identify("   ", "")
		wantStatus(t, r, http.StatusBadRequest)
		wantBody(t, r, "Tell us who you are")
		if b.sessionCookie() != "" {
			t.Fatal("a refused lookup started a session")
		}
	})

	t.Run("ErrWrongCode", func(t *testing.T) {
		e := newCodeEnv(t)
		b := e.browser()
		code := e.signInWithCode(b)
		for left := 4; left >= 1; left-- {
			r := b.typeCode(wrongCode(code))
			wantStatus(t, r, http.StatusUnauthorized)
			want := "You have " + string(rune('0'+left)) + " tries left."
			if left == 1 {
				want = "You have 1 try left. After that, you will need to start again."
			}
			wantBody(t, r, "That code is not right", want, `aria-invalid="true"`)
		}
		r := b.typeCode("12345") // the wrong shape costs no try
		wantStatus(t, r, http.StatusBadRequest)
		wantBody(t, r, "Enter the 6-digit code", "That try did not count")
		r = b.typeCode(wrongCode(code))
		wantStatus(t, r, http.StatusForbidden)
		wantBody(t, r, "Too many wrong codes", "that code no longer works", `href="/login/code"`)
		// The void session is forgotten: even the right code starts over.
		wantRedirect(t, b.get("/login/code/verify"), "/login/code")
		r = b.typeCode(code)
		wantStatus(t, r, http.StatusBadRequest)
		wantBody(t, r, "Your sign-in has timed out")
	})

	t.Run("ErrExpired", func(t *testing.T) {
		e := newCodeEnv(t)
		b := e.browser()
		code := e.signInWithCode(b)
		e.clock.Advance(10 * time.Minute)
		r := b.typeCode(code)
		wantStatus(t, r, http.StatusGone)
		wantBody(t, r, "Your code has expired", "Get a new code")
		wantRedirect(t, b.get("/login/code/verify"), "/login/code")
	})

	t.Run("ErrResendTooSoon", func(t *testing.T) {
		e := newCodeEnv(t)
		b := e.browser()
		first := e.signInWithCode(b)
		id := channels(t, b.get("/login/code/send"))[heatherText]
		e.clock.Advance(10 * time.Second)
		r := b.post("/login/code/send", url.Values{"channel": {id}})
		wantStatus(t, r, http.StatusTooManyRequests)
		if got := r.Header.Get("Retry-After"); got != "20" {
			t.Errorf("Retry-After = %q, want 20", got)
		}
		wantBody(t, r, "Please wait before asking for another code", "You can ask for another in 20 seconds",
			"If a code we sent earlier has arrived, type it below", `autocomplete="one-time-code"`)
		if n := e.outboxCount(); n != 1 {
			t.Fatalf("%d messages after an early resend, want 1", n)
		}

		e.clock.Advance(20 * time.Second)
		wantRedirect(t, b.post("/login/code/send", url.Values{"channel": {id}}), "/login/code/verify")
		wantBody(t, b.get("/login/code/verify"), "We sent you a new code. Only the newest code works.")
		second := e.codeFor("+14158674821")
		if second != first {
			r = b.typeCode(first)
			wantStatus(t, r, http.StatusUnauthorized)
			wantBody(t, r, "only the newest code works", "You have 4 tries left.")
		}
		wantRedirect(t, b.typeCode(second), "/device")
	})

	t.Run("ErrSendsUsed", func(t *testing.T) {
		e := newCodeEnv(t, codeConfig(func(c *oauth.OTPConfig) { c.MaxSends = 2 }))
		b := e.browser()
		e.signInWithCode(b)
		e.clock.Advance(30 * time.Second)
		wantRedirect(t, b.chooseChannel(heatherEmail), "/login/code/verify")
		e.clock.Advance(30 * time.Second)
		r := b.chooseChannel(heatherText)
		wantStatus(t, r, http.StatusTooManyRequests)
		wantBody(t, r, "That is as many codes as one sign-in gets", "Start again")
		wantRedirect(t, b.get("/login/code/send"), "/login/code")
	})

	t.Run("ErrTooManyLookups", func(t *testing.T) {
		e := newCodeEnv(t, codeConfig(func(c *oauth.OTPConfig) { c.LookupLimit.Max = 2 }))
		b := e.browser()
		wantRedirect(t, b.identify("heather@example.com", ""), "/login/code/send")
		wantRedirect(t, b.identify("nobody@example.com", ""), "/login/code/send")
		r := b.identify("heather@example.com", "")
		wantStatus(t, r, http.StatusTooManyRequests)
		if got := r.Header.Get("Retry-After"); got != "60" {
			t.Errorf("Retry-After = %q, want 60", got)
		}
		wantBody(t, r, "Too many attempts", "Please try again in 60 seconds.", `value="heather@example.com"`)
		e.clock.Advance(time.Minute)
		wantRedirect(t, b.identify("heather@example.com", ""), "/login/code/send")
	})

	t.Run("ErrDeliveryFailed", func(t *testing.T) {
		e := newCodeEnv(t, codeTwilio)
		b := e.browser()
		wantRedirect(t, b.identify(heatherAddress, ""), "/login/code/send")

		// The page never waits for the provider: the text is queued, and
		// the provider's refusal reaches the worker, not the person.
		e.twilio.Fail(http.StatusBadRequest, 21211)
		wantRedirect(t, b.chooseChannel(heatherText), "/login/code/verify")
		if n := e.deliver(); n != 1 {
			t.Fatalf("worker handled %d messages, want the text", n)
		}
		if len(e.twilio.Accepted()) != 0 {
			t.Fatal("the fake Twilio accepted a text it refused")
		}

		// Nothing was used up: the email goes at once, no cooldown.
		wantRedirect(t, b.chooseChannel(heatherEmail), "/login/code/verify")
		wantRedirect(t, b.typeCode(e.codeFor("heather@example.com")), "/device")
	})

	t.Run("ErrUnknownPersonLooksTheSame", func(t *testing.T) {
		e := newCodeEnv(t)
		b := e.browser()
		wantRedirect(t, b.identify("nobody@example.org", ""), "/login/code/send")
		got := channels(t, b.get("/login/code/send"))
		// An email lookup always offers that email, masked, and maybe a
		// text, as real people with an email have.
		var label string
		for l := range got {
			if strings.HasPrefix(l, "Email me at ") {
				label = l
			} else if !strings.HasPrefix(l, "Text me at (•••) •••-") {
				t.Errorf("decoy channel %q, want a masked phone or email", l)
			}
		}
		if len(got) > 2 || !strings.HasPrefix(label, "Email me at n•••@e•••.") {
			t.Fatalf("decoy channels %v, want the masked email (and perhaps a text)", got)
		}
		wantRedirect(t, b.chooseChannel(label), "/login/code/verify")
		wantBody(t, b.get("/login/code/verify"), "We sent a 6-digit code by email to n•••@e•••.")
		if n := e.outboxCount(); n != 0 {
			t.Fatalf("a decoy sent %d messages", n)
		}
		r := b.typeCode("123456")
		wantStatus(t, r, http.StatusUnauthorized)
		wantBody(t, r, "That code is not right", "You have 4 tries left.")
	})

	t.Run("ErrNoFlow", func(t *testing.T) {
		e := newCodeEnv(t)
		b := e.browser()
		for _, r := range []response{
			b.typeCode("123456"),
			b.post("/login/code/send", url.Values{"channel": {"abc"}}),
		} {
			wantStatus(t, r, http.StatusBadRequest)
			wantBody(t, r, "Your sign-in has timed out", `href="/login/code"`)
		}
		wantRedirect(t, b.get("/login/code/send"), "/login/code")
		wantRedirect(t, b.get("/login/code/verify"), "/login/code")

		// A channel the lookup did not offer is refused by the page.
		wantRedirect(t, b.identify("heather@example.com", ""), "/login/code/send")
		r := b.post("/login/code/send", url.Values{"channel": {"not-offered"}})
		wantStatus(t, r, http.StatusBadRequest)
		wantBody(t, r, "Choose where to send your code")
		// Before a code went out, the code page sends people back.
		wantRedirect(t, b.get("/login/code/verify"), "/login/code/send")
	})

	t.Run("ErrStolenSessionData", func(t *testing.T) {
		// The sealed handle is useless with another cookie: a session
		// row copied into another browser's session opens nothing.
		e := newCodeEnv(t)
		victim := e.browser()
		wantRedirect(t, victim.identify(heatherAddress, ""), "/login/code/send")
		stolen := e.codeSession(victim).Data
		thief := e.browser()
		wantRedirect(t, thief.identify("nobody@example.org", ""), "/login/code/send")
		ts := e.codeSession(thief)
		_, err := e.store.UpdateSession(t.Context(), ts.Hash, func(s *keypad.Session) error {
			s.Data["otp"], s.Data["otp_state"] = stolen["otp"], stolen["otp_state"]
			return nil
		})
		must(t, err)
		wantRedirect(t, thief.get("/login/code/send"), "/login/code")
	})

	t.Run("ErrCrossOrigin", func(t *testing.T) {
		e := newCodeEnv(t)
		b := e.browser()
		code := e.signInWithCode(b)
		b.header = http.Header{"Sec-Fetch-Site": {"cross-site"}}
		r := b.typeCode(code)
		wantStatus(t, r, http.StatusForbidden)
		wantBody(t, r, "This form came from another website")
		b.header = http.Header{}
		wantRedirect(t, b.typeCode(code), "/device")
	})
}

func TestLoginCodeSecurityHeaders(t *testing.T) {
	e := newCodeEnv(t)
	b := e.browser()
	pages := []response{b.get("/login/code"), b.identify("heather@", "")}
	wantRedirect(t, b.identify(heatherAddress, ""), "/login/code/send")
	pages = append(pages, b.get("/login/code/send"))
	wantRedirect(t, b.chooseChannel(heatherText), "/login/code/verify")
	pages = append(pages, b.get("/login/code/verify"), b.typeCode("000"))
	for _, r := range pages {
		name := r.Request.Method + " " + r.Request.URL.Path
		if got := r.Header.Get("Content-Security-Policy"); got != wantCSP {
			t.Errorf("%s: CSP = %q, want %q", name, got, wantCSP)
		}
		if got := r.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s: Cache-Control = %q, want no-store", name, got)
		}
		if strings.Contains(r.Body, "<script") {
			t.Errorf("%s has a script", name)
		}
	}
}
