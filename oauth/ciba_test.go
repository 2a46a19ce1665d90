package oauth

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
)

// The CIBA tests run over real HTTP against a real SQLite store, with the
// texts received by a Twilio-speaking server (internal/twiliotest) and
// the emails by a real SMTP server, as the OTP tests do.

var cibaLink = regexp.MustCompile(`https://auth\.example\.com/ciba\?t=([A-Za-z0-9_-]{22})\b`)

type cibaEnv struct {
	*otpEnv
	tv     *keypad.Client
	secret string
}

// newCIBAEnv is the OTP env with CIBA on, Heather as a customer and "tv"
// as a poll-mode CIBA client (edit may change it before it is stored).
func newCIBAEnv(t *testing.T, otp OTPConfig, edit ...func(*keypad.Client)) *cibaEnv {
	t.Helper()
	o := newOTPEnv(t, otp)
	o.mustRebuild(func(c *Config, d *Deps) { c.CIBA = &CIBAConfig{} })
	o.start() // again, now with CIBA
	e := &cibaEnv{otpEnv: o}
	e.tv = &keypad.Client{
		ID: "tv", Name: kioskName, GrantTypes: []string{keypad.GrantCIBA, keypad.GrantRefreshToken},
		Scopes: []string{"openid", "offline_access", usageScope}, TokenFormat: keypad.FormatJWT,
	}
	for _, fn := range edit {
		fn(e.tv)
	}
	if err := e.tv.Validate(); err != nil {
		t.Fatalf("tv client: %v", err)
	}
	e.secret = e.mustClient(e.tv)
	e.mustPerson("sub-heather", heather)
	return e
}

func (e *cibaEnv) authorize(form url.Values) response {
	e.t.Helper()
	if form.Get("scope") == "" {
		form.Set("scope", "openid "+usageScope)
	}
	r := e.post(PathBCAuthorize, form, basic(e.tv.ID, e.secret))
	e.deliver()
	return r
}

func (e *cibaEnv) mustAuthorize(form url.Values) string {
	e.t.Helper()
	r := e.authorize(form)
	if r.status != http.StatusOK {
		e.t.Fatalf("bc-authorize: %d %s", r.status, r.raw)
	}
	id, _ := r.body["auth_req_id"].(string)
	if !strings.HasPrefix(id, keypad.PrefixCIBARequest) || len(id) < len(keypad.PrefixCIBARequest)+43 {
		e.t.Fatalf("auth_req_id %q: want %s and 256 bits", id, keypad.PrefixCIBARequest)
	}
	return id
}

func (e *cibaEnv) poll(id string) response {
	e.t.Helper()
	return e.post(PathToken, url.Values{"grant_type": {keypad.GrantCIBA}, "auth_req_id": {id}}, basic(e.tv.ID, e.secret))
}

// link returns the approval link's token from the newest text.
func (e *cibaEnv) link() string {
	e.t.Helper()
	body := e.twilio.Last(e.t).Get("Body")
	m := cibaLink.FindStringSubmatch(body)
	if m == nil {
		e.t.Fatalf("no approval link in the text %q", body)
	}
	return m[1]
}

func hint(h string) url.Values { return url.Values{"login_hint": {h}, "binding_message": {"4821"}} }

