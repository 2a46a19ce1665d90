package kiosk

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keypadauth/keypad/internal/browsertest"
)

// TestIdleWarningBrowser drives the idle reset in Chromium (WCAG 2.2.1):
// no meta refresh; a warning with a countdown appears before the reset;
// "More time" closes it and restarts the kiosk's own timer; left alone, the
// screen goes back to the start. The browser's timers run on real time, so
// the timeout is a few seconds and every step waits for what the page
// shows, never for a time.
func TestIdleWarningBrowser(t *testing.T) {
	const idle, warn = 3 * time.Second, 2 * time.Second
	e := newEnv(t, setup{kiosk: func(c *Config) { c.IdleTimeout, c.IdleWarning = idle, warn }})
	ctx := browsertest.Start(t)
	checkCSP := browsertest.WatchCSP(t, ctx)

	browsertest.Do(t, ctx, "look Heather up",
		chromedp.Navigate(e.kiosk.URL),
		chromedp.SendKeys(chromedp.ID("identifier"), "123 Main Street"),
		chromedp.Click(chromedp.CSS(`form[action="/lookup"] button`)),
		chromedp.WaitReady(chromedp.CSS(`form[action="/send"]`)))
	metas, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('meta[http-equiv="refresh" i]').length`))
	if err != nil || metas != 0 {
		t.Fatalf("meta refresh elements = %d (%v), want none", metas, err)
	}

	browsertest.Do(t, ctx, "wait for the warning", chromedp.WaitVisible(chromedp.ID("idle-warning")))
	if text, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("idle-warning"))); err != nil ||
		!strings.Contains(text, "Are you still there?") || !strings.Contains(text, "More time") {
		t.Fatalf("warning reads %q (%v), want a question and More time", text, err)
	}

	// Two of the three seconds pass on the kiosk's clock; "More time"
	// restarts them.
	e.clock.Advance(warn)
	browsertest.Do(t, ctx, "ask for more time",
		chromedp.Click(chromedp.ID("idle-more")),
		chromedp.WaitNotVisible(chromedp.ID("idle-warning")))
	// Past the first deadline, the visit lives on: the request counted.
	e.clock.Advance(warn)
	browsertest.Do(t, ctx, "come back to the screen",
		chromedp.Navigate(e.kiosk.URL+"/channel"),
		chromedp.WaitReady(chromedp.CSS(`form[action="/send"]`)))
	if loc, err := chromedp.Run(ctx, chromedp.Location()); err != nil || !strings.HasSuffix(loc, "/channel") {
		t.Fatalf("after More time and %s, at %q (%v), want the visit kept at /channel", 2*warn, loc, err)
	}

	// Left alone, the warning comes back and the screen starts over.
	browsertest.Do(t, ctx, "leave the kiosk alone",
		chromedp.WaitVisible(chromedp.ID("idle-warning")),
		chromedp.WaitVisible(chromedp.CSS("p.notice")))
	if text := browsertest.MainText(t, ctx); !strings.Contains(text, "We started over") {
		t.Fatalf("after the timeout the kiosk shows %q, want the start screen saying it started over", text)
	}
	if n := e.k.visits.len(); n != 0 {
		t.Errorf("%d visits kept after the reset, want 0", n)
	}
	checkCSP()
}
