package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
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
var a11yLanguages = []string{"en", "es"}

// userCodeFormat and otpFormat are what the code fields must say about
// the format they take, in any language: the length and, for a user code,
// an example.
var (
	userCodeFormat = regexp.MustCompile(`\b8\b.*\b[B-DF-HJ-NP-TV-XZ]{4}-[B-DF-HJ-NP-TV-XZ]{4}\b`)
	otpFormat      = regexp.MustCompile(`\b6\b`)
)

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
	mustRun(t, e, "", "client", "create", "--id", "webapp", "--name", "Energy Dashboard", "--public",
		"--grant-types", "authorization_code", "--redirect-uris", a.base+"/callback", "--scopes", "openid "+usageScope)
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

// load runs steps that load a page (a navigation, a click, a submit),
// waits until the new page has loaded, and then for sel on it.
func (p *a11yPage) load(step, sel string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if _, err := chromedp.RunResponse(p.ctx, steps...); err != nil {
		p.t.Fatalf("browser, %s: %v", step, err)
	}
	p.do(step, chromedp.WaitVisible(chromedp.CSS(sel)))
}

// open loads a path of the server and waits for sel.
func (p *a11yPage) open(path, sel string) {
	p.t.Helper()
	p.load("open "+path, sel, chromedp.Navigate(p.a.base+path))
}

// check holds the page the tab shows to WCAG 2.2 AA: no serious or
// critical axe-core violation, the language it was asked in on the html
// element, and nothing wider than the screen.
func (p *a11yPage) check(state string) {
	p.t.Helper()
	state = p.lang + ", " + state
	browsertest.CheckAxe(p.t, p.ctx, state)
	f, err := chromedp.Run(p.ctx, chromedp.Evaluate[pageFacts](pageFactsScript))
	if err != nil {
		p.t.Fatalf("browser, %s: %v", state, err)
	}
	if f.Lang != p.lang {
		p.t.Errorf("%s: <html lang=%q>, want %q", state, f.Lang, p.lang)
	}
	if f.Width != a11yWidth || f.ScrollWidth > f.Width {
		p.t.Errorf("%s: the page is %d px wide on a screen of %d, want it to fit %d (WCAG 1.4.10)", state, f.ScrollWidth, f.Width, a11yWidth)
	}
	for _, c := range f.Small {
		p.t.Errorf("%s: %s is smaller than 24 by 24 px (WCAG 2.5.8)", state, c)
	}
	for _, l := range f.NotUnderlined {
		p.t.Errorf("%s: the link %q is told from the text by its colour alone (WCAG 1.4.1)", state, l)
	}
	p.tabThrough(state)
}

// focusables lists the elements Tab should reach, in document order.
const focusables = `[...document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, [tabindex]:not([tabindex="-1"])')]`

// tabThrough presses Tab around the whole page and fails unless every
// link, button and field was reached and showed a visible focus
// indicator (WCAG 2.1.1, 2.4.7, 1.4.11).
func (p *a11yPage) tabThrough(state string) {
	p.t.Helper()
	n, err := chromedp.Run(p.ctx, chromedp.Evaluate[int](focusables+`.length`))
	if err != nil {
		p.t.Fatalf("browser, %s: %v", state, err)
	}
	reached := map[int]bool{}
	for range 2*n + 2 {
		p.do(state+", Tab", browsertest.Tab)
		i, err := chromedp.Run(p.ctx, chromedp.Evaluate[int](focusables+`.indexOf(document.activeElement)`))
		if err != nil {
			p.t.Fatalf("browser, %s: %v", state, err)
		}
		if i < 0 || reached[i] {
			continue
		}
		reached[i] = true
		if f := browsertest.ActiveElement(p.t, p.ctx); f.IndicatorProblem() != "" {
			p.t.Errorf("%s: focus on %s is not visible: %s", state, f, f.IndicatorProblem())
		}
	}
	if len(reached) != n {
		p.t.Errorf("%s: Tab reached %d of the %d links, buttons and fields", state, len(reached), n)
	}
}