func TestCIBAPollApprove(t *testing.T) {
	e := newCIBAEnv(t, OTPConfig{})
	r := e.authorize(hint("(415) 867-4821"))
	if r.status != http.StatusOK || r.body["expires_in"] != 600.0 || r.body["interval"] != 5.0 {
		t.Fatalf("bc-authorize: %d %s, want auth_req_id, expires_in 600, interval 5", r.status, r.raw)
	}
	id := r.body["auth_req_id"].(string)
	msg := e.twilio.Last(t)
	if msg.Get("To") != "+14158674821" {
		t.Errorf("text went to %q, want Heather's phone", msg.Get("To"))
	}
	for _, want := range []string{kioskName, "energy usage history", "Code 4821"} {
		if !strings.Contains(msg.Get("Body"), want) {
			t.Errorf("text %q lacks %q", msg.Get("Body"), want)
		}
	}
	link := e.link()
	stored, err := e.st.GetCIBARequestByLink(t.Context(), keypad.SecretHash(link))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.GetCIBARequest(t.Context(), []byte(id)); !errors.Is(err, keypad.ErrNotFound) {
		t.Errorf("the auth_req_id is stored in clear (%v)", err)
	}
	if string(stored.Hash) != string(keypad.SecretHash(id)) || stored.Subject != "sub-heather" || stored.Decoy {
		t.Errorf("stored request %+v: want Heather's, by hash", stored)
	}

	wantError(t, e.poll(id), http.StatusBadRequest, CodeAuthorizationPending)
	wantError(t, e.poll(id), http.StatusBadRequest, CodeSlowDown)
	e.clk.Advance(9 * time.Second) // the interval is 10s now
	wantError(t, e.poll(id), http.StatusBadRequest, CodeSlowDown)
	e.clk.Advance(15 * time.Second)
	wantError(t, e.poll(id), http.StatusBadRequest, CodeAuthorizationPending)
	if got, _ := e.st.GetCIBARequest(t.Context(), stored.Hash); got.Interval != 15*time.Second {
		t.Errorf("persisted interval %s, want 15s after two slow_downs", got.Interval)
	}

	// Opening the link (a preview) decides nothing.
	v, err := e.srv.CIBARequest(t.Context(), link)
	if err != nil || v.ClientName != kioskName || v.BindingMessage != "4821" || len(v.Scopes) != 1 || v.Scopes[0] != usageWords {
		t.Fatalf("view = %+v, %v", v, err)
	}
	e.clk.Advance(15 * time.Second)
	wantError(t, e.poll(id), http.StatusBadRequest, CodeAuthorizationPending)

	if err := e.srv.CIBADecide(t.Context(), link, true, "", "", "192.0.2.1"); err != nil {
		t.Fatalf("approve: %v", err)
	}
	if err := e.srv.CIBADecide(t.Context(), link, false, "", "", "192.0.2.1"); !errors.Is(err, ErrCIBANotPending) {
		t.Errorf("second decision: %v, want ErrCIBANotPending", err)
	}
	e.clk.Advance(15 * time.Second)
	tok := e.poll(id)
	if tok.status != http.StatusOK || tok.body["access_token"] == nil || tok.body["id_token"] == nil || tok.body["refresh_token"] != nil {
		t.Fatalf("tokens: %d %s; want access and ID token (no refresh without offline_access)", tok.status, tok.raw)
	}
	var claims idTokenClaims
	if err := e.keys.Verify(t.Context(), tok.body["id_token"].(string), typIDToken, &claims); err != nil {
		t.Fatal(err)
	}
	if claims.Subject != "sub-heather" || claims.Audience != "tv" || claims.AuthTime == 0 {
		t.Errorf("id token claims %+v", claims)
	}
	wantError(t, e.poll(id), http.StatusBadRequest, CodeInvalidGrant)
	grants, err := e.st.ListGrants(t.Context(), "sub-heather", "tv")
	if err != nil || len(grants) != 1 || grants[0].Flow != keypad.GrantCIBA {
		t.Errorf("grants = %v, %v; want one CIBA grant", grants, err)
	}

	// The ID token names Heather as a hint next time.
	id2 := e.mustAuthorize(url.Values{"id_token_hint": {tok.body["id_token"].(string)}})
	if e.twilio.Last(t).Get("To") != "+14158674821" {
		t.Errorf("id_token_hint request went to %q", e.twilio.Last(t).Get("To"))
	}
	wantError(t, e.poll(id2), http.StatusBadRequest, CodeAuthorizationPending)
	bad := tok.body["id_token"].(string)
	bad = bad[:len(bad)-4] + "AAAA"
	wantError(t, e.authorize(url.Values{"id_token_hint": {bad}}), http.StatusBadRequest, CodeInvalidRequest)
}

