package kiosk

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
)

var approvalLink = regexp.MustCompile(`(https?://\S+)/ciba\?t=([A-Za-z0-9_-]{22})`)

// cibaKiosk registers the kiosk for CIBA too, as the demo does.
func cibaKiosk(c *keypad.Client) {
	c.GrantTypes = append(c.GrantTypes, keypad.GrantCIBA)
	c.Scopes = append(c.Scopes, "openid")
}

// "Approve on my phone": the kiosk shows a number, Heather's phone gets
// a link, she approves there, and the kiosk moves on to her audit.
func TestApproveOnPhone(t *testing.T) {
	t.Parallel()
	e := newEnv(t, setup{client: cibaKiosk})
	b := e.browser(t)
	b.post("/lookup", url.Values{"identifier": {"123 Main Street"}})
	_, page := b.get("/channel")
	mustSee(t, page, "Approve on my phone instead", `action="/approve"`)

	_, page = b.post("/approve", nil)
	if b.url != "/approve" {
		t.Fatalf("after asking for approval at %s, want /approve; page:\n%s", b.url, page)
	}
	number := regexp.MustCompile(`<strong>(\d{4})</strong>`).FindStringSubmatch(page)
	if number == nil {
		t.Fatalf("the approve screen shows no 4-digit number:\n%s", page)
	}
	mustSee(t, page, "Check your phone", `http-equiv="refresh"`)
	msg := e.keypad.mustHaveSent(t, 1)[0]
	link := approvalLink.FindStringSubmatch(msg.Body)
	if msg.To != "+15415554821" || link == nil || !strings.Contains(msg.Body, number[1]) || !strings.Contains(msg.Body, kioskName) {
		t.Fatalf("the text = %+v, want a link to Heather's phone naming %s and %s", msg, kioskName, number[1])
	}

	// Nothing approved yet: the screen stays, however often it reloads.
	e.clock.Advance(5 * time.Second)
	if _, page = b.get("/approve"); b.url != "/approve" {
		t.Fatalf("before approval at %s; page:\n%s", b.url, page)
	}

	resp, err := http.PostForm(link[1]+"/ciba", url.Values{"t": {link[2]}, "action": {"approve"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("approve on the phone: %d", resp.StatusCode)
	}
	// The kiosk asks keypad again only after the interval.
	if _, page = b.get("/approve"); b.url != "/approve" {
		t.Fatalf("polled before the interval: at %s", b.url)
	}
	e.clock.Advance(5 * time.Second)
	_, page = b.get("/approve")
	if b.url != "/audit" {
		t.Fatalf("after approval at %s, want /audit; page:\n%s", b.url, page)
	}
	mustSee(t, page, "kWh")
}

// Deny on the phone ends the visit with a page that says so.
func TestApproveOnPhoneDenied(t *testing.T) {
	t.Parallel()
	e := newEnv(t, setup{client: cibaKiosk})
	b := e.browser(t)
	b.post("/lookup", url.Values{"identifier": {"123 Main Street"}})
	b.post("/approve", nil)
	link := approvalLink.FindStringSubmatch(e.keypad.mustHaveSent(t, 1)[0].Body)
	resp, err := http.PostForm(link[1]+"/ciba", url.Values{"t": {link[2]}, "action": {"deny"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	e.clock.Advance(5 * time.Second)
	_, page := b.get("/approve")
	mustSee(t, page, "You said no on your phone")
	if _, page = b.get("/audit"); b.url == "/audit" {
		t.Errorf("the audit is reachable after a denial:\n%s", page)
	}
}
