package oauth

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/ratelimit"
)

func keysOf(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestOTPLookup(t *testing.T) {
	e := newOTPEnv(t, OTPConfig{})
	h := e.mustPerson("sub-heather", heather)

	t.Run("OK", func(t *testing.T) {
		// Typed differently from the import file; same normalised address.
		r := e.lookup("123 N Main St #4 62701", "")
		c := mustChallenge(t, r)
		if got, want := keysOf(r.body), []string{"channels", "expires_in", "otp_session"}; !reflect.DeepEqual(got, want) {
			t.Errorf("lookup keys = %v, want %v", got, want)
		}
		if c.expires != 600 {
			t.Errorf("expires_in = %v, want 600", c.expires)
		}
		if r.header.Get("Cache-Control") != "no-store" {
			t.Errorf("Cache-Control = %q, want no-store", r.header.Get("Cache-Control"))
		}
		if len(c.channels) != 2 {
			t.Fatalf("channels = %v, want sms and email", c.channels)
		}
		if got, want := c.channels[0]["hint"], "(•••) •••-4821"; got != want {
			t.Errorf("sms hint = %v, want %v", got, want)
		}
		if got, want := c.channels[1]["hint"], "h•••@e•••.com"; got != want {
			t.Errorf("email hint = %v, want %v", got, want)
		}
		for _, ch := range c.channels {
			if got, want := keysOf(ch), []string{"hint", "id", "type"}; !reflect.DeepEqual(got, want) {
				t.Errorf("channel keys = %v, want %v (never the destination)", got, want)
			}
		}
		o := e.session(c.session)
		if o.Subject != h.ID || o.Decoy || o.Purpose != OTPPurposeToken || o.ClientID != e.kiosk.ID || o.Status != keypad.OTPPending {
			t.Errorf("stored session = %+v, want a pending token session of %s for the kiosk", o, h.ID)
		}
		if !slices.Equal(o.Scopes, []string{usageScope}) {
			t.Errorf("session scopes = %v, want [%s]", o.Scopes, usageScope)
		}
		if o.Channels[0].Destination != "+14158674821" {
			t.Errorf("stored sms destination = %q, want +14158674821", o.Channels[0].Destination)
		}
	})

	t.Run("FreshChannelIDs", func(t *testing.T) {
		// Found by two identifiers, the same person's channels carry new
		// IDs each time (a stable ID would be a fingerprint), and each
		// session knows only its own.
		a := mustChallenge(t, e.lookup("heather@example.com", "email"))
		b := mustChallenge(t, e.lookup("415-867-4821", ""))
		if a.session == b.session {
			t.Error("two lookups share one otp_session")
		}
		if a.channel(t, "sms") == b.channel(t, "sms") || a.channel(t, "email") == b.channel(t, "email") {
			t.Errorf("channel IDs repeat between lookups: %v, %v", a.channels, b.channels)
		}
		for _, ch := range append(a.channels, b.channels...) {
			if id, _ := ch["id"].(string); !channelIDRe.MatchString(id) {
				t.Errorf("channel id %q, want 16 lower-case base32 characters", id)
			}
		}
		wantError(t, e.send(b.session, a.channel(t, "sms")), http.StatusBadRequest, CodeInvalidRequest)
		e.mustSend(b.session, b.channel(t, "sms"))
		if got := e.twilio.Last(t).Get("To"); got != "+14158674821" {
			t.Errorf("text went to %q, want +14158674821", got)
		}
	})

	t.Run("ErrInvalidIdentifier", func(t *testing.T) {
		wantError(t, e.lookup("not a phone", "phone"), http.StatusBadRequest, CodeInvalidRequest)
		wantError(t, e.lookup("", ""), http.StatusBadRequest, CodeInvalidRequest)
		wantError(t, e.lookup("x", "shoe size"), http.StatusBadRequest, CodeInvalidRequest)
	})

	t.Run("ErrScope", func(t *testing.T) {
		r := e.post(PathOTPLookup, url.Values{"identifier": {"heather@example.com"}, "scope": {"admin"}}, basic(e.kiosk.ID, e.secret))
		wantError(t, r, http.StatusBadRequest, CodeInvalidScope)
	})

	t.Run("ErrClientAuth", func(t *testing.T) {
		wantError(t, e.lookupAs(e.kiosk.ID, "wrong", "heather@example.com", ""), http.StatusUnauthorized, CodeInvalidClient)
		other := e.mustClient(service("svc", keypad.FormatJWT, usageScope))
		wantError(t, e.lookupAs("svc", other, "heather@example.com", ""), http.StatusBadRequest, CodeUnauthorizedClient)
	})
}

func TestOTPLookupAmbiguous(t *testing.T) {
	e := newOTPEnv(t, OTPConfig{})
	addr := "77 Sunset Boulevard, Los Angeles, CA 90028"
	e.mustPerson("sub-a", person{Email: "a@example.com", Address: addr, Account: "A-1001"})
	e.mustPerson("sub-b", person{Email: "b@example.com", Address: addr, Account: "B-2002"})

	r := e.lookup("77 Sunset Blvd 90028", "address")
	wantError(t, r, http.StatusBadRequest, CodeAmbiguousIdentifier)
	if got, want := r.body["identifier_types"], []any{"account", "email"}; !reflect.DeepEqual(got, want) {
		t.Errorf("identifier_types = %v, want %v", got, want)
	}
	if d, _ := r.body["error_description"].(string); !regexpMatch(`account number.*identifier_type=account`, d) {
		t.Errorf("error_description %q does not say to ask for the account number", d)
	}
	if got := otpEvents(t, e.env, "ambiguous"); got != 1 {
		t.Errorf("ambiguous events = %v, want 1", got)
	}
	// Asking for what the error said finds one person.
	c := mustChallenge(t, e.lookup("B-2002", "account"))
	if o := e.session(c.session); o.Subject != "sub-b" {
		t.Errorf("lookup by account found %q, want sub-b", o.Subject)
	}
}

// TestOTPLookupDecoy checks that an unknown identifier cannot be told from
// a known one: same status, same keys, same hint shapes, the same store
// work, and a send that delivers nothing.
func TestOTPLookupDecoy(t *testing.T) {
	e := newOTPEnv(t, OTPConfig{})
	e.mustPerson("sub-heather", heather)

	var real, decoy response
	realCalls := e.rec.record(func() { real = e.lookup("123 N Main St #4 62701", "") })
	decoyCalls := e.rec.record(func() { decoy = e.lookup("999 Nowhere Lane, Springfield, IL 62701", "") })
	if !slices.Contains(realCalls, "FindSubjects") || !slices.Contains(realCalls, "CreateOTPSession") {
		t.Errorf("real lookup store calls = %v, want a search and a stored session", realCalls)
	}
	if !slices.Equal(realCalls, decoyCalls) {
		t.Errorf("store work differs:\n real  %v\n decoy %v", realCalls, decoyCalls)
	}
	rc, dc := mustChallenge(t, real), mustChallenge(t, decoy)
	if !reflect.DeepEqual(keysOf(real.body), keysOf(decoy.body)) || rc.expires != dc.expires {
		t.Errorf("answers differ: %s vs %s", real.raw, decoy.raw)
	}
	if len(dc.channels) == 0 {
		t.Fatal("decoy offers no channel")
	}
	for _, ch := range dc.channels {
		if !reflect.DeepEqual(keysOf(ch), []string{"hint", "id", "type"}) {
			t.Errorf("decoy channel keys = %v", keysOf(ch))
		}
		id, _ := ch["id"].(string)
		hint, _ := ch["hint"].(string)
		if !channelIDRe.MatchString(id) {
			t.Errorf("decoy channel id %q has not the shape of a real one", id)
		}
		switch ch["type"] {
		case "sms":
			if !hintPhoneNANP.MatchString(hint) {
				t.Errorf("decoy sms hint %q has not the shape of a real one", hint)
			}
		case "email":
			if !hintEmail.MatchString(hint) {
				t.Errorf("decoy email hint %q has not the shape of a real one", hint)
			}
		default:
			t.Errorf("decoy channel type %v", ch["type"])
		}
	}
	// The same unknown identifier gets the same hints again, as a person
	// would.
	again := mustChallenge(t, e.lookup("999 Nowhere Ln 62701", "address"))
	if !reflect.DeepEqual(hintsOf(again), hintsOf(dc)) {
		t.Errorf("decoy hints changed between lookups: %v then %v", dc.channels, again.channels)
	}
	if o := e.session(dc.session); !o.Decoy || o.Subject != "" || o.Channels[0].Destination != "" {
		t.Errorf("decoy session stored as %+v, want Decoy, no subject, no destination", o)
	}

	// Sending to a decoy answers as a real send does and sends nothing.
	var realSend response
	realCalls = e.rec.record(func() { realSend = e.sendOnly(rc.session, rc.channel(t, "sms")) })
	if n := e.deliver(); n != 1 {
		t.Errorf("a real send queued %d messages, want 1", n)
	}
	sms, mails := len(e.twilio.Accepted()), e.mail.Count()
	for i, ch := range dc.channels {
		var r response
		decoyCalls = e.rec.record(func() { r = e.sendOnly(dc.session, ch["id"].(string)) })
		if n := e.deliver(); n != 0 {
			t.Errorf("a decoy send queued %d messages, want none", n)
		}
		if i == 0 && !slices.Equal(realCalls, decoyCalls) {
			t.Errorf("send store work differs:\n real  %v\n decoy %v", realCalls, decoyCalls)
		}
		if r.status != http.StatusOK || !reflect.DeepEqual(r.body, realSend.body) {
			t.Errorf("decoy send = %d %s, want %d %s", r.status, r.raw, realSend.status, realSend.raw)
		}
		e.clk.Advance(DefaultOTPResendAfter)
	}
	if len(e.twilio.Accepted()) != sms || e.mail.Count() != mails {
		t.Errorf("a decoy send delivered something: texts %d→%d, emails %d→%d", sms, len(e.twilio.Accepted()), mails, e.mail.Count())
	}
	// Redeeming a decoy fails as a wrong code does.
	realWrong := e.redeem(rc.session, wrongCode(e.smsCode()))
	decoyWrong := e.redeem(dc.session, "123456")
	if realWrong.status != decoyWrong.status || !reflect.DeepEqual(realWrong.body, decoyWrong.body) {
		t.Errorf("wrong code: real %d %s, decoy %d %s", realWrong.status, realWrong.raw, decoyWrong.status, decoyWrong.raw)
	}
}

func TestOTPLookupExplicitUnknown(t *testing.T) {
	e := newOTPEnv(t, OTPConfig{})
	e.mustPerson("sub-heather", heather)
	c := &keypad.Client{ID: "partner", Name: "Partner", GrantTypes: []string{keypad.GrantOTP}, Scopes: []string{usageScope},
		Options: keypad.ClientOptions{ExplicitUnknownIdentifier: true}}
	secret := e.mustClient(c)

	r := e.lookupAs("partner", secret, "nobody@example.com", "")
	wantError(t, r, http.StatusBadRequest, CodeUnknownIdentifier)
	if got, want := r.body["identifier_types"], []any{"account", "phone", "address"}; !reflect.DeepEqual(got, want) {
		t.Errorf("identifier_types = %v, want %v", got, want)
	}
	// A known person is found as usual.
	mustChallenge(t, e.lookupAs("partner", secret, "heather@example.com", ""))
	// A person keypad cannot reach is said so.
	e.mustPerson("sub-mute", person{Account: "M-9009"})
	wantError(t, e.lookupAs("partner", secret, "M-9009", "account"), http.StatusBadRequest, CodeAccessDenied)
	// The default client gets a decoy for the unreachable person too.
	c2 := mustChallenge(t, e.lookup("M-9009", "account"))
	if o := e.session(c2.session); !o.Decoy {
		t.Error("an unreachable person's session is not a decoy")
	}
}

func TestOTPLookupLimit(t *testing.T) {
	e := newOTPEnv(t, OTPConfig{LookupLimit: ratelimit.Limit{Max: 2, Window: time.Minute}})
	for range 2 {
		mustChallenge(t, e.lookup("someone@example.com", ""))
	}
	r := e.lookup("someone@example.com", "")
	wantError(t, r, http.StatusTooManyRequests, CodeTooManyRequests)
	if got := r.header.Get("Retry-After"); got != "60" {
		t.Errorf("Retry-After = %q, want 60", got)
	}
	e.clk.Advance(time.Minute)
	mustChallenge(t, e.lookup("someone@example.com", ""))
}

func TestOTPMetadata(t *testing.T) {
	e := newOTPEnv(t, OTPConfig{})
	resp, err := e.ts.Client().Get(e.ts.URL + PathASMetadata)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	decodeJSON(t, resp, &m)
	if got, want := m["otp_lookup_endpoint"], testIssuer+PathOTPLookup; got != want {
		t.Errorf("otp_lookup_endpoint = %v, want %v", got, want)
	}
	if got, want := m["otp_send_endpoint"], testIssuer+PathOTPSend; got != want {
		t.Errorf("otp_send_endpoint = %v, want %v", got, want)
	}
	grants, _ := m["grant_types_supported"].([]any)
	if !slices.Contains(grants, any(keypad.GrantOTP)) {
		t.Errorf("grant_types_supported = %v, want it to list %s", grants, keypad.GrantOTP)
	}
	if err := e.rebuild(func(_ *Config, d *Deps) { d.OTP = OTPDeps{Router: nil} }); err == nil {
		t.Error("enabling the flow without a router succeeded")
	}
}

func TestOTPLookupStoreFailure(t *testing.T) {
	e := newOTPEnv(t, OTPConfig{})
	e.rec.failCreateSession = true
	wantError(t, e.lookup("someone@example.com", ""), http.StatusInternalServerError, CodeServerError)
}

// hintsOf is what a lookup answer shows of a person, in order: the type
// and hint of each channel (the IDs are new for every session).
func hintsOf(c challenge) []string {
	var out []string
	for _, ch := range c.channels {
		out = append(out, fmt.Sprintf("%v %v", ch["type"], ch["hint"]))
	}
	return out
}

func regexpMatch(pattern, s string) bool { return regexp.MustCompile(pattern).MatchString(s) }