// pageFacts are what check measures in the page besides axe-core.
type pageFacts struct {
	Lang        string `json:"lang"`
	ScrollWidth int    `json:"scrollWidth"`
	Width       int    `json:"width"`
	// Small lists the controls (buttons, fields, button-like links)
	// smaller than 24 by 24 CSS pixels.
	Small []string `json:"small"`
	// NotUnderlined lists the links in the page's text without an
	// underline.
	NotUnderlined []string `json:"notUnderlined"`
}

const pageFactsScript = `(() => {
	const describe = e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + " " + JSON.stringify((e.innerText || e.value || "").trim().slice(0, 40));
	const small = [...document.querySelectorAll("button, input:not([type=hidden]), select, textarea, a.button")]
		.filter(e => { const r = e.getBoundingClientRect(); return r.width < 24 || r.height < 24; }).map(describe);
	const notUnderlined = [...document.querySelectorAll("main a:not(.button)")]
		.filter(a => !getComputedStyle(a).textDecorationLine.includes("underline")).map(describe);
	return {lang: document.documentElement.lang, scrollWidth: document.documentElement.scrollWidth, width: innerWidth, small, notUnderlined};
})()`

// errorShown checks that an error (the element errID) is announced: it
// is an alert (or a live region), and the field focused when the page
// loads is marked invalid and described by it, so a screen reader reads
// the error with the field.
func (p *a11yPage) errorShown(state, errID string) {
	p.t.Helper()
	state = p.lang + ", " + state
	type errorFacts struct {
		Role, Live, Focus, Invalid, DescribedBy string
	}
	f, err := chromedp.Run(p.ctx, chromedp.Evaluate[errorFacts](`(() => {
		const e = document.getElementById(`+strconv.Quote(errID)+`), a = document.activeElement;
		return {Role: e ? e.getAttribute("role") || "" : "missing", Live: e ? e.getAttribute("aria-live") || "" : "",
			Focus: a.id, Invalid: a.getAttribute("aria-invalid") || "", DescribedBy: a.getAttribute("aria-describedby") || ""};
	})()`))
	if err != nil {
		p.t.Fatalf("browser, %s: %v", state, err)
	}
	if f.Role != "alert" && f.Live != "assertive" && f.Live != "polite" {
		p.t.Errorf("%s: the error #%s has role %q and aria-live %q, want an alert or a live region", state, errID, f.Role, f.Live)
	}
	if f.Invalid != "true" || !slices.Contains(strings.Fields(f.DescribedBy), errID) {
		p.t.Errorf("%s: the focused field #%s has aria-invalid %q and aria-describedby %q, want true and %s among them", state, f.Focus, f.Invalid, f.DescribedBy, errID)
	}
}

// field checks a field's autocomplete attribute and that its accessible
// description (or name) matches want, the format it asks for.
func (p *a11yPage) field(state, id, autocomplete string, want *regexp.Regexp) {
	p.t.Helper()
	state = p.lang + ", " + state
	got, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`document.getElementById(`+strconv.Quote(id)+`).getAttribute("autocomplete") || ""`))
	if err != nil {
		p.t.Fatalf("browser, %s: %v", state, err)
	}
	if got != autocomplete {
		p.t.Errorf("%s: #%s has autocomplete %q, want %q", state, id, got, autocomplete)
	}
	name, description := browsertest.AccessibleText(p.t, p.ctx, "#"+id)
	if name == "" {
		p.t.Errorf("%s: #%s has no accessible name (a label tied to it)", state, id)
	}
	if want != nil && !want.MatchString(name+" "+description) {
		p.t.Errorf("%s: #%s is announced as %q, %q: want it to say its format (%s)", state, id, name, description, want)
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
			p.app()
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
	p.errorShown("device code entry, a link with a code that is not valid", "code-error")
	p.check("device code entry, a link with a code that is not valid")
	p.open("/device", "#user_code")
	p.check("device code entry")
	p.field("device code entry", "user_code", "one-time-code", userCodeFormat)
	p.load("type a wrong code", "#code-error", chromedp.SendKeys(chromedp.ID("user_code"), "GGGG-HHHH"), chromedp.Submit(chromedp.ID("user_code")))
	p.errorShown("device code entry, a wrong code", "code-error")
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
		p.load("type another wrong code", "main h1", chromedp.SendKeys(chromedp.ID("user_code"), "GGGG-HHHH"), chromedp.Submit(chromedp.ID("user_code")))
	}
	p.check("device code entry, paused after too many wrong codes")
}