func TestCIBADenyAndExpiry(t *testing.T) {
	e := newCIBAEnv(t, OTPConfig{})
	t.Run("Deny", func(t *testing.T) {
		id := e.mustAuthorize(hint("heather@example.com"))
		_, text := mailText(t, e.mail.Next(t).Data)
		if !strings.Contains(text, "4821") {
			t.Errorf("an email hint should be reached by email; got %s", text)
		}
		link := cibaLink.FindStringSubmatch(text)
		if link == nil {
			t.Fatalf("no link in the email %s", text)
		}
		if err := e.srv.CIBADecide(t.Context(), link[1], false, "", "", ""); err != nil {
			t.Fatal(err)
		}
		wantError(t, e.poll(id), http.StatusBadRequest, CodeAccessDenied)
	})
	t.Run("Expired", func(t *testing.T) {
		r := e.authorize(url.Values{"login_hint": {"100-200-300"}, "requested_expiry": {"120"}})
		if r.status != http.StatusOK || r.body["expires_in"] != 120.0 {
			t.Fatalf("bc-authorize: %d %s, want expires_in 120", r.status, r.raw)
		}
		link := e.link()
		e.clk.Advance(120 * time.Second)
		wantError(t, e.poll(r.body["auth_req_id"].(string)), http.StatusBadRequest, CodeExpiredToken)
		if err := e.srv.CIBADecide(t.Context(), link, true, "", "", ""); !errors.Is(err, ErrCIBANotPending) {
			t.Errorf("late approval: %v, want ErrCIBANotPending", err)
		}
	})
	t.Run("OtherClient", func(t *testing.T) {
		id := e.mustAuthorize(hint("100-200-300"))
		other := &keypad.Client{ID: "other", Name: "Other", GrantTypes: []string{keypad.GrantCIBA}, Scopes: e.tv.Scopes}
		s := e.mustClient(other)
		wantError(t, e.post(PathToken, url.Values{"grant_type": {keypad.GrantCIBA}, "auth_req_id": {id}}, basic("other", s)),
			http.StatusBadRequest, CodeInvalidGrant)
	})
}

// An unknown hint answers as a known one and sends nothing; the
// ambiguous one says what else to send; explicit clients hear
// unknown_user_id.
func TestCIBAHints(t *testing.T) {
	e := newCIBAEnv(t, OTPConfig{})
	before := len(e.twilio.Accepted())
	r := e.authorize(hint("(415) 555-0199"))
	if r.status != http.StatusOK || r.body["expires_in"] != 600.0 || r.body["interval"] != 5.0 || len(r.body) != 3 {
		t.Fatalf("unknown hint: %d %s, want the shape of a known one", r.status, r.raw)
	}
	if got := len(e.twilio.Accepted()); got != before {
		t.Errorf("an unknown hint sent %d texts", got-before)
	}
	wantError(t, e.poll(r.body["auth_req_id"].(string)), http.StatusBadRequest, CodeAuthorizationPending)

	e.mustPerson("sub-hank", person{Name: "Hank", Phone: "(415) 867-1111", Address: heather.Address, Account: "100-200-301"})
	r = e.authorize(hint("123 North Main Street Apt 4 62701"))
	wantError(t, r, http.StatusBadRequest, CodeInvalidRequest)
	if !strings.Contains(r.raw, "account number") || !strings.Contains(r.raw, "identifier_types") {
		t.Errorf("ambiguous hint: %s; want what else to send", r.raw)
	}

	ex := &keypad.Client{ID: "explicit", Name: "Explicit", GrantTypes: []string{keypad.GrantCIBA}, Scopes: e.tv.Scopes,
		Options: keypad.ClientOptions{ExplicitUnknownIdentifier: true}}
	s := e.mustClient(ex)
	r = e.post(PathBCAuthorize, url.Values{"login_hint": {"(415) 555-0199"}, "scope": {"openid"}}, basic("explicit", s))
	wantError(t, r, http.StatusBadRequest, CodeUnknownUserID)
}

