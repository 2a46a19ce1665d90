package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/keypadauth/keypad/internal/browsertest"
)

// Accessibility (WCAG 2.2 AA) through the binary: axe-core over every
// state of every hosted page, in every language, in a real headless
// Chromium 320 CSS pixels wide (WCAG 1.4.10, reflow). See
// docs/accessibility.md.

// a11yLanguages are the languages every page state is checked in; each
// page is loaded with Accept-Language set to one of them, and its html
// element must carry that lang. Add a language here when its catalogue
// lands.
var a11yLanguages = []string{"en"}

// a11yWidth is the narrowest screen WCAG 1.4.10 asks pages to fit
// without scrolling sideways.
const a11yWidth = 320

// a11ySetup is a `serve --dev` with every client and person the page
// states need: Heather (a code by text or email) and the CIBA clients of
// cibaSetup, a public device-flow TV, alice who signs in with a password,
// and bob, who has no devices.
type a11ySetup struct {
	*cibaSetup
	device clientJSON
	// codeTV is a CIBA client that makes the person type its code.
	codeTV clientJSON
	// ips hands each scenario its own client address (the server trusts
	// X-Forwarded-For here), so per-IP form throttles of one scenario do
	// not reach the next.
	ips atomic.Int32
}

func newA11ySetup(t *testing.T) *a11ySetup {
	t.Helper()
	e := sqliteBackend.env(t)
	o := newOTPSetup(t, e, "--dev", "--web-client-ip-header", "X-Forwarded-For")
	a := &a11ySetup{cibaSetup: &cibaSetup{otpSetup: o}}
	a.tv = mustJSON[clientJSON](t, e, "client", "create", "--name", "Living Room TV",
		"--grant-types", "ciba", "--scopes", "openid "+usageScope,
		"--backchannel-token-delivery-mode", "poll", "--json")
	a.codeTV = mustJSON[clientJSON](t, e, "client", "create", "--name", "Living Room TV",
		"--grant-types", "ciba", "--scopes", "openid "+usageScope,
		"--backchannel-require-binding-code", "--json")
	mustRun(t, e, "", "scope", "create", tvScope, "--description", tvScopeText)
	a.device = mustJSON[clientJSON](t, e, "client", "create", "--name", tvName, "--public",
		"--grant-types", "device_code", "--scopes", tvScope, "--json")
	for _, name := range []string{"alice", "bob"} {
		m, _, _ := newMain(e, alicePass+"\n")
		if err := m.Run(context.Background(), []string{"user", "create", "--username", name, "--name", name, "--password-stdin"}); err != nil {
			t.Fatalf("user create %s: %v", name, err)
		}
	}
	return a
}