// passwordDeviceFlow: confirm, sign-in (empty and a wrong password),
// consent, done, my devices with a device, revoking it, and a device
// request denied; then signing out.
func (p *a11yPage) passwordDeviceFlow() {
	p.scenario()
	p.load("open verification_uri_complete", ".qr img", chromedp.Navigate(p.a.deviceLink(p.t)))
	p.check("device code confirmation")
	p.load("confirm", "#username", chromedp.Click(chromedp.CSS("form.card button.primary")))
	p.check("sign-in with a password")
	p.field("sign-in with a password", "username", "username", nil)
	p.field("sign-in with a password", "password", "current-password", nil)
	p.load("type a wrong password", "#login-error",
		chromedp.SendKeys(chromedp.ID("username"), "alice"),
		chromedp.SendKeys(chromedp.ID("password"), "not the password"),
		chromedp.Submit(chromedp.ID("password")))
	p.errorShown("sign-in with a password, a wrong password", "login-error")
	p.check("sign-in with a password, a wrong password")
	p.load("sign in", `button[value="approve"]`, chromedp.SendKeys(chromedp.ID("password"), alicePass), chromedp.Submit(chromedp.ID("password")))
	p.check("consent for a device")
	p.load("allow", ".result.ok h1", chromedp.Click(chromedp.CSS(`button[value="approve"]`)))
	p.check("done, approved")
	p.open("/account/devices", ".grant button")
	p.check("my devices, with a device")
	p.load("revoke", ".notice", chromedp.Click(chromedp.CSS(".grant button")))
	p.check("my devices, after revoking")

	p.load("open another device's link", ".qr img", chromedp.Navigate(p.a.deviceLink(p.t)))
	p.load("confirm it", `button[value="deny"]`, chromedp.Click(chromedp.CSS("form.card button.primary")))
	p.load("deny", ".result h1", chromedp.Click(chromedp.CSS(`button[value="deny"]`)))
	p.check("done, denied")
	p.load("sign out", ".result h1", chromedp.Click(chromedp.CSS(".signout button")))
	p.check("signed out")
}

// codeSignIn: a device approved by Heather, who signs in with a code:
// start, the choice of channel, the code page, a wrong code, a new code
// asked for too early.
func (p *a11yPage) codeSignIn() {
	p.scenario()
	p.load("open verification_uri_complete", ".qr img", chromedp.Navigate(p.a.deviceLink(p.t)))
	p.load("confirm", "#login-code", chromedp.Click(chromedp.CSS("form.card button.primary")))
	p.load("choose a code", "#identifier", chromedp.Click(chromedp.ID("login-code")))
	p.check("sign-in with a code, start")
	p.load("type the address", `button[name="channel"]`, chromedp.SendKeys(chromedp.ID("identifier"), heatherAd), chromedp.Submit(chromedp.ID("identifier")))
	p.check("sign-in with a code, where to send it")
	p.load("send by the first channel", "#otp", chromedp.Click(chromedp.CSS(`button[name="channel"]`)))
	p.check("sign-in with a code, the code page")
	p.field("sign-in with a code, the code page", "otp", "one-time-code", otpFormat)
	code := p.a.newestCode(p.t)
	p.load("type a wrong code", "#otp-error", chromedp.SendKeys(chromedp.ID("otp"), wrongOTP(code)), chromedp.Submit(chromedp.ID("otp")))
	p.errorShown("sign-in with a code, a wrong code", "otp-error")
	p.check("sign-in with a code, a wrong code")
	p.load("ask for a new code at once", "#otp-error", chromedp.Click(chromedp.CSS(`form[action$="/login/code/send"] button`)))
	p.errorShown("sign-in with a code, a new code asked for too early", "otp-error")
	p.check("sign-in with a code, a new code asked for too early")
	p.load("type the code", `button[value="approve"]`, chromedp.SendKeys(chromedp.ID("otp"), code), chromedp.Submit(chromedp.ID("otp")))
	p.load("allow", ".result.ok h1", chromedp.Click(chromedp.CSS(`button[value="approve"]`)))
}