func TestCIBABadRequests(t *testing.T) {
	e := newCIBAEnv(t, OTPConfig{})
	for _, tt := range []struct {
		name string
		form url.Values
		code string
	}{
		{"NoOpenID", url.Values{"login_hint": {"100-200-300"}, "scope": {usageScope}}, CodeInvalidScope},
		{"NoHint", url.Values{}, CodeInvalidRequest},
		{"TwoHints", url.Values{"login_hint": {"100-200-300"}, "id_token_hint": {"x"}}, CodeInvalidRequest},
		{"LoginHintToken", url.Values{"login_hint_token": {"x"}}, CodeInvalidRequest},
		{"BindingTooLong", url.Values{"login_hint": {"100-200-300"}, "binding_message": {strings.Repeat("1", 21)}}, CodeInvalidBindingMessage},
		{"BindingNotPlain", url.Values{"login_hint": {"100-200-300"}, "binding_message": {"<b>1</b>"}}, CodeInvalidBindingMessage},
		{"ExpiryTooShort", url.Values{"login_hint": {"100-200-300"}, "requested_expiry": {"10"}}, CodeInvalidRequest},
		{"ExpiryTooLong", url.Values{"login_hint": {"100-200-300"}, "requested_expiry": {"601"}}, CodeInvalidRequest},
		{"UserCode", url.Values{"login_hint": {"100-200-300"}, "user_code": {"1234"}}, CodeInvalidRequest},
	} {
		t.Run(tt.name, func(t *testing.T) { wantError(t, e.authorize(tt.form), http.StatusBadRequest, tt.code) })
	}
	t.Run("NotRegistered", func(t *testing.T) {
		wantError(t, e.post(PathBCAuthorize, hint("100-200-300"), basic(e.kiosk.ID, e.otpEnv.secret)), http.StatusBadRequest, CodeUnauthorizedClient)
	})
	t.Run("WrongSecret", func(t *testing.T) {
		wantError(t, e.post(PathBCAuthorize, hint("100-200-300"), basic(e.tv.ID, "kp_cs_wrong")), http.StatusUnauthorized, CodeInvalidClient)
	})
	t.Run("MissingAuthReqID", func(t *testing.T) {
		wantError(t, e.post(PathToken, url.Values{"grant_type": {keypad.GrantCIBA}}, basic(e.tv.ID, e.secret)), http.StatusBadRequest, CodeInvalidRequest)
	})
}

// The OTP flow's caps hold for CIBA: per destination, and for an unknown
// hint as for a known one.
func TestCIBACaps(t *testing.T) {
	e := newCIBAEnv(t, OTPConfig{DailyPerDestination: 1})
	e.mustAuthorize(hint("(415) 867-4821"))
	wantError(t, e.authorize(hint("(415) 867-4821")), http.StatusTooManyRequests, CodeTooManyRequests)
	e.mustAuthorize(hint("(415) 555-0199"))
	wantError(t, e.authorize(hint("(415) 555-0199")), http.StatusTooManyRequests, CodeTooManyRequests)
}

// Of many concurrent token requests for one approved request, exactly
// one gets tokens.
func TestCIBARace(t *testing.T) {
	e := newCIBAEnv(t, OTPConfig{})
	id := e.mustAuthorize(hint("100-200-300"))
	if err := e.srv.CIBADecide(t.Context(), e.link(), true, "", "", ""); err != nil {
		t.Fatal(err)
	}
	const racers = 16
	var wg sync.WaitGroup
	start := make(chan struct{})
	codes := make([]string, racers)
	for i := range racers {
		wg.Go(func() {
			<-start
			r := e.poll(id)
			codes[i] = "ok"
			if r.status != http.StatusOK {
				codes[i], _ = r.body["error"].(string)
			}
		})
	}
	close(start)
	wg.Wait()
	wins := 0
	for i, c := range codes {
		switch c {
		case "ok":
			wins++
		case CodeInvalidGrant:
		default:
			t.Errorf("racer %d: %s", i, c)
		}
	}
	if wins != 1 {
		t.Errorf("%d racers got tokens, want 1", wins)
	}
}

