package oauth

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/identifier"
)

// mustPersonIn stores a customer who prefers lang (may be empty).
func (e *otpEnv) mustPersonIn(id string, p person, lang string) {
	e.t.Helper()
	p.ExternalID = id
	s, err := p.Subject(identifier.Normalizer{})
	if err != nil {
		e.t.Fatalf("person %s: %v", id, err)
	}
	s.ID, s.CreatedAt, s.UpdatedAt, s.PreferredLanguage = id, e.clk.Now(), e.clk.Now(), lang
	if err := e.st.CreateSubject(context.Background(), s); err != nil {
		e.t.Fatalf("create person %s: %v", id, err)
	}
}

// TestOTPLanguage: the text is in the person's preferred language, else
// the first supported of the send's ui_locales, else the lookup's, else
// the default; unsupported and malformed tags are ignored, never refused.
func TestOTPLanguage(t *testing.T) {
	tests := []struct {
		name                   string
		preferred              string
		lookupLocales, sendLoc string
		spanish                bool
	}{
		{"PreferenceWins", "es", "en", "en", true},
		{"PreferenceRegional", "es-US", "", "", true},
		{"LookupUILocales", "", "fr es-MX en", "", true},
		{"SendUILocales", "", "", "es", true},
		{"SendBeforeLookup", "", "es", "en", false},
		{"UnsupportedIgnored", "fr", "de zz-!! es", "", true},
		{"NothingSupported", "fr", "de", "x y z", false},
		{"Default", "", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newOTPEnv(t, OTPConfig{})
			e.mustPersonIn("sub-neighbour", heather, tt.preferred)
			form := url.Values{"identifier": {"heather@example.com"}, "scope": {usageScope}}
			if tt.lookupLocales != "" {
				form.Set("ui_locales", tt.lookupLocales)
			}
			c := mustChallenge(t, e.post(PathOTPLookup, form, basic(e.kiosk.ID, e.secret)))
			send := url.Values{"otp_session": {c.session}, "channel": {c.channel(t, "sms")}}
			if tt.sendLoc != "" {
				send.Set("ui_locales", tt.sendLoc)
			}
			if r := e.post(PathOTPSend, send, basic(e.kiosk.ID, e.secret)); r.status != http.StatusOK {
				t.Fatalf("send: %d %s", r.status, r.raw)
			}
			f, err := e.srv.otp()
			if err != nil {
				t.Fatal(err)
			}
			// The language travels sealed with the message through the
			// queue.
			jobs, err := e.st.ClaimOTPSends(context.Background(), "test", e.clk.Now(), time.Minute, 1)
			if err != nil || len(jobs) != 1 {
				t.Fatalf("claim: %v, %d jobs", err, len(jobs))
			}
			m, err := f.queue.open(jobs[0])
			if err != nil {
				t.Fatal(err)
			}
			wantLang, wantWords := "en", "is your code to let "+kioskName
			if tt.spanish {
				wantLang, wantWords = "es", "es su codigo para que "+kioskName
			}
			if m.Language != wantLang || !strings.Contains(m.Text, wantWords) {
				t.Errorf("queued text %q in %q, want %q saying %q", m.Text, m.Language, wantLang, wantWords)
			}
		})
	}
}

// TestOTPLanguageEmail: an email to a person who prefers Spanish is in
// Spanish, subject included, with the expiry as a time of day.
func TestOTPLanguageEmail(t *testing.T) {
	e := newOTPEnv(t, OTPConfig{})
	e.mustPersonIn("sub-neighbour", heather, "es")
	c := mustChallenge(t, e.lookup("heather@example.com", ""))
	if r := e.send(c.session, c.channel(t, "email")); r.status != http.StatusOK {
		t.Fatalf("send: %d %s", r.status, r.raw)
	}
	subject, text := mailText(t, e.mail.Next(t).Data)
	if !strings.Contains(subject, "es su código para "+kioskName) {
		t.Errorf("subject %q, want Spanish", subject)
	}
	at := e.clk.Now().Add(DefaultOTPCodeLifetime).UTC().Format("15:04 MST")
	if !strings.Contains(text, "Vence en 10 minutos (a las "+at+")") {
		t.Errorf("email text %q, want the expiry in Spanish at %s", text, at)
	}
	if o := e.session(c.session); o.Language != "es" || o.UILanguage != "" {
		t.Errorf("session language %q, ui %q; want es and none", o.Language, o.UILanguage)
	}
}

