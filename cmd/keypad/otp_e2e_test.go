package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// The OTP flow end to end through the binary: DESIGN.md's story 1. A
// kiosk (a confidential client allowed the OTP grant) knows only the
// address Heather types; keypad texts or emails her a code that names the
// kiosk and what it will read; she types the code; the kiosk gets a token.

const (
	kioskName  = "Bright Audits"
	usageScope = "usage:read"
	usageText  = "read your energy usage history (12 months)"
	heatherPh  = "(415) 555-0142"
	heatherE   = "heather@example.com"
	heatherAd  = "123 Main St, Springfield, IL 62701"
	otpGrant   = "urn:keypad:params:oauth:grant-type:otp"
)

// otpSetup is a running server with the kiosk client, the scope and
// Heather, found by her address.
type otpSetup struct {
	s         *serving
	e         env
	base      string
	kiosk     clientJSON
	heatherID string
}

func newOTPSetup(t *testing.T, e env, args ...string) *otpSetup {
	t.Helper()
	s := startServe(t, e, append([]string{"--auto-migrate"}, args...)...)
	o := &otpSetup{s: s, e: e, base: s.srv.URL()}
	mustRun(t, e, "", "scope", "create", usageScope, "--description", usageText)
	o.kiosk = mustJSON[clientJSON](t, e, "client", "create", "--name", kioskName,
		"--grant-types", "otp", "--scopes", usageScope, "--json")
	h := mustJSON[userJSON](t, e, "user", "create", "--name", "Heather", "--phone", heatherPh,
		"--email", heatherE, "--address", heatherAd, "--json")
	if h.Phone != "+14155550142" || h.Email != heatherE {
		t.Fatalf("user create = %+v, want the phone in E.164 and the email", h)
	}
	o.heatherID = h.ID
	return o
}

// post sends an authenticated form as the kiosk and decodes the JSON
// answer into out, failing unless the status is 200.
func (o *otpSetup) post(t *testing.T, path string, form url.Values, out any) {
	t.Helper()
	code, body := postForm(t, o.base+path, o.kiosk.ClientID, o.kiosk.ClientSecret, form)
	if code != http.StatusOK {
		t.Fatalf("POST %s: %d %s", path, code, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("POST %s: %s is not JSON: %v", path, body, err)
	}
}

type otpChannel struct {
	ID, Type, Hint string
}

// lookupAndSend runs steps one and two: Heather typed her address
// differently from how it is stored, and picks the channel of the type
// given. It returns the session.
func (o *otpSetup) lookupAndSend(t *testing.T, channelType, wantHint string) string {
	t.Helper()
	var lookup struct {
		Session   string       `json:"otp_session"`
		ExpiresIn int          `json:"expires_in"`
		Channels  []otpChannel `json:"channels"`
	}
	o.post(t, "/oauth2/otp/lookup", url.Values{
		"identifier": {"123 main street springfield 62701"}, "identifier_type": {"address"}, "scope": {usageScope},
	}, &lookup)
	var ch *otpChannel
	for i := range lookup.Channels {
		if lookup.Channels[i].Type == channelType {
			ch = &lookup.Channels[i]
		}
	}
	if lookup.Session == "" || lookup.ExpiresIn != 600 || ch == nil || !strings.Contains(ch.Hint, wantHint) {
		t.Fatalf("lookup = %+v, want a session of 600s and a %s channel hinting %q", lookup, channelType, wantHint)
	}
	for _, c := range lookup.Channels {
		if strings.Contains(c.Hint, "555-0142") || strings.Contains(c.Hint, heatherE) {
			t.Errorf("hint %q shows the whole destination, want it masked", c.Hint)
		}
	}
	var sent struct {
		ExpiresIn   int `json:"expires_in"`
		ResendAfter int `json:"resend_after"`
		CodeLength  int `json:"code_length"`
	}
	o.post(t, "/oauth2/otp/send", url.Values{"otp_session": {lookup.Session}, "channel": {ch.ID}}, &sent)
	if sent.ExpiresIn != 600 || sent.ResendAfter != 30 || sent.CodeLength != 6 {
		t.Errorf("send = %+v, want expires_in 600, resend_after 30, code_length 6", sent)
	}
	// The send only queued the message; wait for the server's worker to
	// deliver it (DeliverOTPQueue returns once the pass in progress ends).
	if _, err := o.s.srv.OAuth().DeliverOTPQueue(context.Background()); err != nil {
		t.Fatalf("deliver the OTP queue: %v", err)
	}
	return lookup.Session
}

// redeem runs step three and checks the token: active, for Heather, the
// kiosk and the scope. A wrong code first must fail without voiding the
// session.
func (o *otpSetup) redeem(t *testing.T, session, code string) {
	t.Helper()
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	status, body := postForm(t, o.base+"/oauth2/token", o.kiosk.ClientID, o.kiosk.ClientSecret,
		url.Values{"grant_type": {otpGrant}, "otp_session": {session}, "otp": {wrong}})
	if status != http.StatusBadRequest || !strings.Contains(string(body), `"invalid_grant"`) {
		t.Errorf("a wrong code: %d %s, want 400 invalid_grant", status, body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		Scope       string `json:"scope"`
	}
	o.post(t, "/oauth2/token", url.Values{"grant_type": {otpGrant}, "otp_session": {session}, "otp": {code}}, &tok)
	if tok.AccessToken == "" || tok.TokenType != "Bearer" || tok.Scope != usageScope {
		t.Fatalf("token = %+v, want a Bearer token with scope %s", tok, usageScope)
	}
	in := introspect(t, o.base, o.kiosk.ClientID, o.kiosk.ClientSecret, tok.AccessToken)
	if !in.Active || in.Sub != o.heatherID || in.ClientID != o.kiosk.ClientID || in.Scope != usageScope {
		t.Errorf("introspection = %+v, want active for %s, client %s, scope %s", in, o.heatherID, o.kiosk.ClientID, usageScope)
	}
	status, body = postForm(t, o.base+"/oauth2/token", o.kiosk.ClientID, o.kiosk.ClientSecret,
		url.Values{"grant_type": {otpGrant}, "otp_session": {session}, "otp": {code}})
	if status == http.StatusOK {
		t.Errorf("the code was redeemed twice: %s", body)
	}
	logs := o.s.logs.String()
	for _, secret := range []string{tok.AccessToken, session, o.kiosk.ClientSecret} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log contains a secret %.12s...", secret)
		}
	}
	if regexp.MustCompile(`\b` + code + `\b`).MatchString(logs) {
		t.Errorf("the log contains the one-time code %s", code)
	}
}

