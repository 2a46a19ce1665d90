package oauth

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"testing"

	"github.com/keypadauth/keypad"
)

// enumerationTable pairs the spellings that find one customer with the
// same spellings of a stranger's identifier: whatever the spelling, the
// customer's answer is one answer, and so must the stranger's be.
var enumerationTable = []struct {
	name, typ          string
	customer, stranger []string
}{
	{"address", "address",
		[]string{"123 North Main Street Apt 4", "123 n main st #4", "123 N Main St Apt 4, Springfield, IL 62701", "123 N. MAIN ST. APARTMENT 4 62701",
			"123 N Main St #4 62702"}, // a wrong ZIP: the street alone finds her, so it answers as she does
		[]string{"125 North Main Street Apt 4", "125 n main st #4", "125 N Main St Apt 4, Springfield, IL 62701", "125 N. MAIN ST. APARTMENT 4 62701", "125 N Main St #4 62702"}},
	{"address inferred", "",
		[]string{"123 North Main Street Apt 4", "123 N Main St Apt 4, Springfield, IL 62701"},
		[]string{"125 North Main Street Apt 4", "125 N Main St Apt 4, Springfield, IL 62701"}},
	{"phone", "phone",
		[]string{"(415) 867-4821", "415.867.4821", "+1 415 867 4821", "4158674821", "1-415-867-4821"},
		[]string{"(415) 867-4822", "415.867.4822", "+1 415 867 4822", "4158674822", "1-415-867-4822"}},
	{"email", "email",
		[]string{"heather@example.com", "Heather@Example.COM", " HEATHER@EXAMPLE.COM "},
		[]string{"hether@example.com", "Hether@Example.COM", " HETHER@EXAMPLE.COM "}},
	{"account", "account",
		[]string{"100-200-300", "100200300", "100 200 300", "1002-00300"},
		[]string{"100-200-301", "100200301", "100 200 301", "1002-00301"}},
}

// populate stores n customers with a mix of channels, so decoys are drawn
// from a real directory (identifier.MinDecoySample).
func (e *otpEnv) populate(n int) {
	domains := []string{"example.com", "mail.example.net", "utility.example.org"}
	for i := range n {
		p := person{Name: fmt.Sprintf("Customer %d", i), Account: fmt.Sprintf("C-%05d", i),
			Address: fmt.Sprintf("%d Elm Street, Springfield, IL 62701", 1000+i)}
		if i%4 != 0 {
			p.Phone = fmt.Sprintf("(217) 555-%04d", 1000+i)
		}
		if i%4 != 1 {
			p.Email = fmt.Sprintf("%c%d@%s", 'a'+rune(i%26), i, domains[i%len(domains)])
		}
		e.mustPerson(fmt.Sprintf("sub-c%03d", i), p)
	}
}