// TestOTPLanguageDecoy: a decoy session takes the client's ui_locales like
// a real one, and answers the same.
func TestOTPLanguageDecoy(t *testing.T) {
	e := newOTPEnv(t, OTPConfig{})
	form := url.Values{"identifier": {"nobody@example.com"}, "scope": {usageScope}, "ui_locales": {"es"}}
	c := mustChallenge(t, e.post(PathOTPLookup, form, basic(e.kiosk.ID, e.secret)))
	if o := e.session(c.session); !o.Decoy || o.UILanguage != "es" || o.Language != "" {
		t.Errorf("decoy session %+v, want decoy with ui language es", o)
	}
}

// TestCIBALanguage: bc-authorize's ui_locales picks the language of the
// approval text of a person with none of their own; unsupported tags are
// ignored, never refused.
func TestCIBALanguage(t *testing.T) {
	e := newCIBAEnv(t, OTPConfig{})
	for _, tt := range []struct{ locales, want string }{
		{"fr es-MX", "Bright Audits pide "},
		{"zz-!! de", "Bright Audits asks to "},
		{"", "Bright Audits asks to "},
	} {
		form := hint("(415) 867-4821")
		if tt.locales != "" {
			form.Set("ui_locales", tt.locales)
		}
		e.mustAuthorize(form)
		if body := e.twilio.Last(t).Get("Body"); !strings.HasPrefix(body, tt.want) || e.link() == "" {
			t.Errorf("ui_locales %q: text %q, want it to start %q and carry the link", tt.locales, body, tt.want)
		}
		e.clk.Advance(DefaultOTPResendAfter) // the next request's daily caps and waits
	}
}

// TestOTPScopeWordsInLanguage: a text in Spanish names the scopes with
// their Spanish descriptions where the catalogue has them, and with the
// default description where it does not.
func TestOTPScopeWordsInLanguage(t *testing.T) {
	for _, tt := range []struct {
		name, lang, want string
		spanish          bool
	}{
		{"Spanish", "es", "ver su historial de consumo", true},
		{"English", "", usageWords, true},
		{"SpanishPersonEnglishOnlyScope", "es", usageWords, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newOTPEnv(t, OTPConfig{})
			if tt.spanish {
				sc := &keypad.Scope{Name: usageScope, Description: usageWords,
					Descriptions: keypad.Descriptions{"es": "ver su historial de consumo"}}
				if err := e.st.PutScope(context.Background(), sc); err != nil {
					t.Fatal(err)
				}
			}
			e.mustPersonIn("sub-neighbour", heather, tt.lang)
			form := url.Values{"identifier": {"heather@example.com"}, "scope": {usageScope}}
			c := mustChallenge(t, e.post(PathOTPLookup, form, basic(e.kiosk.ID, e.secret)))
			send := url.Values{"otp_session": {c.session}, "channel": {c.channel(t, "sms")}}
			if r := e.post(PathOTPSend, send, basic(e.kiosk.ID, e.secret)); r.status != http.StatusOK {
				t.Fatalf("send: %d %s", r.status, r.raw)
			}
			f, err := e.srv.otp()
			if err != nil {
				t.Fatal(err)
			}
			jobs, err := e.st.ClaimOTPSends(context.Background(), "test", e.clk.Now(), time.Minute, 1)
			if err != nil || len(jobs) != 1 {
				t.Fatalf("claim: %v, %d jobs", err, len(jobs))
			}
			m, err := f.queue.open(jobs[0])
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(m.Text, tt.want) {
				t.Errorf("queued text %q does not name the scope as %q", m.Text, tt.want)
			}
		})
	}
}