// checkMessage checks what a message says: the code, who asks, what for,
// and the expiry (DESIGN.md story 1).
func checkMessage(t *testing.T, channel, text string) {
	t.Helper()
	for _, want := range []string{kioskName, "energy usage history", "10 minutes"} {
		if !strings.Contains(text, want) {
			t.Errorf("the %s lacks %q; it reads:\n%s", channel, want, text)
		}
	}
}

// TestOTPFlowEndToEndDev runs the OTP flow with `serve --dev`: the text
// goes to the dev outbox, where the test reads it as a person trying
// keypad would, through GET /dev/outbox.json and `keypad outbox`; on
// both databases.
func TestOTPFlowEndToEndDev(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { testOTPDev(t, b.env(t)) })
	}
}

func testOTPDev(t *testing.T, e env) {
	o := newOTPSetup(t, e, "--dev")
	if logs := o.s.logs.String(); !strings.Contains(logs, "development mode is on") {
		t.Errorf("the log does not warn that dev mode is on:\n%s", logs)
	}
	session := o.lookupAndSend(t, "sms", "0142")

	resp, err := http.Get(o.base + "/dev/outbox.json")
	if err != nil {
		t.Fatal(err)
	}
	var outbox struct {
		Messages []struct {
			Channel, To, Body, Code string
		}
	}
	err = json.NewDecoder(resp.Body).Decode(&outbox)
	resp.Body.Close()
	if err != nil || len(outbox.Messages) != 1 {
		t.Fatalf("GET /dev/outbox.json: %v, %d messages; want one", err, len(outbox.Messages))
	}
	msg := outbox.Messages[0]
	if msg.Channel != "sms" || msg.To != "+14155550142" || !regexp.MustCompile(`^[0-9]{6}$`).MatchString(msg.Code) ||
		!strings.Contains(msg.Body, msg.Code) {
		t.Fatalf("outbox message = %+v, want a text to +14155550142 with its 6-digit code", msg)
	}
	checkMessage(t, "text", msg.Body)

	cli := mustJSON[[]struct{ Channel, To, Code string }](t, o.e, "outbox", "--json", "--limit", "5")
	if len(cli) != 1 || cli[0].Code != msg.Code || cli[0].To != msg.To {
		t.Errorf("keypad outbox --json = %+v, want the same message", cli)
	}
	if text := mustRun(t, o.e, "", "outbox"); !strings.Contains(text, "sms to +14155550142  code "+msg.Code) || !strings.Contains(text, "| "+msg.Code) {
		t.Errorf("keypad outbox printed:\n%s\nwant the text, its recipient and its code", text)
	}

	o.redeem(t, session, msg.Code)
}

// TestOTPOffWithoutChannel checks that a server with no delivery channel
// (and no --dev) keeps the OTP flow and the outbox off and says why.
func TestOTPOffWithoutChannel(t *testing.T) {
	e := sqliteBackend.env(t)
	s := startServe(t, e, "--auto-migrate")
	if !strings.Contains(s.logs.String(), "OTP flow off: no delivery channel configured") {
		t.Errorf("the log does not say why the OTP flow is off:\n%s", s.logs)
	}
	for _, path := range []string{"/oauth2/otp/lookup", "/dev/outbox.json"} {
		method := map[bool]string{true: "POST", false: "GET"}[strings.HasPrefix(path, "/oauth2")]
		req, _ := http.NewRequest(method, s.srv.URL()+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s %s = %d, want 404", method, path, resp.StatusCode)
		}
	}
	if _, err := run(t, e, "", "serve", "--addr", "127.0.0.1:0", "--otp-channels-sms", "outbox"); err == nil ||
		!strings.Contains(err.Error(), "otp.channels.sms: outbox keeps one-time codes in clear") {
		t.Errorf("serve with the outbox but without --dev = %v, want a refusal naming otp.channels.sms", err)
	}
}
