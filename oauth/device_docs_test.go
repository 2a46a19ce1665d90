package oauth_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/oauth"
)

// The examples of docs/device-flow.md run against a real keypad: the OAuth
// server with the device flow and the hosted pages on one mux, on SQLite,
// with the test's clock; the agent plays the person on the pages.

var (
	// docUserCode is the shape of a default user code: 8 letters of
	// BCDFGHJKLMNPQRSTVWXZ in two groups.
	docUserCode = regexp.MustCompile(`^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$`)
	// secretShape is a keypad secret after its prefix: 256 bits, base64url.
	secretShape = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)
	// tokenShape is an opaque token after its prefix: 8 bytes of issue
	// time and 256 random bits, base64url (keypad.TokenKey).
	tokenShape = regexp.MustCompile(`^[A-Za-z0-9_-]{54}$`)
	// timelineRow is a row of the polling-timeline example.
	timelineRow = regexp.MustCompile(`^(\d+)s\s+([a-z_]+)\s+(\d+)s$`)
)

// deviceDocEnv is keypad as docs/device-flow.md describes it.
type deviceDocEnv struct {
	*flowEnv
	auth curlRequest // the documented device authorization request
	poll curlRequest // the documented token request
}

func newDeviceDocEnv(t *testing.T, auth, poll curlRequest) *deviceDocEnv {
	t.Helper()
	e := newFlowEnv(t, func(s *flowSettings) { s.device = &oauth.DeviceConfig{} })
	must(t, e.st.PutScope(context.Background(), &keypad.Scope{Name: "playlists:read", Description: "See your playlists"}))
	// AccessTTL is what keypad serve's default access_ttl gives.
	e.client(&keypad.Client{ID: "tv", Name: "Living Room TV", Description: "Plays your music on the television.",
		Public: true, GrantTypes: []string{keypad.GrantDeviceCode, keypad.GrantRefreshToken},
		Scopes: []string{"playlists:read", "device:{id}:control"}, AccessTTL: time.Hour})
	return &deviceDocEnv{flowEnv: e, auth: auth, poll: poll}
}

// send posts a documented request, with form values replaced by set.
func (e *deviceDocEnv) send(req curlRequest, set map[string]string) reply {
	e.t.Helper()
	r := e.post(req.path, req.client, req.with(set))
	if r.body == nil {
		e.t.Fatalf("%s answered %d with no JSON object: %s", req.path, r.status, r.raw)
	}
	return reply{status: r.status, header: r.header, body: r.body, raw: r.raw}
}

// start asks for a device code as documented and returns the answer.
func (e *deviceDocEnv) start() reply {
	e.t.Helper()
	r := e.send(e.auth, nil)
	if r.status != http.StatusOK {
		e.t.Fatalf("device authorization: %d %s", r.status, r.raw)
	}
	return r
}

// pollFor polls as documented for the device code of a start answer.
func (e *deviceDocEnv) pollFor(started reply) reply {
	e.t.Helper()
	return e.send(e.poll, map[string]string{"device_code": started.body["device_code"].(string)})
}

// interval is the stored polling interval of a started code.
func (e *deviceDocEnv) interval(started reply) time.Duration {
	e.t.Helper()
	d, err := e.st.GetDeviceAuthorization(context.Background(), keypad.SecretHash(started.body["device_code"].(string)))
	must(e.t, err)
	return d.Interval
}

// answer plays the person on the pages: type the code at /device, sign in
// as alice, answer consent with action. It returns the last page.
func (a *agent) answer(userCode, action string) page {
	a.e.t.Helper()
	p := a.do("POST", a.e.ts.URL+"/device", url.Values{"user_code": {userCode}})
	answered := false
	for range 8 {
		switch {
		case p.location != "":
			p = a.do("GET", p.location, nil)
		case p.status == http.StatusOK && p.path == "/login":
			p = a.do("POST", a.e.ts.URL+"/login", url.Values{"username": {"alice"}, "password": {alicePassword}})
		case p.status == http.StatusOK && p.path == "/consent" && !answered:
			answered = true
			p = a.do("POST", a.e.ts.URL+"/consent", url.Values{"action": {action}, "request": {consentRequest(p.body)}})
		default:
			return p
		}
	}
	a.e.t.Fatalf("answer %s: too many steps", userCode)
	return p
}

