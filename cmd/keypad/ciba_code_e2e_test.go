package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/keypadauth/keypad/internal/browsertest"
)

// The type-a-code variant through the binary: a client registered with
// --backchannel-require-binding-code shows a code; the text does not
// carry it, so Heather's "phone" (headless Chromium) must type it from
// the client's screen before Approve counts. A wrong code denies.
func TestCIBABindingCodeEndToEnd(t *testing.T) {
	c := newCIBASetup(t, sqliteBackend.env(t))
	c.tv = mustJSON[clientJSON](t, c.e, "client", "create", "--name", "Living Room TV",
		"--grant-types", "ciba", "--scopes", "openid "+usageScope,
		"--backchannel-require-binding-code", "--json")
	ask := func(code string) (string, string) {
		t.Helper()
		status, r := c.post(t, "/oauth2/bc-authorize", url.Values{
			"scope": {"openid " + usageScope}, "login_hint": {heatherPh}, "binding_message": {code},
		})
		id, _ := r["auth_req_id"].(string)
		if status != http.StatusOK || id == "" {
			t.Fatalf("bc-authorize: %d %v", status, r)
		}
		return id, c.outboxLink(t)
	}
	if status, r := c.post(t, "/oauth2/bc-authorize", url.Values{
		"scope": {"openid " + usageScope}, "login_hint": {heatherPh}, "binding_message": {"Living room"},
	}); status != http.StatusBadRequest || r["error"] != "invalid_binding_message" {
		t.Errorf("bc-authorize with a binding message that is not a code: %d %v, want invalid_binding_message", status, r)
	}

	t.Run("OK", func(t *testing.T) {
		id, link := ask("583104")
		if text := mustRun(t, c.e, "", "outbox", "--limit", "1"); strings.Contains(text, "583104") {
			t.Errorf("the text carries the code the person must read off the TV:\n%s", text)
		}
		phone := browsertest.Start(t, chromedp.WindowSize(420, 860))
		checkCSP := browsertest.WatchCSP(t, phone)
		browsertest.Do(t, phone, "open the link from the text",
			chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`#code`)))
		if page := browsertest.MainText(t, phone); strings.Contains(page, "583104") || !strings.Contains(page, "Type the code Living Room TV shows") {
			t.Errorf("the approval page should ask for the code without showing it; it reads:\n%s", page)
		}
		browsertest.Do(t, phone, "approve without typing the code",
			chromedp.Click(chromedp.CSS(`button[value="approve"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#code-missing`)))
		if code, r := c.poll(t, id); code != http.StatusBadRequest || r["error"] != "authorization_pending" {
			t.Fatalf("poll after Approve without the code: %d %v, want authorization_pending", code, r)
		}
		browsertest.Do(t, phone, "type the code from the TV and approve",
			chromedp.SendKeys(chromedp.CSS(`#code`), "583104"),
			chromedp.Click(chromedp.CSS(`button[value="approve"]`)),
			chromedp.WaitVisible(chromedp.CSS(".result h1")))
		if done := browsertest.MainText(t, phone); !strings.Contains(done, "Approved") {
			t.Errorf("after approving the page reads:\n%s", done)
		}
		checkCSP()
		if code, tok := c.poll(t, id); code != http.StatusOK || tok["access_token"] == nil {
			t.Fatalf("poll after approval: %d %v", code, tok)
		}
	})

	t.Run("ErrWrongCode", func(t *testing.T) {
		id, link := ask("7391")
		tok := link[strings.Index(link, "t=")+2:]
		resp, err := http.PostForm(c.base+"/ciba", url.Values{"t": {tok}, "action": {"approve"}, "code": {"7392"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("approve with a wrong code: %d, want 403", resp.StatusCode)
		}
		resp, err = http.PostForm(c.base+"/ciba", url.Values{"t": {tok}, "action": {"approve"}, "code": {"7391"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusGone {
			t.Errorf("approve with the right code after a wrong one: %d, want 410 (one try)", resp.StatusCode)
		}
		if code, r := c.poll(t, id); code != http.StatusBadRequest || r["error"] != "access_denied" {
			t.Errorf("poll after a wrong code: %d %v, want access_denied", code, r)
		}
	})
}
