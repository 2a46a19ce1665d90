package main

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"

	"github.com/keypadauth/keypad/internal/browsertest"
)

// The device flow end to end through the binary: a device (golang.org/x/
// oauth2, or `keypad device-login`) asks for a code and polls, while a
// real headless Chromium plays the person who confirms the code, signs in
// and approves on the hosted pages. The server runs with a one-second
// polling interval so the devices do not wait long.

const (
	tvName       = "Living Room TV"
	tvScope      = "playlists:read"
	tvScopeText  = "See your playlists"
	alicePass    = "correct horse battery staple"
	deviceFlowRT = "refresh_token"
)

// deviceSetup is a running server with a public TV client, a person who
// signs in with a password, and a confidential API client that may
// introspect.
type deviceSetup struct {
	s        *serving
	e        env
	base     string
	tv       clientJSON
	api      clientJSON
	aliceID  string
	browser  context.Context
	endpoint oauth2.Endpoint
}

func newDeviceSetup(t *testing.T) *deviceSetup {
	t.Helper()
	return newDeviceSetupIn(t)
}

// newDeviceSetupIn is newDeviceSetup with more browser options (its
// languages, say).
func newDeviceSetupIn(t *testing.T, opts ...chromedp.ExecAllocatorOption) *deviceSetup {
	t.Helper()
	browser := browsertest.Start(t, append([]chromedp.ExecAllocatorOption{chromedp.WindowSize(420, 860)}, opts...)...) // a phone
	e := sqliteBackend.env(t)
	s := startServe(t, e, "--auto-migrate", "--device-interval", "1s", "--web-site-name", "Acme TV")
	d := &deviceSetup{s: s, e: e, base: s.srv.URL(), browser: browser}
	mustRun(t, e, "", "scope", "create", tvScope, "--description", tvScopeText)
	d.tv = mustJSON[clientJSON](t, e, "client", "create", "--name", tvName, "--public",
		"--grant-types", "device_code,"+deviceFlowRT, "--scopes", tvScope, "--json")
	// A resource server: it reads the TV's tokens, so it needs the flag.
	d.api = mustJSON[clientJSON](t, e, "client", "create", "--name", "Playlist API",
		"--grant-types", "client_credentials", "--introspect-any", "--json")
	if !d.api.IntrospectAny {
		t.Fatalf("client create --introspect-any printed %+v, want introspect_any true", d.api)
	}
	m, out, _ := newMain(e, alicePass+"\n")
	if err := m.Run(context.Background(), []string{"user", "create", "--username", "alice", "--name", "Alice", "--password-stdin", "--json"}); err != nil {
		t.Fatalf("user create: %v", err)
	}
	var alice userJSON
	if err := json.Unmarshal([]byte(out.String()), &alice); err != nil || !alice.HasPassword {
		t.Fatalf("user create printed %q, want a person with a password", out)
	}
	d.aliceID = alice.ID
	d.endpoint = oauth2.Endpoint{
		DeviceAuthURL: d.base + "/oauth2/device_authorization",
		TokenURL:      d.base + "/oauth2/token",
		AuthStyle:     oauth2.AuthStyleInParams,
	}
	return d
}

// signInAndApprove plays the person from the sign-in page on: password,
// then the consent page, which must say which device asks and for what,
// then Allow. It returns the final page's text.
func (d *deviceSetup) signInAndApprove(t *testing.T) string {
	t.Helper()
	browsertest.Do(t, d.browser, "sign in",
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "alice"),
		chromedp.SendKeys(chromedp.ID("password"), alicePass),
		chromedp.Click(chromedp.CSS("form.card button.primary")),
		chromedp.WaitVisible(chromedp.CSS(`button[value="approve"]`)))
	consent := browsertest.MainText(t, d.browser)
	for _, want := range []string{tvName, tvScopeText} {
		if !strings.Contains(consent, want) {
			t.Errorf("the consent page lacks %q (RFC 8628 §5.4: say who asks and for what); it reads:\n%s", want, consent)
		}
	}
	browsertest.Do(t, d.browser, "approve",
		chromedp.Click(chromedp.CSS(`button[value="approve"]`)),
		chromedp.WaitVisible(chromedp.CSS(".result h1")))
	return browsertest.MainText(t, d.browser)
}

// checkActive introspects tok with the API client and expects it active
// for alice, the TV and the scope.
func (d *deviceSetup) checkActive(t *testing.T, tok string) {
	t.Helper()
	in := introspect(t, d.base, d.api.ClientID, d.api.ClientSecret, tok)
	if !in.Active || in.Sub != d.aliceID || in.ClientID != d.tv.ClientID || in.Scope != tvScope || in.Iss != d.base {
		t.Errorf("introspection = %+v, want active for sub %s, client %s, scope %s", in, d.aliceID, d.tv.ClientID, tvScope)
	}
}