// deviceLink starts a device authorization as the TV and returns its
// verification_uri_complete.
func (a *a11ySetup) deviceLink(t *testing.T) string {
	t.Helper()
	resp, err := http.PostForm(a.base+"/oauth2/device_authorization", url.Values{"client_id": {a.device.ClientID}, "scope": {tvScope}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var da struct {
		Complete string `json:"verification_uri_complete"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&da); err != nil || resp.StatusCode != http.StatusOK || da.Complete == "" {
		t.Fatalf("device authorization: %d %v %+v", resp.StatusCode, err, da)
	}
	return da.Complete
}

// cibaLink asks for Heather as client c (with a binding message unless
// it is empty) and returns the approval link of the text she gets.
func (a *a11ySetup) cibaLink(t *testing.T, c clientJSON, bindingMessage string) string {
	t.Helper()
	form := url.Values{"scope": {"openid " + usageScope}, "login_hint": {heatherPh}}
	if bindingMessage != "" {
		form.Set("binding_message", bindingMessage)
	}
	code, body := postForm(t, a.base+"/oauth2/bc-authorize", c.ClientID, c.ClientSecret, form)
	if code != http.StatusOK {
		t.Fatalf("bc-authorize: %d %s", code, body)
	}
	return a.outboxLink(t)
}

// newestCode delivers the queued messages and returns the one-time code
// of the newest, as the dev outbox shows it.
func (a *a11ySetup) newestCode(t *testing.T) string {
	t.Helper()
	if _, err := a.s.srv.OAuth().DeliverOTPQueue(context.Background()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(a.base + "/dev/outbox.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var outbox struct{ Messages []struct{ Code string } }
	if err := json.NewDecoder(resp.Body).Decode(&outbox); err != nil || len(outbox.Messages) == 0 || outbox.Messages[0].Code == "" {
		t.Fatalf("outbox: %v, %+v: want a message with a code", err, outbox)
	}
	return outbox.Messages[0].Code
}

// a11yPage is one language's browser.
type a11yPage struct {
	t    *testing.T
	a    *a11ySetup
	ctx  context.Context
	lang string
}

func (a *a11ySetup) newPage(t *testing.T, lang string) *a11yPage {
	t.Helper()
	p := &a11yPage{t: t, a: a, ctx: browsertest.Start(t), lang: lang}
	p.do("open the browser", chromedp.EmulateViewport(a11yWidth, 800), browsertest.EmulateFocus)
	return p
}

// scenario starts a person's visit: no cookies, a client address of its
// own, and the page's language.
func (p *a11yPage) scenario() {
	p.t.Helper()
	ip := fmt.Sprintf("198.51.100.%d", p.a.ips.Add(1))
	p.do("start a visit from "+ip, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
			Headers: network.Headers{"Accept-Language": p.lang, "X-Forwarded-For": ip},
		})
		return err
	}))
}

func (p *a11yPage) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	browsertest.Do(p.t, p.ctx, step, actions...)
}

// open navigates to a path of the server and waits for sel.
func (p *a11yPage) open(path, sel string) {
	p.t.Helper()
	p.do("open "+path, chromedp.Navigate(p.a.base+path), chromedp.WaitVisible(chromedp.CSS(sel)))
}

// check holds the page the tab shows to WCAG 2.2 AA: no serious or
// critical axe-core violation, the language it was asked in on the html
// element, and nothing wider than the screen.
func (p *a11yPage) check(state string) {
	p.t.Helper()
	state = p.lang + ", " + state
	browsertest.CheckAxe(p.t, p.ctx, state)
	type facts struct {
		Lang        string `json:"lang"`
		ScrollWidth int    `json:"scrollWidth"`
		Width       int    `json:"width"`
	}
	f, err := chromedp.Run(p.ctx, chromedp.Evaluate[facts](
		`({lang: document.documentElement.lang, scrollWidth: document.documentElement.scrollWidth, width: window.innerWidth})`))
	if err != nil {
		p.t.Fatalf("browser, %s: %v", state, err)
	}
	if f.Lang != p.lang {
		p.t.Errorf("%s: <html lang=%q>, want %q", state, f.Lang, p.lang)
	}
	if f.Width != a11yWidth || f.ScrollWidth > f.Width {
		p.t.Errorf("%s: the page is %d px wide on a screen of %d, want it to fit %d (WCAG 1.4.10)", state, f.ScrollWidth, f.Width, a11yWidth)
	}
}

// TestAccessibility runs axe-core (browsertest.AxeTags: WCAG 2.0, 2.1 and
// 2.2, A and AA) over every state of every hosted page in every language
// of a11yLanguages, failing on any serious or critical violation.
func TestAccessibility(t *testing.T) {
	a := newA11ySetup(t)
	for _, lang := range a11yLanguages {
		t.Run(lang, func(t *testing.T) {
			p := a.newPage(t, lang)
			checkCSP := browsertest.WatchCSP(t, p.ctx)
			p.visitor()
			p.passwordDeviceFlow()
			p.codeSignIn()
			p.noDevices()
			p.ciba()
			checkCSP()
		})
	}
}

// visitor: the landing page, a 404, a 405, code entry and its errors up
// to the pause after too many wrong codes.
func (p *a11yPage) visitor() {
	p.scenario()
	p.open("/", "main h1")
	p.check("landing page")
	p.open("/no-such-page", ".result h1")
	p.check("404")
	p.open("/logout", ".result h1")
	p.check("405 (a GET of a form's address)")
	p.open("/device?user_code=not!a!code", "#code-error")
	p.check("device code entry, a link with a code that is not valid")
	p.open("/device", "#user_code")
	p.check("device code entry")
	p.do("type a wrong code",
		chromedp.SendKeys(chromedp.ID("user_code"), "GGGG-HHHH"),
		chromedp.Submit(chromedp.ID("user_code")),
		chromedp.WaitVisible(chromedp.ID("code-error")))
	p.check("device code entry, a wrong code")
	for i := 0; ; i++ {
		on, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](`document.getElementById("user_code") !== null`))
		if err != nil {
			p.t.Fatal(err)
		}
		if !on {
			break
		}
		if i == 10 {
			p.t.Fatal("ten wrong codes in a row and code entry is not paused")
		}
		p.do("type another wrong code",
			chromedp.SendKeys(chromedp.ID("user_code"), "GGGG-HHHH"),
			chromedp.Submit(chromedp.ID("user_code")),
			chromedp.WaitVisible(chromedp.CSS("#code-error, .result h1")))
	}
	p.check("device code entry, paused after too many wrong codes")
}

// passwordDeviceFlow: confirm, sign-in (empty and a wrong password),
// consent, done, my devices with a device, revoking it, and a device
// request denied; then signing out.
func (p *a11yPage) passwordDeviceFlow() {
	p.scenario()
	p.do("open verification_uri_complete",
		chromedp.Navigate(p.a.deviceLink(p.t)),
		chromedp.WaitVisible(chromedp.CSS(".qr img")))
	p.check("device code confirmation")
	p.do("confirm", chromedp.Click(chromedp.CSS("form.card button.primary")), chromedp.WaitVisible(chromedp.ID("username")))
	p.check("sign-in with a password")
	p.do("type a wrong password",
		chromedp.SendKeys(chromedp.ID("username"), "alice"),
		chromedp.SendKeys(chromedp.ID("password"), "not the password"),
		chromedp.Submit(chromedp.ID("password")),
		chromedp.WaitVisible(chromedp.ID("login-error")))
	p.check("sign-in with a password, a wrong password")
	p.do("sign in",
		chromedp.SendKeys(chromedp.ID("password"), alicePass),
		chromedp.Submit(chromedp.ID("password")),
		chromedp.WaitVisible(chromedp.CSS(`button[value="approve"]`)))
	p.check("consent for a device")
	p.do("allow", chromedp.Click(chromedp.CSS(`button[value="approve"]`)), chromedp.WaitVisible(chromedp.CSS(".result.ok h1")))
	p.check("done, approved")
	p.open("/account/devices", ".grant button")
	p.check("my devices, with a device")
	p.do("revoke", chromedp.Click(chromedp.CSS(".grant button")), chromedp.WaitVisible(chromedp.CSS(".notice")))
	p.check("my devices, after revoking")

	p.do("open another device's link",
		chromedp.Navigate(p.a.deviceLink(p.t)),
		chromedp.WaitVisible(chromedp.CSS(".qr img")),
		chromedp.Click(chromedp.CSS("form.card button.primary")),
		chromedp.WaitVisible(chromedp.CSS(`button[value="deny"]`)),
		chromedp.Click(chromedp.CSS(`button[value="deny"]`)),
		chromedp.WaitVisible(chromedp.CSS(".result h1")))
	p.check("done, denied")
	p.do("sign out", chromedp.Click(chromedp.CSS(".signout button")), chromedp.WaitVisible(chromedp.CSS(".result h1")))
	p.check("signed out")
}

// codeSignIn: a device approved by Heather, who signs in with a code:
// start, the choice of channel, the code page, a wrong code.
func (p *a11yPage) codeSignIn() {
	p.scenario()
	p.do("open verification_uri_complete and confirm",
		chromedp.Navigate(p.a.deviceLink(p.t)),
		chromedp.WaitVisible(chromedp.CSS(".qr img")),
		chromedp.Click(chromedp.CSS("form.card button.primary")),
		chromedp.WaitVisible(chromedp.ID("login-code")),
		chromedp.Click(chromedp.ID("login-code")),
		chromedp.WaitVisible(chromedp.ID("identifier")))
	p.check("sign-in with a code, start")
	p.do("type the address",
		chromedp.SendKeys(chromedp.ID("identifier"), heatherAd),
		chromedp.Submit(chromedp.ID("identifier")),
		chromedp.WaitVisible(chromedp.CSS(`button[name="channel"]`)))
	p.check("sign-in with a code, where to send it")
	p.do("send by the first channel",
		chromedp.Click(chromedp.CSS(`button[name="channel"]`)),
		chromedp.WaitVisible(chromedp.ID("otp")))
	p.check("sign-in with a code, the code page")
	code := p.a.newestCode(p.t)
	p.do("type a wrong code",
		chromedp.SendKeys(chromedp.ID("otp"), wrongOTP(code)),
		chromedp.Submit(chromedp.ID("otp")),
		chromedp.WaitVisible(chromedp.ID("otp-error")))
	p.check("sign-in with a code, a wrong code")
	p.do("type the code and allow",
		chromedp.SendKeys(chromedp.ID("otp"), code),
		chromedp.Submit(chromedp.ID("otp")),
		chromedp.WaitVisible(chromedp.CSS(`button[value="approve"]`)),
		chromedp.Click(chromedp.CSS(`button[value="approve"]`)),
		chromedp.WaitVisible(chromedp.CSS(".result.ok h1")))
}

// noDevices: bob, who has connected nothing, opens my devices and signs
// in on the way.
func (p *a11yPage) noDevices() {
	p.scenario()
	p.do("open my devices and sign in",
		chromedp.Navigate(p.a.base+"/account/devices"),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "bob"),
		chromedp.SendKeys(chromedp.ID("password"), alicePass),
		chromedp.Submit(chromedp.ID("password")),
		chromedp.WaitVisible(chromedp.CSS("main h1")))
	if n, err := chromedp.Run(p.ctx, chromedp.Evaluate[int](`document.querySelectorAll(".grant").length`)); err != nil || n != 0 {
		p.t.Fatalf("bob's devices: %d grants (%v), want none", n, err)
	}
	p.check("my devices, empty")
}

// ciba: the approval page plain, with a binding message, asking for the
// client's code (and Approve pressed without it), and its answers.
func (p *a11yPage) ciba() {
	p.scenario()
	p.do("open a plain request", chromedp.Navigate(p.a.cibaLink(p.t, p.a.tv, "")), chromedp.WaitVisible(chromedp.CSS(`button[value="approve"]`)))
	p.check("CIBA approval")
	p.do("approve", chromedp.Click(chromedp.CSS(`button[value="approve"]`)), chromedp.WaitVisible(chromedp.CSS(".result h1")))
	p.check("CIBA approved")
	p.do("open a request with a binding message", chromedp.Navigate(p.a.cibaLink(p.t, p.a.tv, "7391")), chromedp.WaitVisible(chromedp.CSS(".code")))
	p.check("CIBA approval with a binding message")
	p.do("deny", chromedp.Click(chromedp.CSS(`button[value="deny"]`)), chromedp.WaitVisible(chromedp.CSS(".result h1")))
	p.check("CIBA denied")
	p.do("open a request that needs the client's code", chromedp.Navigate(p.a.cibaLink(p.t, p.a.codeTV, "583104")), chromedp.WaitVisible(chromedp.ID("code")))
	p.check("CIBA approval with a binding code")
	p.do("approve without the code", chromedp.Click(chromedp.CSS(`button[value="approve"]`)), chromedp.WaitVisible(chromedp.ID("code-missing")))
	p.check("CIBA approval with a binding code, approved without it")
	p.do("type a wrong code", chromedp.SendKeys(chromedp.ID("code"), "583105"),
		chromedp.Click(chromedp.CSS(`button[value="approve"]`)), chromedp.WaitVisible(chromedp.CSS(".result h1")))
	p.check("CIBA approval with a binding code, a wrong code")
}

// wrongOTP is a code that differs from code in its last digit.
func wrongOTP(code string) string {
	last := code[len(code)-1]
	return code[:len(code)-1] + string(rune('0'+(last-'0'+1)%10))
}
