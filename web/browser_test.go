package web_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/internal/browsertest"
)

// page is the browser steps the web tests share: a fresh headless
// Chromium the size of a phone (where people scan the QR code), driven by
// one test.
type page struct {
	t   *testing.T
	ctx context.Context
}

func newPage(t *testing.T) *page {
	t.Helper()
	return &page{t: t, ctx: browsertest.Start(t, chromedp.WindowSize(420, 860))}
}

// do runs browser steps, failing the test with the step's name.
func (p *page) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	browsertest.Do(p.t, p.ctx, step, actions...)
}

// shot is a step that screenshots the page as docs/screenshots/name
// (written with KEYPAD_UPDATE_SCREENSHOTS=1).
func (p *page) shot(name string) chromedp.Action[chromedp.Void] {
	return browsertest.Screenshot(p.t, filepath.Join("..", "docs", "screenshots", name))
}

// text is the text of the page's main element.
func (p *page) text() string {
	p.t.Helper()
	return browsertest.MainText(p.t, p.ctx)
}

// pageText is a text a page must show: the page's name, what it read, and
// the text.
type pageText struct{ page, got, want string }

// wantTexts fails for each page that lacks its text.
func wantTexts(t *testing.T, texts ...pageText) {
	t.Helper()
	for _, c := range texts {
		if !strings.Contains(c.got, c.want) {
			t.Errorf("%s page lacks %q; it reads:\n%s", c.page, c.want, c.got)
		}
	}
}

// wantApproved fails unless the browser flow approved the device request
// as subject.
func (e *env) wantApproved(hash []byte, subject string) {
	e.t.Helper()
	d := e.getDevice(hash)
	if d.Status != keypad.DeviceApproved || d.Subject != subject || d.GrantID == "" {
		e.t.Fatalf("device request after the browser flow = %s/%q/%q, want approved by %s", d.Status, d.Subject, d.GrantID, subject)
	}
}

// TestBrowserDeviceFlow is the person's side of the device flow in a real
// headless Chromium: open verification_uri_complete, confirm the code,
// sign in, approve. With KEYPAD_UPDATE_SCREENSHOTS=1 it also writes a
// screenshot of each page to docs/screenshots/.
func TestBrowserDeviceFlow(t *testing.T) {
	p := newPage(t)
	e := newEnv(t)
	hash := e.device("WDJBMJHT", 10*time.Minute)
	checkCSP := browsertest.WatchCSP(t, p.ctx)

	p.do("open the code entry page",
		chromedp.Navigate(e.srv.URL+"/device"),
		chromedp.WaitVisible(chromedp.ID("user_code")),
		p.shot("device-enter.png"))

	p.do("open verification_uri_complete",
		chromedp.Navigate(e.handler.VerificationURIComplete("WDJB-MJHT")),
		chromedp.WaitVisible(chromedp.CSS(".qr img")),
		p.shot("device-confirm.png"))
	confirm := p.text()
	p.do("confirm the code", chromedp.Click(chromedp.CSS("form.card button.primary")))

	p.do("sign in",
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "alice"),
		chromedp.SendKeys(chromedp.ID("password"), alicePassword),
		p.shot("login.png"),
		chromedp.Click(chromedp.CSS("form.card button.primary")))

	p.do("see the consent page",
		chromedp.WaitVisible(chromedp.CSS(`button[value="approve"]`)),
		p.shot("consent.png"))
	consent := p.text()
	p.do("approve",
		chromedp.Click(chromedp.CSS(`button[value="approve"]`)),
		chromedp.WaitVisible(chromedp.CSS(".result h1")),
		p.shot("done.png"))
	done := p.text()

	p.do("enter a wrong code",
		chromedp.Navigate(e.srv.URL+"/device"),
		chromedp.WaitVisible(chromedp.ID("user_code")),
		chromedp.SendKeys(chromedp.ID("user_code"), "gggg hhhh"),
		chromedp.Submit(chromedp.ID("user_code")),
		chromedp.WaitVisible(chromedp.ID("code-error")),
		p.shot("invalid-code.png"))
	invalid := p.text()

	checkCSP()
	wantTexts(t,
		pageText{"confirm", confirm, "WDJB-MJHT"},
		pageText{"consent", consent, "Living Room TV"},
		pageText{"consent", consent, "See your playlists"},
		pageText{"done", done, "You can return to your device"},
		pageText{"invalid", invalid, "not valid or has expired"},
	)
	e.wantApproved(hash, "sub-alice")
}