// TestOTPLookupEnumeration looks up, over HTTP as a client would, every
// spelling of a customer's identifiers and of a stranger's: the
// customer's answers (types, hints, number of channels) are the same for
// every spelling, and wherever they are, the stranger's are too. Channel
// IDs never repeat, for either.
func TestOTPLookupEnumeration(t *testing.T) {
	e := newOTPEnv(t, OTPConfig{})
	e.populate(40)
	e.mustPerson("sub-heather", heather)
	ids := map[string]bool{}
	answers := func(t *testing.T, typ string, spellings []string) [][]string {
		t.Helper()
		var out [][]string
		for _, raw := range spellings {
			c := mustChallenge(t, e.lookup(raw, typ))
			for _, ch := range c.channels {
				id := ch["id"].(string)
				if ids[id] {
					t.Errorf("channel id %s came back in a second lookup", id)
				}
				ids[id] = true
			}
			out = append(out, hintsOf(c))
		}
		return out
	}
	for _, tc := range enumerationTable {
		t.Run(tc.name, func(t *testing.T) {
			cust, str := answers(t, tc.typ, tc.customer), answers(t, tc.typ, tc.stranger)
			for i := range cust {
				if !reflect.DeepEqual(cust[i], cust[0]) {
					t.Fatalf("the customer's answers differ: %q gives %v, %q gives %v", tc.customer[0], cust[0], tc.customer[i], cust[i])
				}
			}
			for i := range str {
				if !reflect.DeepEqual(str[i], str[0]) {
					t.Errorf("the stranger's answers differ, where a customer's are the same: %q gives %v, %q gives %v",
						tc.stranger[0], str[0], tc.stranger[i], str[i])
				}
			}
			if len(str[0]) == 0 {
				t.Errorf("the stranger is offered no channel")
			}
		})
	}
	// The wrong ZIP shows her hints but is a decoy: nothing reaches her.
	t.Run("WrongZIPSendsNothing", func(t *testing.T) {
		c := mustChallenge(t, e.lookup("123 N Main St #4 62702", "address"))
		if o := e.session(c.session); !o.Decoy || o.Subject != "" || o.Channels[0].Destination != "" {
			t.Fatalf("session %+v, want a decoy without subject or destination", o)
		}
		texts := len(e.twilio.Accepted())
		e.mustSend(c.session, c.channel(t, "sms"))
		if got := len(e.twilio.Accepted()); got != texts {
			t.Errorf("a wrong-ZIP lookup sent a text (%d → %d)", texts, got)
		}
	})
	// Sign-in on keypad's pages (OTPStart, behind /login/code) makes the
	// same promise to anyone without a client secret.
	t.Run("SignIn", func(t *testing.T) {
		for _, tc := range enumerationTable {
			var first []string
			for i, raw := range tc.stranger {
				c, err := e.srv.OTPStart(context.Background(), raw, tc.typ, fmt.Sprintf("192.0.2.%d", i), "")
				if err != nil {
					t.Fatalf("OTPStart(%q): %v", raw, err)
				}
				var got []string
				for _, ch := range c.Channels {
					got = append(got, ch.Type+" "+ch.Hint)
				}
				if i == 0 {
					first = got
				} else if !reflect.DeepEqual(got, first) {
					t.Errorf("%s: sign-in answers differ: %q gives %v, %q gives %v", tc.name, tc.stranger[0], first, raw, got)
				}
			}
		}
	})
}

// TestOTPLookupDecoysFromDirectory checks that decoy hints are drawn from
// the people keypad knows: a directory whose every address is at one
// domain gives decoys at that domain, never at a built-in one.
func TestOTPLookupDecoysFromDirectory(t *testing.T) {
	e := newOTPEnv(t, OTPConfig{})
	for i := range 30 {
		e.mustPerson(fmt.Sprintf("sub-z%02d", i), person{Email: fmt.Sprintf("zed%d@quux.example", i), Account: fmt.Sprintf("Z-%04d", i)})
	}
	for i := range 20 {
		c := mustChallenge(t, e.lookup(fmt.Sprintf("%d Birch Road", 10+i), "address"))
		if got := hintsOf(c); !reflect.DeepEqual(got, []string{"email z•••@q•••.example"}) {
			t.Fatalf("decoy hints %v, want [email z•••@q•••.example] as every real person has", got)
		}
	}
}