// TestDeviceFlowEndToEnd is DESIGN.md's story 2 with the standard Go
// OAuth library as the TV: the person opens verification_uri_complete
// (what the QR code holds), confirms the code, signs in and approves; the
// TV's polling then returns tokens that introspect active, and its
// refresh token renews them.
func TestDeviceFlowEndToEnd(t *testing.T) {
	d := newDeviceSetup(t)
	ctx := context.Background()
	tv := &oauth2.Config{ClientID: d.tv.ClientID, Endpoint: d.endpoint, Scopes: []string{tvScope}}

	da, err := tv.DeviceAuth(ctx)
	if err != nil {
		t.Fatalf("device authorization: %v", err)
	}
	if !regexp.MustCompile(`^[B-DF-HJ-NP-TV-XZ]{4}-[B-DF-HJ-NP-TV-XZ]{4}$`).MatchString(da.UserCode) ||
		da.VerificationURI != d.base+"/device" || !strings.HasPrefix(da.VerificationURIComplete, d.base+"/device?user_code=") ||
		da.Interval != 1 {
		t.Fatalf("device authorization = %+v, want a WDJB-MJHT-style code, %s/device and interval 1", da, d.base)
	}

	type result struct {
		tok *oauth2.Token
		err error
	}
	polled := make(chan result, 1)
	go func() {
		tok, err := tv.DeviceAccessToken(ctx, da)
		polled <- result{tok, err}
	}()

	browsertest.Do(t, d.browser, "open verification_uri_complete",
		chromedp.Navigate(da.VerificationURIComplete),
		chromedp.WaitVisible(chromedp.CSS("form.card button.primary")))
	if confirm := browsertest.MainText(t, d.browser); !strings.Contains(confirm, da.UserCode) {
		t.Errorf("the confirmation page does not show %s; it reads:\n%s", da.UserCode, confirm)
	}
	browsertest.Do(t, d.browser, "confirm the code", chromedp.Click(chromedp.CSS("form.card button.primary")))
	if done := d.signInAndApprove(t); !strings.Contains(done, "You can return to your device") {
		t.Errorf("the last page reads:\n%s\nwant it to send the person back to the device", done)
	}

	r := <-polled
	if r.err != nil {
		t.Fatalf("device access token: %v", r.err)
	}
	if r.tok.RefreshToken == "" || !strings.HasPrefix(r.tok.RefreshToken, "kp_rt_") {
		t.Errorf("refresh token %q, want a kp_rt_ token", r.tok.RefreshToken)
	}
	d.checkActive(t, r.tok.AccessToken)

	renewed, err := tv.TokenSource(ctx, &oauth2.Token{RefreshToken: r.tok.RefreshToken}).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if renewed.AccessToken == r.tok.AccessToken || renewed.RefreshToken == r.tok.RefreshToken {
		t.Error("the refresh returned the same tokens, want fresh ones (rotation)")
	}
	d.checkActive(t, renewed.AccessToken)

	logs := d.s.logs.String()
	for _, secret := range []string{r.tok.AccessToken, r.tok.RefreshToken, da.DeviceCode, alicePass} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log contains a secret %.12s...", secret)
		}
	}
}

// TestDeviceLoginEndToEnd runs `keypad device-login` against the running
// server while the browser plays the person, typing the code as people
// do (small letters, a space for the dash) on the verification page.
func TestDeviceLoginEndToEnd(t *testing.T) {
	d := newDeviceSetup(t)

	m, out, _ := newMain(d.e, "")
	shown := &watchWriter{re: regexp.MustCompile(`open this page on your phone or computer:\s+(\S+)\s+and enter the code:\s+(\S+)`), found: make(chan []string, 1)}
	m.Stderr = shown
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- m.Run(ctx, []string{"device-login", "--issuer", d.base, "--client-id", d.tv.ClientID, "--scope", tvScope, "--qr", "none"})
	}()

	var uri, code string
	select {
	case got := <-shown.found:
		uri, code = got[1], got[2]
	case err := <-done:
		t.Fatalf("device-login ended before showing a code: %v\n%s", err, shown)
	}
	if uri != d.base+"/device" {
		t.Errorf("device-login shows %q, want %s/device", uri, d.base)
	}
	typed := strings.ToLower(strings.ReplaceAll(code, "-", " "))
	browsertest.Do(t, d.browser, "type the code",
		chromedp.Navigate(uri),
		chromedp.WaitVisible(chromedp.ID("user_code")),
		chromedp.SendKeys(chromedp.ID("user_code"), typed),
		chromedp.Submit(chromedp.ID("user_code")))
	d.signInAndApprove(t)

	if err := <-done; err != nil {
		t.Fatalf("device-login: %v\n%s", err, shown)
	}
	var tok struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		TokenType    string `json:"token_type"`
		Scope        string `json:"scope"`
	}
	if err := json.Unmarshal([]byte(out.String()), &tok); err != nil || tok.AccessToken == "" || tok.TokenType != "Bearer" {
		t.Fatalf("device-login printed %q, want the token response as JSON", out)
	}
	if !strings.Contains(shown.String(), "Signed in.") {
		t.Errorf("device-login's messages lack \"Signed in.\":\n%s", shown)
	}
	d.checkActive(t, tok.AccessToken)
}

// watchWriter collects what a command writes and sends, once, the first
// match of re, so a test can act on what the command shows as soon as it
// shows it.
type watchWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	re    *regexp.Regexp
	found chan []string
	sent  bool
}

func (w *watchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.sent {
		if m := w.re.FindStringSubmatch(w.buf.String()); m != nil {
			w.sent = true
			w.found <- m
		}
	}
	return len(p), nil
}

func (w *watchWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
