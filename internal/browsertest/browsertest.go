// Package browsertest starts the headless Chromium that keypad's browser
// tests drive (through github.com/chromedp/chromedp), the way the team
// brief asks: headless, no sandbox, no GPU, no QUIC, no background
// networking, component updates or sync, and an empty profile.
//
// A machine without Chromium skips the test with a message saying how to
// install one, except under KEYPAD_TEST_STRICT=1 (CI), where a missing
// browser fails the test.
//
// Beside the browser it holds the steps every page test repeats: running
// named steps, reading the page, screenshots for the docs
// (KEYPAD_UPDATE_SCREENSHOTS=1) and watching for Content Security Policy
// violations; and the accessibility checks (docs/accessibility.md):
// axe-core runs (axe.go), key events, the focused element and its
// indicator, accessible names (focus.go).
package browsertest

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// DefaultPath is where Chromium is looked for unless KEYPAD_CHROMIUM
// names another binary.
const DefaultPath = "/usr/bin/chromium"

// Timeout bounds a whole browser session, so a page that never shows what
// a test waits for fails the test instead of hanging it.
const Timeout = 2 * time.Minute

// Chromium returns the browser to drive, or skips (fails under
// KEYPAD_TEST_STRICT=1) when there is none.
func Chromium(t testing.TB) string {
	t.Helper()
	path := os.Getenv("KEYPAD_CHROMIUM")
	if path == "" {
		path = DefaultPath
	}
	if _, err := os.Stat(path); err != nil {
		msg := "no Chromium at " + path + ": install it (apt-get install chromium) or point KEYPAD_CHROMIUM at a Chromium binary"
		if os.Getenv("KEYPAD_TEST_STRICT") == "1" {
			t.Fatal(msg + " (KEYPAD_TEST_STRICT=1 makes a missing component a failure)")
		}
		t.Skip(msg)
	}
	return path
}

// Start launches a fresh headless Chromium with an empty profile and
// returns a chromedp context for one tab; the browser stops when the test
// ends. Extra options (a window size, say) come after the defaults. A
// browser takes seconds to start, so -short skips the test.
func Start(t testing.TB, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a browser; skipped in -short")
	}
	opts := append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(Chromium(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
	}, extra...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, Timeout)
	t.Cleanup(func() {
		cancelTimeout()
		cancelTab()
		cancelAlloc()
	})
	return ctx
}

// Do runs browser steps, failing the test with the step's name, so that a
// page that never shows what the test waits for says where it stopped.
func Do(t testing.TB, ctx context.Context, step string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("browser, %s: %v", step, err)
	}
}

// MainText is the text of the page's main element: what a person reads,
// without the header and footer every page shares.
func MainText(t testing.TB, ctx context.Context) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		t.Fatalf("browser, read the page: %v", err)
	}
	return s
}

// UpdateScreenshots reports whether Screenshot writes its files: the docs'
// screenshots are refreshed with KEYPAD_UPDATE_SCREENSHOTS=1, never by an
// ordinary test run.
func UpdateScreenshots() bool { return os.Getenv("KEYPAD_UPDATE_SCREENSHOTS") == "1" }

// Screenshot is a browser step that takes a screenshot of the whole page
// and checks that it is a PNG; with KEYPAD_UPDATE_SCREENSHOTS=1 it writes
// it to path (a file under docs/screenshots).
func Screenshot(t testing.TB, path string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		png, err := chromedp.FullScreenshot(100)(ctx, tg)
		if err != nil {
			return chromedp.Void{}, err
		}
		if len(png) < 8 || string(png[1:4]) != "PNG" {
			t.Errorf("screenshot %s is not a PNG", path)
		}
		if UpdateScreenshots() {
			err = os.WriteFile(path, png, 0o644)
		}
		return chromedp.Void{}, err
	}
}

// WatchCSP collects what the browser logs from now on; the function it
// returns stops and reports each Content Security Policy violation (a
// stylesheet, script or image the policy blocks) as a test error. It opens
// about:blank first, so the tab exists to be watched.
func WatchCSP(t testing.TB, ctx context.Context) (check func()) {
	t.Helper()
	Do(t, ctx, "start", chromedp.Navigate("about:blank"))
	consoleCtx, stop := context.WithCancel(ctx)
	messages := chromedp.Console(consoleCtx)
	logged := make(chan []string, 1)
	go func() {
		var out []string
		for m, err := range messages {
			if err != nil {
				break
			}
			out = append(out, string(m.Type)+": "+m.Text)
		}
		logged <- out
	}()
	return func() {
		t.Helper()
		stop()
		for _, m := range <-logged {
			if strings.Contains(m, "Content Security Policy") {
				t.Errorf("the browser reports a CSP violation: %s", m)
			}
		}
	}
}