// TestOTPLookupHintStyle checks hint_style none: no digit or letter of
// the person's phone or email, for real people and decoys alike, and the
// send still reaches the person.
func TestOTPLookupHintStyle(t *testing.T) {
	e := newOTPEnv(t, OTPConfig{})
	e.mustPerson("sub-heather", heather)
	c := &keypad.Client{ID: "bare", Name: "Bare Kiosk", GrantTypes: []string{keypad.GrantOTP}, Scopes: []string{usageScope},
		Options: keypad.ClientOptions{HintStyle: keypad.HintStyleNone}}
	secret := e.mustClient(c)
	real := mustChallenge(t, e.lookupAs("bare", secret, "heather@example.com", ""))
	if got, want := hintsOf(real), []string{"sms •••-••••", "email •••@•••"}; !reflect.DeepEqual(got, want) {
		t.Errorf("hints %v, want %v", got, want)
	}
	decoy := mustChallenge(t, e.lookupAs("bare", secret, "nobody@example.com", ""))
	for _, h := range hintsOf(decoy) {
		if h != "sms •••-••••" && h != "email •••@•••" {
			t.Errorf("decoy hint %q shows more than its type", h)
		}
	}
	r := e.post(PathOTPSend, map[string][]string{"otp_session": {real.session}, "channel": {real.channel(t, "sms")}}, basic("bare", secret))
	if r.status != http.StatusOK {
		t.Fatalf("send: %d %s", r.status, r.raw)
	}
	if n := e.deliver(); n != 1 {
		t.Fatalf("the queue delivered %d messages, want 1", n)
	}
	if got := e.twilio.Last(t).Get("To"); got != "+14158674821" {
		t.Errorf("text went to %q, want +14158674821", got)
	}
	// The default client still sees the masked hints.
	if got := hintsOf(mustChallenge(t, e.lookup("heather@example.com", ""))); got[0] != "sms (•••) •••-4821" {
		t.Errorf("default hints %v", got)
	}
}

// TestOTPLookupDecoyCaps checks that a decoy reaches the daily cap of its
// destination across sessions exactly when a customer does, although its
// channel IDs are new each time: else a run of lookups and sends would
// tell them apart. A customer's street with a wrong ZIP counts against
// the customer's own cap.
func TestOTPLookupDecoyCaps(t *testing.T) {
	e := newOTPEnv(t, OTPConfig{DailyPerDestination: 2})
	e.mustPerson("sub-heather", heather)
	statuses := func(identifier string) []int {
		var out []int
		for range 3 {
			c := mustChallenge(t, e.lookup(identifier, "address"))
			out = append(out, e.send(c.session, c.channel(t, c.channels[0]["type"].(string))).status)
		}
		return out
	}
	want := []int{http.StatusOK, http.StatusOK, http.StatusTooManyRequests}
	if got := statuses("125 North Main Street Apt 4"); !reflect.DeepEqual(got, want) {
		t.Errorf("stranger's sends %v, want %v", got, want)
	}
	if got := statuses("123 North Main Street Apt 4"); !reflect.DeepEqual(got, want) {
		t.Errorf("customer's sends %v, want %v", got, want)
	}
	// Her cap is spent, whichever ZIP the lookup names.
	if got := statuses("123 North Main Street Apt 4 62702"); !reflect.DeepEqual(got, []int{429, 429, 429}) {
		t.Errorf("wrong-ZIP sends %v, want her spent cap (429s)", got)
	}
}

// TestOTPLookupDecoyOnlyDeliverable checks that a decoy offers only what
// keypad can deliver, and never nothing: with email alone, every decoy is
// one email channel, as every reachable person's answer is.
func TestOTPLookupDecoyOnlyDeliverable(t *testing.T) {
	e := newOTPEnv(t, OTPConfig{}, func(d *OTPDeps) { d.Router.SMS = nil })
	for i := range 20 {
		c := mustChallenge(t, e.lookup(fmt.Sprintf("%d Birch Road", 10+i), "address"))
		if len(c.channels) != 1 || c.channels[0]["type"] != "email" {
			t.Fatalf("decoy channels %v, want one email channel", c.channels)
		}
	}
	// A phone number texts cannot go to gets what its owner would: email.
	c := mustChallenge(t, e.lookup("+44 7400 123456", "phone"))
	if len(c.channels) != 1 || c.channels[0]["type"] != "email" {
		t.Errorf("decoy channels %v for a phone keypad cannot text, want one email channel", c.channels)
	}
}