// pingSink is the client's notification endpoint.
type pingSink struct {
	mu     sync.Mutex
	status int
	got    []http.Header
	bodies []string
}

func (p *pingSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.got = append(p.got, r.Header.Clone())
	p.bodies = append(p.bodies, string(b))
	w.WriteHeader(p.status)
}

func TestCIBAPing(t *testing.T) {
	sink := &pingSink{status: http.StatusServiceUnavailable}
	ts := httptest.NewServer(sink)
	t.Cleanup(ts.Close)
	e := newCIBAEnv(t, OTPConfig{}, func(c *keypad.Client) {
		c.Options.CIBA = keypad.CIBAOptions{DeliveryMode: keypad.CIBAModePing, NotificationEndpoint: ts.URL + "/cb"}
	})
	wantError(t, e.authorize(hint("100-200-300")), http.StatusBadRequest, CodeInvalidRequest) // no token
	form := hint("100-200-300")
	form.Set("client_notification_token", "notify-me-8f3a")
	id := e.mustAuthorize(form)
	link := e.link()
	if n, err := e.srv.DeliverCIBAPings(t.Context()); err != nil || n != 0 {
		t.Fatalf("pings before a decision: %d, %v", n, err)
	}
	if err := e.srv.CIBADecide(t.Context(), link, true, "", "", ""); err != nil {
		t.Fatal(err)
	}
	if n, _ := e.srv.DeliverCIBAPings(t.Context()); n != 1 {
		t.Fatalf("pinged %d, want 1 (refused by the client)", n)
	}
	if n, _ := e.srv.DeliverCIBAPings(t.Context()); n != 0 {
		t.Fatalf("retried at once: %d", n)
	}
	sink.mu.Lock()
	sink.status = http.StatusNoContent
	sink.mu.Unlock()
	e.clk.Advance(time.Second)
	if n, _ := e.srv.DeliverCIBAPings(t.Context()); n != 1 {
		t.Fatalf("retry after 1s: pinged %d, want 1", n)
	}
	e.clk.Advance(time.Hour)
	if n, _ := e.srv.DeliverCIBAPings(t.Context()); n != 0 {
		t.Fatalf("a delivered ping went again: %d", n)
	}
	sink.mu.Lock()
	if len(sink.got) != 2 || sink.got[1].Get("Authorization") != "Bearer notify-me-8f3a" {
		t.Fatalf("pings %v", sink.got)
	}
	var body map[string]string
	if err := json.Unmarshal([]byte(sink.bodies[1]), &body); err != nil || body["auth_req_id"] != id || len(body) != 1 {
		t.Fatalf("ping body %q: want {\"auth_req_id\":…}", sink.bodies[1])
	}
	sink.mu.Unlock()
	stored, _ := e.st.GetCIBARequest(t.Context(), keypad.SecretHash(id))
	if strings.Contains(string(stored.NotificationToken), "notify-me") {
		t.Error("the client_notification_token is stored in clear")
	}
	e.clk.Advance(-time.Hour)
	tok := e.poll(id)
	if tok.status != http.StatusOK || tok.body["access_token"] == nil {
		t.Fatalf("tokens after the ping: %d %s", tok.status, tok.raw)
	}
}

func TestCIBAMetadata(t *testing.T) {
	e := newCIBAEnv(t, OTPConfig{})
	resp, err := http.Get(e.ts.URL + PathOIDCDiscovery)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	decodeJSON(t, resp, &m)
	if m["backchannel_authentication_endpoint"] != testIssuer+PathBCAuthorize {
		t.Errorf("backchannel_authentication_endpoint = %v", m["backchannel_authentication_endpoint"])
	}
	modes, _ := json.Marshal(m["backchannel_token_delivery_modes_supported"])
	if string(modes) != `["poll","ping"]` {
		t.Errorf("modes = %s", modes)
	}
	gts, _ := json.Marshal(m["grant_types_supported"])
	if !strings.Contains(string(gts), keypad.GrantCIBA) {
		t.Errorf("grant_types_supported %s lacks the CIBA grant", gts)
	}
	if m["backchannel_user_code_parameter_supported"] != false {
		t.Errorf("backchannel_user_code_parameter_supported = %v, want false", m["backchannel_user_code_parameter_supported"])
	}
}

