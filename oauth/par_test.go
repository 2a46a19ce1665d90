package oauth_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/internal/nodetest"
	"github.com/keypadauth/keypad/oauth"
)

// push sends the web app's request to the PAR endpoint as client.
func (e *flowEnv) push(client string, params url.Values) tokenResponse {
	e.t.Helper()
	return e.post(oauth.PathPAR, client, params)
}

// mustPush pushes params and returns the request_uri.
func (e *flowEnv) mustPush(params url.Values) string {
	e.t.Helper()
	r := e.push("webapp", params)
	uri := r.str("request_uri")
	if r.status != http.StatusCreated || !strings.HasPrefix(uri, "urn:ietf:params:oauth:request_uri:") || r.body["expires_in"] != float64(60) {
		e.t.Fatalf("push: %d %s, want 201 with a request_uri URN and expires_in 60", r.status, r.raw)
	}
	return uri
}

func parURL(e *flowEnv, client, uri string) string {
	return e.authURL(url.Values{"client_id": {client}, "request_uri": {uri}})
}

// TestPAR: a pushed request works once, for a minute, for its own
// client, and says nothing that was not pushed (RFC 9126).
func TestPAR(t *testing.T) {
	e := newFlowEnv(t)
	t.Run("OK", func(t *testing.T) {
		p, verifier := e.webParams("openid api:read")
		uri := e.mustPush(p)
		cb := e.agent().authorize(parURL(e, "webapp", uri), "alice", alicePassword, "approve")
		if cb.Query().Get("state") != "st-123" || cb.Query().Get("iss") != e.ts.URL {
			t.Errorf("callback %s: want the pushed state and iss", cb)
		}
		wantOK(t, e.exchange("webapp", cb.Query().Get("code"), verifier))
		// Used once: the same request_uri again is refused on a page.
		if pg := e.agent().do("GET", parURL(e, "webapp", uri), nil); pg.status != http.StatusBadRequest || !strings.Contains(pg.body, "request_uri") {
			t.Errorf("reused request_uri: %d, want 400 naming the request_uri", pg.status)
		}
	})
	t.Run("ErrExpired", func(t *testing.T) {
		p, _ := e.webParams("api:read")
		uri := e.mustPush(p)
		e.clk.Advance(oauth.PARLifetime)
		if pg := e.agent().do("GET", parURL(e, "webapp", uri), nil); pg.status != http.StatusBadRequest {
			t.Errorf("request_uri after its minute: %d, want 400", pg.status)
		}
	})
	t.Run("OKJustInTime", func(t *testing.T) {
		p, _ := e.webParams("api:read")
		uri := e.mustPush(p)
		e.clk.Advance(oauth.PARLifetime - time.Second)
		if pg := e.agent().do("GET", parURL(e, "webapp", uri), nil); pg.status != http.StatusSeeOther && pg.status != http.StatusFound {
			t.Errorf("request_uri a second before it expires: %d, want a redirect to sign-in", pg.status)
		}
	})
	t.Run("ErrOtherClient", func(t *testing.T) {
		p, _ := e.webParams("api:read")
		uri := e.mustPush(p)
		if pg := e.agent().do("GET", parURL(e, "native", uri), nil); pg.status != http.StatusBadRequest {
			t.Errorf("request_uri with another client_id: %d, want 400", pg.status)
		}
	})
	t.Run("ErrForeignRequestURI", func(t *testing.T) {
		if pg := e.agent().do("GET", parURL(e, "webapp", "https://client.example/request.jwt"), nil); pg.status != http.StatusBadRequest {
			t.Errorf("request_uri by reference: %d, want 400", pg.status)
		}
	})
	t.Run("ErrPushUnauthenticated", func(t *testing.T) {
		p, _ := e.webParams("api:read")
		p.Set("client_id", "webapp")
		p.Set("client_secret", "kp_cs_wrong")
		req, _ := http.NewRequest("POST", e.ts.URL+oauth.PathPAR, strings.NewReader(p.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := http.DefaultClient.Do(req)
		must(t, err)
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("push with a wrong secret: %d, want 401", res.StatusCode)
		}
	})
	for name, edit := range map[string]func(url.Values){
		"ErrPushBadRedirect":   func(v url.Values) { v.Set("redirect_uri", "https://evil.example/cb") },
		"ErrPushNoPKCE":        func(v url.Values) { v.Del("code_challenge"); v.Del("code_challenge_method") },
		"ErrPushRequestURI":    func(v url.Values) { v.Set("request_uri", "urn:ietf:params:oauth:request_uri:x") },
		"ErrPushResponseToken": func(v url.Values) { v.Set("response_type", "token") },
	} {
		t.Run(name, func(t *testing.T) {
			p, _ := e.webParams("api:read")
			edit(p)
			if r := e.push("webapp", p); r.status != http.StatusBadRequest || r.str("error") == "" {
				t.Errorf("push: %d %s, want 400 with an error", r.status, r.raw)
			}
		})
	}
	t.Run("RequirePAR", func(t *testing.T) {
		e.updateClient("webapp", func(c *keypad.Client) { c.Options.RequirePAR = true })
		defer e.updateClient("webapp", func(c *keypad.Client) { c.Options.RequirePAR = false })
		p, verifier := e.webParams("api:read")
		pg := e.agent().do("GET", e.authURL(p), nil)
		if loc, _ := url.Parse(pg.location); loc == nil || loc.Query().Get("error") != "invalid_request" {
			t.Errorf("unpushed request of a --require-par client: %d %s, want a redirect with invalid_request", pg.status, pg.location)
		}
		cb := e.agent().authorize(parURL(e, "webapp", e.mustPush(p)), "alice", alicePassword, "approve")
		wantOK(t, e.exchange("webapp", cb.Query().Get("code"), verifier))
	})
	t.Run("Metadata", func(t *testing.T) {
		if m := e.discovery(); m["pushed_authorization_request_endpoint"] != e.ts.URL+oauth.PathPAR {
			t.Errorf("pushed_authorization_request_endpoint = %v", m["pushed_authorization_request_endpoint"])
		}
	})
}

// TestPARRace: one request_uri opened by many browsers at once is used
// once: one goes on to sign in, the others get the error page.
func TestPARRace(t *testing.T) {
	e := newFlowEnv(t)
	p, _ := e.webParams("api:read")
	uri := e.mustPush(p)
	const n = 12
	statuses := make(chan int, n)
	start := make(chan struct{})
	for range n {
		go func() {
			<-start
			req, _ := http.NewRequest("GET", parURL(e, "webapp", uri), nil)
			c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			res, err := c.Do(req)
			if err != nil {
				statuses <- 0
				return
			}
			res.Body.Close()
			statuses <- res.StatusCode
		}()
	}
	close(start)
	got := map[int]int{}
	for range n {
		got[<-statuses]++
	}
	if got[http.StatusBadRequest] != n-1 {
		t.Errorf("statuses %v, want one redirect to sign-in and %d refusals", got, n-1)
	}
}

// TestPARInteropOpenIDClient: openid-client 6.8.9's
// buildAuthorizationUrlWithPAR pushes the request; the URL it gives the
// browser carries only client_id and request_uri, and leads to a code.
func TestPARInteropOpenIDClient(t *testing.T) {
	e := newFlowEnv(t)
	verifier, challenge := pkce()
	redirect := e.callback.URL + "/callback"
	out := nodetest.Run(t, "testdata/par_openid_client.mjs", e.ts.URL, "webapp", e.secrets["webapp"], redirect, challenge, "st-par")
	u, err := url.Parse(strings.TrimSpace(string(out)))
	must(t, err)
	if q := u.Query(); len(q) != 2 || q.Get("client_id") != "webapp" || !strings.HasPrefix(q.Get("request_uri"), "urn:ietf:params:oauth:request_uri:") {
		t.Fatalf("openid-client's URL %s: want only client_id and request_uri", u)
	}
	cb := e.agent().authorize(u.String(), "alice", alicePassword, "approve")
	if cb.Query().Get("state") != "st-par" {
		t.Errorf("callback %s: want state st-par", cb)
	}
	wantOK(t, e.exchange("webapp", cb.Query().Get("code"), verifier))
}
