package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/keypadauth/keypad/internal/browsertest"
	"github.com/keypadauth/keypad/internal/nodetest"
)

// CIBA end to end through the binary: a TV registered for CIBA asks for
// Heather by her phone number; `serve --dev` puts the text in the dev
// outbox, where Heather's "phone" (headless Chromium) opens the link,
// sees who asks, what for and the binding message, and approves; the TV's
// poll gets the tokens, once, however many polls race for them.

const cibaGrant = "urn:openid:params:grant-type:ciba"

var outboxLink = regexp.MustCompile(`https?://\S+/ciba\?t=[A-Za-z0-9_-]{22}`)

type cibaSetup struct {
	*otpSetup
	tv clientJSON
}

func newCIBASetup(t *testing.T, e env) *cibaSetup {
	t.Helper()
	o := newOTPSetup(t, e, "--dev")
	tv := mustJSON[clientJSON](t, e, "client", "create", "--name", "Living Room TV",
		"--grant-types", "ciba", "--scopes", "openid "+usageScope,
		"--backchannel-token-delivery-mode", "poll", "--json")
	return &cibaSetup{otpSetup: o, tv: tv}
}

func (c *cibaSetup) post(t *testing.T, path string, form url.Values) (int, map[string]any) {
	t.Helper()
	code, body := postForm(t, c.base+path, c.tv.ClientID, c.tv.ClientSecret, form)
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("POST %s: %s is not JSON", path, body)
	}
	return code, m
}

// start asks for Heather and returns the auth_req_id and the link the
// text carries.
func (c *cibaSetup) start(t *testing.T) (string, string) {
	t.Helper()
	code, r := c.post(t, "/oauth2/bc-authorize", url.Values{
		"scope": {"openid " + usageScope}, "login_hint": {heatherPh}, "binding_message": {"7391"},
	})
	id, _ := r["auth_req_id"].(string)
	if code != http.StatusOK || id == "" || r["expires_in"] != 600.0 || r["interval"] != 5.0 {
		t.Fatalf("bc-authorize: %d %v", code, r)
	}
	return id, c.outboxLink(t)
}

// outboxLink delivers the queued messages and returns the approval link
// of the newest, checking what the text says.
func (c *cibaSetup) outboxLink(t *testing.T) string {
	t.Helper()
	if _, err := c.s.srv.OAuth().DeliverOTPQueue(context.Background()); err != nil {
		t.Error(err)
		return ""
	}
	resp, err := http.Get(c.base + "/dev/outbox.json")
	if err != nil {
		t.Error(err)
		return ""
	}
	defer resp.Body.Close()
	var outbox struct {
		Messages []struct{ Channel, To, Body string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&outbox); err != nil || len(outbox.Messages) == 0 {
		t.Errorf("outbox: %v, %d messages", err, len(outbox.Messages))
		return ""
	}
	m := outbox.Messages[0]
	link := outboxLink.FindString(m.Body)
	if m.To != "+14155550142" || link == "" || !strings.Contains(m.Body, "Living Room TV") {
		t.Errorf("outbox message %+v: want a text to Heather naming the TV and a link", m)
	}
	return link
}

func (c *cibaSetup) poll(t *testing.T, id string) (int, map[string]any) {
	t.Helper()
	return c.post(t, "/oauth2/token", url.Values{"grant_type": {cibaGrant}, "auth_req_id": {id}})
}

func TestCIBAEndToEndBrowser(t *testing.T) {
	c := newCIBASetup(t, sqliteBackend.env(t))
	id, link := c.start(t)
	if code, r := c.poll(t, id); code != http.StatusBadRequest || r["error"] != "authorization_pending" {
		t.Fatalf("first poll: %d %v, want authorization_pending", code, r)
	}

	// A link preview fetches the page: nothing is decided.
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET the link: %d", resp.StatusCode)
	}

	phone := browsertest.Start(t, chromedp.WindowSize(420, 860))
	checkCSP := browsertest.WatchCSP(t, phone)
	browsertest.Do(t, phone, "open the link from the text",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS(`button[value="approve"]`)))
	page := browsertest.MainText(t, phone)
	for _, want := range []string{"Living Room TV", "7391", usageText, "Asked at"} {
		if !strings.Contains(page, want) {
			t.Errorf("the approval page lacks %q; it reads:\n%s", want, page)
		}
	}
	browsertest.Do(t, phone, "approve",
		chromedp.Click(chromedp.CSS(`button[value="approve"]`)),
		chromedp.WaitVisible(chromedp.CSS(".result h1")))
	if done := browsertest.MainText(t, phone); !strings.Contains(done, "Approved") {
		t.Errorf("after approving the page reads:\n%s", done)
	}
	checkCSP()

	code, tok := c.poll(t, id)
	if code != http.StatusOK || tok["access_token"] == nil || tok["id_token"] == nil {
		t.Fatalf("poll after approval: %d %v", code, tok)
	}
	in := introspect(t, c.base, c.tv.ClientID, c.tv.ClientSecret, tok["access_token"].(string))
	if !in.Active || in.Sub != c.heatherID {
		t.Errorf("introspection = %+v, want active for Heather", in)
	}
	// The link is spent: opening it again says so, and nothing more can
	// be approved.
	browsertest.Do(t, phone, "open the link again",
		chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(".result h1")))
	if again := browsertest.MainText(t, phone); !strings.Contains(again, "expired or was already answered") {
		t.Errorf("the spent link reads:\n%s", again)
	}
	logs := c.s.logs.String()
	for _, secret := range []string{id, link[strings.Index(link, "t=")+2:], tok["access_token"].(string)} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log contains a secret %.12s...", secret)
		}
	}
}

