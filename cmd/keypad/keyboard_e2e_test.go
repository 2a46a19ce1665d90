package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/keypadauth/keypad/internal/browsertest"
)

// Keyboard-only walks (WCAG 2.1.1, 2.4.3, 2.4.7) through the binary: a
// person with no mouse approves a device, with a password and with a code
// sent by text. Only key events reach the page (Tab, Shift-Tab, Enter,
// Space and typed characters); no click and no script moves focus. At
// every stop the test checks where focus is and that its indicator is
// visible.

// keys runs key events and, when wait is not empty, waits for the page
// that they load and for wait on it.
func (p *a11yPage) keys(step, wait string, keys ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if wait == "" {
		p.do(step, keys...)
		return
	}
	p.load(step, wait, keys...)
}

// typeText types s into the focused element, key by key.
func (p *a11yPage) typeText(s string) {
	p.t.Helper()
	p.do("type "+s, chromedp.KeyEvent(s))
}

// focusIs fails unless the focused element matches what want says and
// shows a visible focus indicator.
func (p *a11yPage) focusIs(step string, want func(browsertest.Focus) bool) browsertest.Focus {
	p.t.Helper()
	f := browsertest.ActiveElement(p.t, p.ctx)
	if !want(f) {
		p.t.Fatalf("%s: focus is on %s", step, f)
	}
	if problem := f.IndicatorProblem(); problem != "" {
		p.t.Errorf("%s: focus on %s is not visible: %s", step, f, problem)
	}
	return f
}

// tabTo presses Tab until want matches the focused element, checking the
// indicator at every stop, and fails after max presses.
func (p *a11yPage) tabTo(step string, max int, want func(browsertest.Focus) bool) {
	p.t.Helper()
	var path []string
	for range max {
		p.do(step+", Tab", browsertest.Tab)
		f := browsertest.ActiveElement(p.t, p.ctx)
		path = append(path, f.String())
		if problem := f.IndicatorProblem(); problem != "" {
			p.t.Errorf("%s: focus on %s is not visible: %s", step, f, problem)
		}
		if want(f) {
			return
		}
	}
	p.t.Fatalf("%s: %d presses of Tab went through\n\t%s\nwithout reaching it", step, max, strings.Join(path, "\n\t"))
}

func byID(id string) func(browsertest.Focus) bool {
	return func(f browsertest.Focus) bool { return f.ID == id }
}

func button(value string) func(browsertest.Focus) bool {
	return func(f browsertest.Focus) bool { return f.Tag == "button" && f.Value == value }
}

func primaryButton(f browsertest.Focus) bool {
	return f.Tag == "button" && strings.Contains(f.Class, "primary")
}

// confirmByKeyboard opens a device's verification_uri_complete and
// confirms the code with Enter on the button that has focus.
func (p *a11yPage) confirmByKeyboard(wait string) {
	p.t.Helper()
	p.load("open verification_uri_complete", ".qr img", chromedp.Navigate(p.a.deviceLink(p.t)))
	p.focusIs("the confirmation page", primaryButton)
	p.keys("confirm with Enter", wait, browsertest.Enter)
}

// allowByKeyboard goes from the consent page's top through the skip link
// to Allow, and presses key on it.
func (p *a11yPage) allowByKeyboard(key chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	p.keys("Tab to the skip link", "", browsertest.Tab)
	p.focusIs("the consent page, first Tab", func(f browsertest.Focus) bool { return f.Tag == "a" && f.Class == "skip" })
	p.keys("follow the skip link", "", browsertest.Enter)
	if f := browsertest.ActiveElement(p.t, p.ctx); f.Tag != "main" {
		p.t.Fatalf("after the skip link: focus is on %s, want main", f)
	}
	p.tabTo("the consent page, to Allow", 5, button("approve"))
	p.keys("Tab to Deny", "", browsertest.Tab)
	p.focusIs("the consent page, after Allow", button("deny"))
	p.keys("Shift-Tab back to Allow", "", browsertest.ShiftTab)
	p.focusIs("the consent page, Shift-Tab", button("approve"))
	p.keys("allow", ".result.ok h1", key)
}

// TestKeyboardDeviceFlow: enter the code, sign in with a password
// (mistyped once), consent and done, by keyboard alone.
func TestKeyboardDeviceFlow(t *testing.T) {
	a := newA11ySetup(t)
	p := a.newPage(t, a11yLanguages[0])
	p.scenario()

	p.open("/device", "#user_code")
	p.focusIs("the code entry page", byID("user_code"))
	p.typeText("gggg hhhh")
	p.keys("submit a wrong code with Enter", "#code-error", browsertest.Enter)
	p.focusIs("a wrong code", byID("user_code"))

	p.confirmByKeyboard("#username")
	p.focusIs("the sign-in page", byID("username"))
	p.typeText("alice")
	p.keys("Tab to the password", "", browsertest.Tab)
	p.focusIs("the sign-in page, Tab", byID("password"))
	p.typeText("not the password")
	p.keys("sign in with Enter", "#login-error", browsertest.Enter)
	p.focusIs("a wrong password", byID("password"))
	p.typeText(alicePass)
	p.keys("Tab to Sign in", "", browsertest.Tab)
	p.focusIs("the sign-in page, Tab from the password", primaryButton)
	p.keys("Shift-Tab back to the password", "", browsertest.ShiftTab)
	p.focusIs("the sign-in page, Shift-Tab", byID("password"))
	p.keys("Tab to Sign in again", "", browsertest.Tab)
	p.keys("sign in with Space", `button[value="approve"]`, browsertest.Space)

	p.allowByKeyboard(browsertest.Enter)
}

// TestKeyboardCodeSignIn: confirm a device's code, choose "send me a
// code", type the address, choose the text message, type the code
// (mistyped once), consent and done, by keyboard alone.
func TestKeyboardCodeSignIn(t *testing.T) {
	a := newA11ySetup(t)
	p := a.newPage(t, a11yLanguages[0])
	p.scenario()

	p.confirmByKeyboard("#login-code")
	p.tabTo("the sign-in page, to the code link", 8, byID("login-code"))
	p.keys("follow it with Enter", "#identifier", browsertest.Enter)
	p.focusIs("the code sign-in page", byID("identifier"))
	p.typeText(heatherAd)
	p.keys("submit the address with Enter", `button[name="channel"]`, browsertest.Enter)
	p.tabTo("the channel page, to the first channel", 5, func(f browsertest.Focus) bool { return f.Name == "channel" })
	p.keys("choose it with Space", "#otp", browsertest.Space)
	p.focusIs("the code page", byID("otp"))
	code := a.newestCode(t)
	p.typeText(wrongOTP(code))
	p.keys("submit a wrong code with Enter", "#otp-error", browsertest.Enter)
	p.focusIs("a wrong code", byID("otp"))
	p.typeText(code)
	p.keys("submit the code with Enter", `button[value="approve"]`, browsertest.Enter)

	p.allowByKeyboard(browsertest.Space)
}