// A client that requires sign-in gets approvals only from the person,
// signed in; anyone holding the link may still deny.
func TestCIBARequireSignIn(t *testing.T) {
	e := newCIBAEnv(t, OTPConfig{}, func(c *keypad.Client) { c.Options.CIBA.RequireSignIn = true })
	id := e.mustAuthorize(hint("100-200-300"))
	link := e.link()
	if v, err := e.srv.CIBARequest(t.Context(), link); err != nil || !v.RequireSignIn || v.Subject != "sub-heather" {
		t.Fatalf("view = %+v, %v; want sign-in required for Heather", v, err)
	}
	for _, who := range []string{"", "sub-someone-else"} {
		if err := e.srv.CIBADecide(t.Context(), link, true, "", who, ""); !errors.Is(err, ErrCIBASignInRequired) {
			t.Errorf("approval signed in as %q: %v, want ErrCIBASignInRequired", who, err)
		}
	}
	wantError(t, e.poll(id), http.StatusBadRequest, CodeAuthorizationPending)
	if grants, _ := e.st.ListGrants(t.Context(), "sub-heather", ""); len(grants) != 0 {
		t.Errorf("refused approvals left grants %v", grants)
	}
	if err := e.srv.CIBADecide(t.Context(), link, true, "", "sub-heather", ""); err != nil {
		t.Fatalf("approval signed in as Heather: %v", err)
	}
	e.clk.Advance(5 * time.Second)
	if r := e.poll(id); r.status != http.StatusOK {
		t.Fatalf("tokens: %d %s", r.status, r.raw)
	}
}

// A private_key_jwt client authenticates at the backchannel endpoint with
// an assertion naming it (CIBA Core §7.1: the issuer or the endpoint).
func TestCIBAPrivateKeyJWT(t *testing.T) {
	keys := sharedPartnerKeys()
	e := newCIBAEnv(t, OTPConfig{}, func(c *keypad.Client) {
		c.Options.TokenEndpointAuthMethod = keypad.AuthMethodPrivateKeyJWT
		c.Options.AssertionKeys = jwks(jwkOf(&keys.ec.PublicKey, "e1"))
	})
	now := e.clk.Now()
	sign := func(aud, jti string) url.Values {
		a := signJWS(keys.ec, nil, map[string]any{"alg": "ES256", "kid": "e1"}, map[string]any{
			"iss": "tv", "sub": "tv", "aud": aud, "exp": now.Add(time.Minute).Unix(), "jti": jti})
		f := hint("100-200-300")
		f.Set("scope", "openid "+usageScope)
		f.Set("client_assertion_type", ClientAssertionType)
		f.Set("client_assertion", a)
		return f
	}
	r := e.post(PathBCAuthorize, sign(testIssuer+PathBCAuthorize, "j1"), nil)
	if r.status != http.StatusOK || r.body["auth_req_id"] == nil {
		t.Fatalf("bc-authorize with private_key_jwt: %d %s", r.status, r.raw)
	}
	if r := e.post(PathBCAuthorize, sign(testIssuer, "j2"), nil); r.status != http.StatusOK {
		t.Fatalf("bc-authorize with the issuer as aud: %d %s", r.status, r.raw)
	}
	wantError(t, e.post(PathBCAuthorize, sign(testIssuer+PathBCAuthorize, "j1"), nil), http.StatusUnauthorized, CodeInvalidClient) // replayed
	wantError(t, e.post(PathBCAuthorize, hint("100-200-300"), basic("tv", e.secret)), http.StatusUnauthorized, CodeInvalidClient)
}