// noDevices: bob, who has connected nothing, opens my devices and signs
// in on the way.
func (p *a11yPage) noDevices() {
	p.scenario()
	p.load("open my devices", "#username", chromedp.Navigate(p.a.base+"/account/devices"))
	p.load("sign in", "main h1",
		chromedp.SendKeys(chromedp.ID("username"), "bob"),
		chromedp.SendKeys(chromedp.ID("password"), alicePass),
		chromedp.Submit(chromedp.ID("password")))
	if n, err := chromedp.Run(p.ctx, chromedp.Evaluate[int](`document.querySelectorAll("#username, .grant").length`)); err != nil || n != 0 {
		p.t.Fatalf("bob's devices: %d sign-in fields or grants (%v), want none", n, err)
	}
	p.check("my devices, empty")
}

// ciba: the approval page plain, with a binding message, asking for the
// client's code (and Approve pressed without it), and its answers.
func (p *a11yPage) ciba() {
	p.scenario()
	p.load("open a plain request", `button[value="approve"]`, chromedp.Navigate(p.a.cibaLink(p.t, p.a.tv, "")))
	p.check("CIBA approval")
	p.load("approve", ".result h1", chromedp.Click(chromedp.CSS(`button[value="approve"]`)))
	p.check("CIBA approved")
	p.load("open a request with a binding message", ".code", chromedp.Navigate(p.a.cibaLink(p.t, p.a.tv, "7391")))
	p.check("CIBA approval with a binding message")
	p.load("deny", ".result h1", chromedp.Click(chromedp.CSS(`button[value="deny"]`)))
	p.check("CIBA denied")
	p.load("open a request that needs the client's code", "#code", chromedp.Navigate(p.a.cibaLink(p.t, p.a.codeTV, "583104")))
	p.check("CIBA approval with a binding code")
	// Not one-time-code: the code is on the client's screen, not in the
	// message a phone would offer to fill it from.
	p.field("CIBA approval with a binding code", "code", "off", nil)
	p.load("approve without the code", "#code-missing", chromedp.Click(chromedp.CSS(`button[value="approve"]`)))
	p.errorShown("CIBA approval with a binding code, approved without it", "code-missing")
	p.check("CIBA approval with a binding code, approved without it")
	p.load("type a wrong code", ".result h1", chromedp.SendKeys(chromedp.ID("code"), "583105"), chromedp.Click(chromedp.CSS(`button[value="approve"]`)))
	p.check("CIBA approval with a binding code, a wrong code")
}

// app: the authorization code flow's pages, for a web app: sign-in and
// consent naming the app, and the error page of a request that names no
// client keypad knows.
func (p *a11yPage) app() {
	p.scenario()
	q := url.Values{
		"response_type": {"code"}, "client_id": {"webapp"}, "redirect_uri": {p.a.base + "/callback"},
		"scope": {"openid " + usageScope}, "state": {"st-1"},
		// The S256 challenge of RFC 7636's example verifier.
		"code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"},
	}
	p.open("/oauth2/authorize?"+q.Encode(), "#username")
	p.check("sign-in for an app")
	p.load("sign in", `button[value="approve"]`,
		chromedp.SendKeys(chromedp.ID("username"), "alice"),
		chromedp.SendKeys(chromedp.ID("password"), alicePass),
		chromedp.Submit(chromedp.ID("password")))
	p.check("consent for an app")
	p.load("allow", "main h1", chromedp.Click(chromedp.CSS(`button[value="approve"]`)))
	if loc, err := chromedp.Run(p.ctx, chromedp.Location()); err != nil || !strings.HasPrefix(loc, p.a.base+"/callback?code=") {
		p.t.Errorf("after Allow the browser is at %q (%v), want the app's callback with a code", loc, err)
	}
	p.open("/oauth2/authorize?client_id=no-such-app&response_type=code", "main h1")
	p.check("authorization request error")
}

// wrongOTP is a code that differs from code in its last digit.
func wrongOTP(code string) string {
	last := code[len(code)-1]
	return code[:len(code)-1] + string(rune('0'+(last-'0'+1)%10))
}
