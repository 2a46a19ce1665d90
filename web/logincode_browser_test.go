package web_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keypadauth/keypad/internal/browsertest"
)

// TestBrowserLoginCode approves a device in a real headless Chromium by
// signing in with a code: the person has no password, types her service
// address, has the code texted (to the dev outbox, where the test reads
// it), mistypes it once and then types it. With
// KEYPAD_UPDATE_SCREENSHOTS=1 it writes docs/screenshots/login-code-*.png.
func TestBrowserLoginCode(t *testing.T) {
	p := newPage(t)
	e := newCodeEnv(t)
	hash := e.device("WDJBMJHT", 10*time.Minute)
	checkCSP := browsertest.WatchCSP(t, p.ctx)

	p.do("confirm the device's code",
		chromedp.Navigate(e.handler.VerificationURIComplete("WDJB-MJHT")),
		chromedp.WaitVisible(chromedp.CSS("form.card button.primary")),
		chromedp.Click(chromedp.CSS("form.card button.primary")))
	p.do("choose a code on the sign-in page",
		chromedp.WaitVisible(chromedp.ID("login-code")),
		p.shot("login-code-offer.png"),
		chromedp.Click(chromedp.ID("login-code")))
	p.do("type the service address",
		chromedp.WaitVisible(chromedp.ID("identifier")),
		chromedp.SendKeys(chromedp.ID("identifier"), "123 North Main Street Apt 4, Springfield IL 62701"),
		p.shot("login-code-start.png"),
		chromedp.Submit(chromedp.ID("identifier")))
	p.do("choose a text message",
		chromedp.WaitVisible(chromedp.CSS(`button[name="channel"]`)),
		p.shot("login-code-channel.png"))
	channels := p.text()
	p.do("send the text", chromedp.Click(chromedp.Search(`//button[@name="channel"][starts-with(normalize-space(.), "Text me")]`)))
	p.do("see the code page", chromedp.WaitVisible(chromedp.ID("otp")), p.shot("login-code-verify.png"))
	verify := p.text()
	code := e.codeFor("+14158674821")

	p.do("mistype the code",
		chromedp.SendKeys(chromedp.ID("otp"), wrongCode(code)),
		chromedp.Submit(chromedp.ID("otp")),
		chromedp.WaitVisible(chromedp.ID("otp-error")),
		p.shot("login-code-wrong.png"))
	wrong := p.text()
	p.do("type the code",
		chromedp.SendKeys(chromedp.ID("otp"), code),
		chromedp.Submit(chromedp.ID("otp")),
		chromedp.WaitVisible(chromedp.CSS(`button[value="approve"]`)))
	consent := p.text()
	p.do("approve",
		chromedp.Click(chromedp.CSS(`button[value="approve"]`)),
		chromedp.WaitVisible(chromedp.CSS(".result h1")))
	done := p.text()

	checkCSP()
	wantTexts(t,
		pageText{"channels", channels, "Text me at (•••) •••-4821"},
		pageText{"channels", channels, "Email me at h•••@e•••.com"},
		pageText{"verify", verify, "We sent a 6-digit code by text message to (•••) •••-4821"},
		pageText{"wrong", wrong, "You have 4 tries left."},
		pageText{"consent", consent, "Living Room TV"},
		pageText{"done", done, "You can return to your device"},
	)
	e.wantApproved(hash, "sub-heather")
}