// TestCIBARaceEndToEnd races token requests for one approved request
// through the binary, on both databases: one winner.
func TestCIBARaceEndToEnd(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			c := newCIBASetup(t, b.env(t))
			id, link := c.start(t)
			// Approve as the page does: a POST of the form.
			resp, err := http.PostForm(c.base+"/ciba", url.Values{"t": {link[strings.Index(link, "t=")+2:]}, "action": {"approve"}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("approve: %d", resp.StatusCode)
			}
			const racers = 12
			var wg sync.WaitGroup
			start := make(chan struct{})
			codes := make([]int, racers)
			for i := range racers {
				wg.Go(func() {
					<-start
					code, _ := postForm(t, c.base+"/oauth2/token", c.tv.ClientID, c.tv.ClientSecret,
						url.Values{"grant_type": {cibaGrant}, "auth_req_id": {id}})
					codes[i] = code
				})
			}
			close(start)
			wg.Wait()
			wins := 0
			for _, code := range codes {
				if code == http.StatusOK {
					wins++
				} else if code != http.StatusBadRequest {
					t.Errorf("a racer got %d", code)
				}
			}
			if wins != 1 {
				t.Errorf("%d racers got tokens, want 1", wins)
			}
		})
	}
}

// TestCIBAOpenIDClient drives CIBA with an independent client, Node's
// openid-client 6.8.9: it starts the request, tells the test its
// auth_req_id, and polls; the test, on that signal, opens the link from
// the dev outbox and approves as Heather's page does.
func TestCIBAOpenIDClient(t *testing.T) {
	c := newCIBASetup(t, sqliteBackend.env(t))
	var mu sync.Mutex
	var signalled string
	sig := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		signalled = string(b)
		mu.Unlock()
		link := c.outboxLink(t)
		resp, err := http.PostForm(c.base+"/ciba", url.Values{"t": {link[strings.Index(link, "t=")+2:]}, "action": {"approve"}})
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("approve: %v %v", err, resp)
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		resp.Body.Close()
	}))
	t.Cleanup(sig.Close)
	out := nodetest.Run(t, "testdata/ciba.mjs", c.base, c.tv.ClientID, c.tv.ClientSecret, heatherPh, sig.URL)
	var got struct {
		AuthReqID   string `json:"auth_req_id"`
		ExpiresIn   int    `json:"expires_in"`
		Interval    int    `json:"interval"`
		AccessToken string `json:"access_token"`
		Sub, Scope  string
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("openid-client printed %s: %v", out, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if got.AuthReqID == "" || got.AuthReqID != signalled || got.ExpiresIn != 600 || got.Interval != 5 {
		t.Errorf("openid-client saw %+v (signalled %q)", got, signalled)
	}
	if got.Sub != c.heatherID || got.AccessToken == "" || got.Scope != "openid "+usageScope {
		t.Errorf("openid-client's tokens: %+v, want Heather's ID token and an access token", got)
	}
}