// TestDocsDeviceFlow sends the requests of docs/device-flow.md to a real
// keypad and compares the answers with the documented ones.
func TestDocsDeviceFlow(t *testing.T) {
	examples := openDocPage(t, "../docs/device-flow.md")
	get, docOf := examples.get, examples.reply
	e := newDeviceDocEnv(t, examples.curl("device-authorization-request"), examples.curl("token-request"))
	local := func(s string) string { return strings.ReplaceAll(s, docIssuer, e.ts.URL) }

	// Discovery announces the endpoint and the grant.
	sameMetadata(t, "metadata", jsonExample(t, "metadata", local(get("metadata"))),
		getMetadata(t, e.ts.URL+oauth.PathASMetadata), "grant_types_supported")

	// 1. A code: the documented members, fixed values and shapes.
	started := e.start()
	doc := parseDocReply(t, "device-authorization-response", local(get("device-authorization-response")))
	compare(t, "device-authorization-response", doc, started, "verification_uri", "expires_in", "interval")
	for who, body := range map[string]map[string]any{"documented": doc.body, "real": started.body} {
		dc, uc := body["device_code"].(string), body["user_code"].(string)
		if !strings.HasPrefix(dc, keypad.PrefixDeviceCode) || !secretShape.MatchString(strings.TrimPrefix(dc, keypad.PrefixDeviceCode)) {
			t.Errorf("%s device_code %q is not kp_dc_ and 256 bits", who, dc)
		}
		if !docUserCode.MatchString(uc) {
			t.Errorf("%s user_code %q is not 8 letters in two groups", who, uc)
		}
		if got, want := body["verification_uri_complete"], body["verification_uri"].(string)+"?user_code="+uc; got != want {
			t.Errorf("%s verification_uri_complete = %v, want %s", who, got, want)
		}
	}
	if got, want := e.poll.form.Get("device_code"), doc.body["device_code"]; got != want {
		t.Errorf("token-request polls with device_code %q; the documented answer gave %q", got, want)
	}

	// 2. Polling at the documented times, then approval.
	begin := e.clk.Now()
	lines := strings.Split(get("polling-timeline"), "\n")
	if len(lines) < 3 {
		t.Fatalf("polling-timeline has %d lines", len(lines))
	}
	var sawPending, sawSlowDown bool
	for _, line := range lines[1:] {
		m := timelineRow.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			t.Fatalf("polling-timeline row %q is not 'Ns answer Ns'", line)
		}
		at, _ := strconv.Atoi(m[1])
		want, _ := strconv.Atoi(m[3])
		e.clk.Advance(begin.Add(time.Duration(at) * time.Second).Sub(e.clk.Now()))
		r := e.pollFor(started)
		if got := r.body["error"]; got != m[2] {
			t.Errorf("polling-timeline at %ss: keypad answered %v, documented %s", m[1], got, m[2])
		}
		if got := e.interval(started); got != time.Duration(want)*time.Second {
			t.Errorf("polling-timeline at %ss: interval %s, documented %ss", m[1], got, m[3])
		}
		switch {
		case m[2] == oauth.CodeAuthorizationPending && !sawPending:
			sawPending = true
			compare(t, "authorization-pending", docOf("authorization-pending"), r, "error", "error_description")
		case m[2] == oauth.CodeSlowDown && !sawSlowDown:
			sawSlowDown = true
			compare(t, "slow-down", docOf("slow-down"), r, "error", "error_description")
		case m[2] == oauth.CodeSlowDown:
			if got := r.header.Get("Retry-After"); got != m[3] {
				t.Errorf("polling-timeline at %ss: Retry-After %s, want the new interval %s", m[1], got, m[3])
			}
		}
	}
	if !sawPending || !sawSlowDown {
		t.Errorf("polling-timeline shows no authorization_pending or no slow_down")
	}
	if p := e.agent().answer(started.body["user_code"].(string), "approve"); !strings.Contains(p.body, "You can return to your device") {
		t.Fatalf("approving on the pages ended at %s %d:\n%s", p.path, p.status, p.body)
	}
	e.clk.Advance(time.Second) // however early
	tokens := e.pollFor(started)
	compare(t, "token-response", docOf("token-response"), tokens, "token_type", "expires_in", "scope")
	if at, _ := tokens.body["access_token"].(string); strings.Count(at, ".") != 2 {
		t.Errorf("access_token %q is not a JWT", at)
	}
	for who, body := range map[string]map[string]any{"documented": docOf("token-response").body, "real": tokens.body} {
		rt, _ := body["refresh_token"].(string)
		if !strings.HasPrefix(rt, keypad.PrefixRefreshToken) || !tokenShape.MatchString(strings.TrimPrefix(rt, keypad.PrefixRefreshToken)) {
			t.Errorf("%s refresh_token %q is not kp_rt_, its issue time and 256 bits", who, rt)
		}
	}
	compare(t, "code-used", docOf("code-used"), e.pollFor(started), "error", "error_description")

	// Denied, and expired.
	denied := e.start()
	e.agent().answer(denied.body["user_code"].(string), "deny")
	compare(t, "access-denied", docOf("access-denied"), e.pollFor(denied), "error", "error_description")
	late := e.start()
	e.clk.Advance(time.Duration(late.body["expires_in"].(float64)) * time.Second)
	compare(t, "expired-token", docOf("expired-token"), e.pollFor(late), "error", "error_description")

	// The QR code.
	method, target := parseHTTPExample(t, get("qr-request")).requestTarget(t)
	res, err := http.Get(e.ts.URL + target.RequestURI())
	must(t, err)
	res.Body.Close()
	qr := parseHTTPExample(t, get("qr-response"))
	if method != "GET" || !strings.HasPrefix(qr.first, "HTTP/1.1 "+strconv.Itoa(res.StatusCode)+" ") {
		t.Errorf("qr-request %s %s answered %d; documented %q", method, target, res.StatusCode, qr.first)
	}
	for k := range qr.header {
		if got, want := res.Header.Get(k), qr.header.Get(k); got != want {
			t.Errorf("qr-response: %s: %s, keypad answered %q", k, want, got)
		}
	}

	examples.allChecked()
}
