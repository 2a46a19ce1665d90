package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keypadauth/keypad/demo"
	"github.com/keypadauth/keypad/examples/energy"
	"github.com/keypadauth/keypad/internal/browsertest"
	"github.com/keypadauth/keypad/internal/testclock"
	"github.com/keypadauth/keypad/server"
)

// runningDemo is `keypad demo` running in this process on 127.0.0.1:0
// ports, as the test found it in the command's own output.
type runningDemo struct {
	keypad, kiosk, energy, phone string
	srv                          *server.Server
	dir                          string
	clk                          *testClock
	out, logs                    *syncBuffer
	stop                         func() error
}

// startDemo runs the demo command and waits until it serves. stop ends
// it as Ctrl-C would; the test's cleanup calls it too.
func startDemo(t *testing.T, clk *testClock) *runningDemo {
	t.Helper()
	m, out, _ := newMain(env{}, "")
	m.Now = clk.Now
	logs := &syncBuffer{}
	m.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	started := make(chan *server.Server, 1)
	m.Serving = func(s *server.Server) { started <- s }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- m.Run(ctx, []string{"demo", "--addr", "127.0.0.1:0", "--kiosk-addr", "127.0.0.1:0", "--energy-addr", "127.0.0.1:0"})
	}()
	var srv *server.Server
	select {
	case srv = <-started:
	case err := <-done:
		cancel()
		t.Fatalf("keypad demo: %v\n%s", err, out)
	}

	text := out.String()
	find := func(re string) string {
		t.Helper()
		m := regexp.MustCompile(re).FindStringSubmatch(text)
		if m == nil {
			cancel()
			t.Fatalf("the demo's output lacks %s; it reads:\n%s", re, text)
		}
		return m[1]
	}
	d := &runningDemo{
		srv:    srv,
		keypad: find(`keypad, the sign-in service\s+(http://\S+)`),
		kiosk:  find(`Bright Audits kiosk\s+(http://\S+)`),
		energy: find(`energy usage API\s+(http://\S+)`),
		phone:  find(`the customers' "phone"\s+(http://\S+)`),
		dir:    find(`Data: (\S+) \(removed when the demo stops`),
		clk:    clk, out: out, logs: logs,
	}
	if d.keypad != srv.URL() {
		t.Errorf("the demo prints keypad at %s, but it serves at %s", d.keypad, srv.URL())
	}
	if m := find(`Metrics: (http://\S+)`); m != srv.MetricsURL() || strings.HasSuffix(m, ":9090/metrics") {
		t.Errorf("the demo prints metrics at %s, want %s on a free port", m, srv.MetricsURL())
	}
	for _, want := range []string{demo.Heather.Username + " / " + demo.HeatherPassword, "123 Main Street", "(•••) •••-4821",
		demo.SharedAddress, demo.Sharers[1].Account, "device-login --issuer " + d.keypad + " --client-id " + demo.TVClientID} {
		if !strings.Contains(text, want) {
			t.Errorf("the demo's what-to-try lacks %q", want)
		}
	}
	var once sync.Once
	var stopErr error
	d.stop = func() error {
		once.Do(func() { cancel(); stopErr = <-done })
		return stopErr
	}
	t.Cleanup(func() {
		d.stop()
		if t.Failed() {
			t.Logf("demo logs:\n%s", logs)
		}
	})
	return d
}

// usageSummary is what the kiosk's audit must show for one account: the
// last 12 of the energy API's months, as the kiosk formats them.
type usageSummary struct {
	kwh, cost string
	peaks     [2]string
}

func expectedAudit(account string, end time.Time) usageSummary {
	months := energy.GenerateUsage(demo.DefaultSeed, account, demo.UsageMonths, end).Months()
	months = months[len(months)-12:]
	var kwh, cost float64
	for _, m := range months {
		kwh += m.KWh()
		cost += energy.Cost(m.Wh, 0.16) // the energy API's default tariff
	}
	slices.SortStableFunc(months, func(a, b energy.Month) int {
		switch {
		case a.Wh > b.Wh:
			return -1
		case a.Wh < b.Wh:
			return 1
		}
		return 0
	})
	return usageSummary{
		kwh: grouped(kwh) + " kWh", cost: "$" + grouped(cost),
		peaks: [2]string{months[0].Start.Format("January"), months[1].Start.Format("January")},
	}
}

// grouped formats a rounded whole number with thousands separators.
func grouped(v float64) string {
	s := strconv.FormatInt(int64(math.Round(v)), 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// outboxMessage is one message of keypad's dev outbox.
type outboxMessage struct {
	ID      int64  `json:"id"`
	Channel string `json:"channel"`
	To      string `json:"to"`
	Body    string `json:"body"`
	Code    string `json:"code"`
}

// outbox reads /dev/outbox.json ({"messages": [...]}), newest first.
func (d *runningDemo) outbox(t *testing.T) []outboxMessage {
	t.Helper()
	// A send only queues its message; wait for keypad's worker first.
	if _, err := d.srv.OAuth().DeliverOTPQueue(context.Background()); err != nil {
		t.Fatalf("deliver the OTP queue: %v", err)
	}
	resp, err := http.Get(d.keypad + "/dev/outbox.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /dev/outbox.json: %d %s", resp.StatusCode, body)
	}
	var box struct {
		Messages []outboxMessage `json:"messages"`
	}
	if err := json.Unmarshal(body, &box); err != nil {
		t.Fatalf("/dev/outbox.json is not a list of messages: %v\n%s", err, body)
	}
	return box.Messages
}

var otpInText = regexp.MustCompile(`\b(\d{6})\b`)

// code returns the code of the newest text to phone (E.164), checking
// that the message says who asks and for what.
func (d *runningDemo) code(t *testing.T, phone string) string {
	t.Helper()
	for _, m := range d.outbox(t) {
		if m.Channel != "sms" || m.To != phone {
			continue
		}
		for _, want := range []string{"Bright Audits", "read your energy usage history (12 months)"} {
			if !strings.Contains(m.Body, want) {
				t.Errorf("the text to %s lacks %q: %q", phone, want, m.Body)
			}
		}
		c := otpInText.FindStringSubmatch(m.Body)
		if c == nil || c[1] != m.Code {
			t.Fatalf("the text to %s reads %q, the outbox says its code is %q; want one 6-digit code", phone, m.Body, m.Code)
		}
		return m.Code
	}
	t.Fatalf("the outbox has no text to %s", phone)
	return ""
}

// The kiosk's screen, in CSS pixels: an upright touch screen.
const kioskWidth, kioskHeight = 900, 1200

// browser is a headless Chromium tab.
type browser struct {
	t   *testing.T
	ctx context.Context
}

// newBrowser starts Chromium (internal/browsertest: the flags BRIEF asks
// for, skipped without a browser unless KEYPAD_TEST_STRICT=1) in a window
// the size of a kiosk's portrait screen.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	return &browser{t: t, ctx: browsertest.Start(t, chromedp.WindowSize(kioskWidth, kioskHeight))}
}

func (b *browser) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("browser, %s: %v", step, err)
	}
}

// submit clicks a button that sends a form and waits until the page it
// leads to has loaded, stylesheet included, so that the next click lands
// where the button is drawn.
func (b *browser) submit(step string, click chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, click)
	if err != nil {
		b.t.Fatalf("browser, %s: %v", step, err)
	}
	if resp.Status != http.StatusOK {
		b.t.Fatalf("browser, %s: %s answered %d", step, resp.URL, resp.Status)
	}
}

// Buttons the walk clicks.
var (
	lookupButton = chromedp.Click(chromedp.CSS(`form[action="/lookup"] button`))
	verifyButton = chromedp.Click(chromedp.CSS(`form[action="/verify"] button`))
	doneButton   = chromedp.Click(chromedp.CSS(`form[action="/done"] button`))
	// textButton is the kiosk's "Text (•••) •••-1234" choice.
	textButton = chromedp.Click(chromedp.Search(`//button[starts-with(normalize-space(.), "Text ")]`))
	cardButton = chromedp.Click(chromedp.CSS("form.card button.primary"))
)

// text is what the page's main element reads.
func (b *browser) text() string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		b.t.Fatalf("browser, read page: %v", err)
	}
	return s
}

// shot takes a screenshot of the whole page; with
// KEYPAD_UPDATE_SCREENSHOTS=1 it writes it to docs/screenshots.
func (b *browser) shot(name string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		png, err := chromedp.FullScreenshot(100)(ctx, tg)
		if err != nil {
			return chromedp.Void{}, err
		}
		if len(png) < 8 || string(png[1:4]) != "PNG" {
			return chromedp.Void{}, fmt.Errorf("screenshot %s is not a PNG", name)
		}
		if os.Getenv("KEYPAD_UPDATE_SCREENSHOTS") == "1" {
			err = os.WriteFile(filepath.Join("..", "..", "docs", "screenshots", name), png, 0o644)
		}
		return chromedp.Void{}, err
	}
}

// mustRead checks that a page reads every one of want.
func mustRead(t *testing.T, page, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("the %s screen lacks %q; it reads:\n%s", page, w, got)
		}
	}
}

// TestDemo is the acceptance test of `keypad demo`: a person at the kiosk
// (Heather, then someone at a shared address, then a stranger), and a TV
// signed in with `keypad device-login`, all against the demo as it runs,
// in a real browser, reading codes from the outbox as a phone would.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the demo and a browser; skipped in -short")
	}
	b := newBrowser(t)
	clk := testclock.New(time.Now().UTC())
	end := clk.Now()
	d := startDemo(t, clk)

	// Content Security Policy violations show in the console.
	checkCSP := browsertest.WatchCSP(t, b.ctx)

	t.Run("OKHeather", func(t *testing.T) {
		b.t = t
		b.do("open the kiosk", chromedp.Navigate(d.kiosk),
			chromedp.SendKeys(chromedp.ID("identifier"), "123 Main Street"),
			b.shot("kiosk-1-address.png"))
		b.submit("look up the address", lookupButton)
		b.do("see the channels", b.shot("kiosk-2-channel.png"))
		mustRead(t, "channel", b.text(), "Where should we send your code?", "Text (•••) •••-4821", "Email h•••@e•••.com")
		b.submit("choose text", textButton)
		b.do("see the code screen", b.shot("kiosk-3-code.png"))
		mustRead(t, "code", b.text(), "6-digit code by text to (•••) •••-4821")

		code := d.code(t, "+15415554821")
		b.do("look at the phone",
			chromedp.EmulateViewport(390, 844),
			chromedp.Navigate(d.phone),
			b.shot("kiosk-phone.png"),
			chromedp.EmulateViewport(kioskWidth, kioskHeight))
		mustRead(t, "phone", b.text(), code, "Bright Audits")

		b.do("type the code", chromedp.Navigate(d.kiosk+"/code"), chromedp.SendKeys(chromedp.ID("otp"), code))
		b.submit("send the code", verifyButton)
		b.do("see the audit", b.shot("kiosk-4-audit.png"))
		want := expectedAudit(demo.Heather.Account, end)
		mustRead(t, "audit", b.text(), "Your energy audit", want.kwh, want.cost, want.peaks[0], want.peaks[1],
			"Switch to LED bulbs", "Rooftop solar", "Charging an electric car")

		b.submit("finish", doneButton)
		b.do("see the start again", b.shot("kiosk-5-done.png"))
		mustRead(t, "done", b.text(), "Everything about your visit has been forgotten")
	})

	t.Run("OKSharedAddress", func(t *testing.T) {
		b.t = t
		sam, dana := demo.Sharers[1], demo.Sharers[0]
		b.do("open the kiosk", chromedp.Navigate(d.kiosk), chromedp.SendKeys(chromedp.ID("identifier"), demo.SharedAddress))
		b.submit("look up the shared address", lookupButton)
		b.do("see the question", b.shot("kiosk-ask-account.png"))
		mustRead(t, "ask", b.text(), "More than one account uses this address", "type your account number")
		b.do("type the account number", chromedp.SendKeys(chromedp.ID("identifier"), sam.Account))
		b.submit("look up the account", lookupButton)
		mustRead(t, "channel", b.text(), "Text (•••) •••-0122")
		b.submit("choose text", textButton)

		code := d.code(t, "+15415550122")
		wrong := fmt.Sprintf("%06d", (mustAtoi(t, code)+1)%1_000_000)
		b.do("type a wrong code", chromedp.SendKeys(chromedp.ID("otp"), wrong))
		b.submit("send the wrong code", verifyButton)
		b.do("see the wrong code screen", b.shot("kiosk-code-wrong.png"))
		mustRead(t, "wrong code", b.text(), "That code isn't right", "4 tries left")
		b.do("type the right code", chromedp.SendKeys(chromedp.ID("otp"), code))
		b.submit("send the right code", verifyButton)
		got, want := b.text(), expectedAudit(sam.Account, end)
		mustRead(t, "audit", got, "Your energy audit", want.kwh, want.cost)
		if other := expectedAudit(dana.Account, end); other.kwh != want.kwh && strings.Contains(got, other.kwh) {
			t.Errorf("Sam's audit shows Dana's total %s", other.kwh)
		}
		b.submit("finish", doneButton)
	})

	t.Run("OKStrangerGetsNothing", func(t *testing.T) {
		b.t = t
		before := d.outbox(t)
		b.do("open the kiosk", chromedp.Navigate(d.kiosk), chromedp.SendKeys(chromedp.ID("identifier"), "1 Nowhere Road"))
		b.submit("look up nobody", lookupButton)
		// The decoys, made from the address under the server's secret, may
		// be a text, an email or both: take the first.
		b.submit("choose a channel", chromedp.Click(chromedp.CSS(`form[action="/send"] button`)))
		mustRead(t, "code", b.text(), "Enter your code")
		// Decoy channels look like real ones, and nothing is sent.
		if after := d.outbox(t); len(after) != len(before) {
			t.Errorf("a lookup of nobody put %d messages in the outbox, want none", len(after)-len(before))
		}
		// Every code is wrong for a decoy; the fifth voids the visit.
		for i := range 5 {
			b.do("type a wrong code", chromedp.SendKeys(chromedp.ID("otp"), fmt.Sprintf("%06d", 111111*(i+1))))
			b.submit("send the wrong code", verifyButton)
			if strings.Contains(b.text(), "Too many wrong codes") {
				break
			}
		}
		b.do("see the problem screen", b.shot("kiosk-problem.png"))
		mustRead(t, "problem", b.text(), "Too many wrong codes", "Start over")
	})

	t.Run("OKDeviceLogin", func(t *testing.T) {
		b.t = t
		configDir := t.TempDir()
		tokens := d.deviceLogin(t, configDir, func(verificationURI, userCode string) {
			b.do("open the TV's page", chromedp.Navigate(verificationURI), chromedp.SendKeys(chromedp.ID("user_code"), userCode))
			b.submit("enter the TV's code", cardButton)
			b.do("type the name and password",
				chromedp.SendKeys(chromedp.ID("username"), demo.Heather.Username),
				chromedp.SendKeys(chromedp.ID("password"), demo.HeatherPassword))
			b.submit("sign in", cardButton)
			mustRead(t, "consent", b.text(), "Green Valley Power TV app", "read your energy usage history (12 months)")
			b.submit("approve", chromedp.Click(chromedp.CSS(`button[value="approve"]`)))
			mustRead(t, "done", b.text(), "You can return to your device")
		})
		tok, _ := tokens["access_token"].(string)
		if !strings.HasPrefix(tok, "kp_at_") || tokens["refresh_token"] == nil || tokens["token_type"] != "DPoP" {
			t.Fatalf("device-login --dpop printed %v, want an opaque DPoP-bound access token and a refresh token", tokens)
		}
		d.walkTVWithDPoP(t, configDir, tokens)
	})
	b.t = t

	checkCSP()

	// Ctrl-C: everything stops and the temporary directory goes.
	if err := d.stop(); err != nil {
		t.Fatalf("keypad demo stopped with %v", err)
	}
	if !strings.Contains(d.out.String(), "Stopped.") {
		t.Errorf("the demo did not say it stopped; it printed:\n%s", d.out)
	}
	if _, err := os.Stat(d.dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the demo's directory %s is still there after it stopped (stat: %v)", d.dir, err)
	}
	if resp, err := http.Get(d.kiosk); err == nil {
		resp.Body.Close()
		t.Errorf("the kiosk still answers after the demo stopped")
	}
}

// deviceLogin runs `keypad device-login --client-id tv-app` against the
// demo, in this process. approve plays the person: it gets the page and
// the code the command showed, while the command polls. The command's
// waits advance the demo's clock instead of sleeping.
func (d *runningDemo) deviceLogin(t *testing.T, configDir string, approve func(verificationURI, userCode string)) map[string]any {
	t.Helper()
	var stdout, stderr bytes.Buffer
	shown := make(chan [2]string, 1)
	approved := make(chan struct{})
	sleeps := 0
	dl := &deviceLogin{
		client:     &http.Client{Timeout: 30 * time.Second},
		now:        d.clk.Now,
		isTerminal: func(io.Writer) bool { return false },
		configDir:  func() (string, error) { return configDir, nil },
		sleep: func(ctx context.Context, wait time.Duration) error {
			sleeps++
			switch sleeps {
			case 1:
				// The command has shown the page and the code; the
				// first poll finds the request still pending.
				m := regexp.MustCompile(`open this page[^\n]*\n\n\s+(\S+)\n\nand enter the code:\n\n\s+(\S+)`).FindStringSubmatch(stderr.String())
				if m == nil {
					return fmt.Errorf("device-login showed no page and code:\n%s", stderr.String())
				}
				shown <- [2]string{m[1], m[2]}
				return nil
			case 2:
				select {
				case <-approved:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			d.clk.Advance(wait)
			return nil
		},
	}
	cmd := dl.command()
	cmd.SetArgs([]string{"--issuer", d.keypad, "--client-id", demo.TVClientID, "--qr", "none", "--dpop"})
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	select {
	case s := <-shown:
		approve(s[0], s[1])
		close(approved)
	case err := <-done:
		t.Fatalf("device-login ended before showing a code: %v\n%s", err, stderr.String())
	}
	if err := <-done; err != nil {
		t.Fatalf("device-login: %v\n%s", err, stderr.String())
	}
	var tokens map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &tokens); err != nil {
		t.Fatalf("device-login printed %q, not JSON: %v", stdout.String(), err)
	}
	return tokens
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestDemoPortTaken: a port in use stops the demo at once with the flag
// that moves it, and leaves no temporary directory behind.
func TestDemoPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	tmp := t.TempDir()
	m, out, _ := newMain(env{}, "")
	t.Setenv("TMPDIR", tmp)
	err = m.Run(context.Background(), []string{"demo", "--addr", "127.0.0.1:0", "--kiosk-addr", ln.Addr().String(), "--energy-addr", "127.0.0.1:0"})
	if err == nil || !strings.Contains(err.Error(), "kiosk cannot listen on "+ln.Addr().String()) ||
		!strings.Contains(err.Error(), "choose another address with --kiosk-addr") {
		t.Errorf("demo with the kiosk's port taken = %v, want the address and --kiosk-addr named", err)
	}
	if out.String() != "" {
		t.Errorf("a demo that did not start printed:\n%s", out)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("a demo that did not start left %d entries in TMPDIR", len(left))
	}
}

// walkTVWithDPoP is the TV story's last step: `keypad call` reads
// Heather's usage from the energy API with the DPoP-bound token
// device-login got and a fresh proof of its key (the energy API
// introspects the opaque token and checks the proof), while the same
// token sent as Bearer, or with a proof of another key, is refused.
func (d *runningDemo) walkTVWithDPoP(t *testing.T, configDir string, tokens map[string]any) {
	t.Helper()
	tok := tokens["access_token"].(string)
	usage := d.energy + "/api/usage-points"
	file := filepath.Join(t.TempDir(), "tv.json")
	raw, _ := json.Marshal(tokens)
	if err := os.WriteFile(file, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	runCall := func(dir string) (string, error) {
		var stdout, stderr bytes.Buffer
		c := &call{client: &http.Client{Timeout: 30 * time.Second}, now: d.clk.Now,
			configDir: func() (string, error) { return dir, nil }}
		cmd := c.command()
		cmd.SetArgs([]string{"--issuer", d.keypad, "--client-id", demo.TVClientID, "--tokens", file, usage})
		cmd.SetOut(&stdout)
		cmd.SetErr(&stderr)
		err := cmd.ExecuteContext(context.Background())
		return stdout.String(), err
	}
	body, err := runCall(configDir)
	if err != nil || !strings.Contains(body, energy.UsagePointID(demo.Heather.Account)) {
		t.Errorf("keypad call with the TV's key: %v, %q; want Heather's usage point %s", err, body, energy.UsagePointID(demo.Heather.Account))
	}

	// The token copied off the TV, sent as a bearer token.
	req, _ := http.NewRequest(http.MethodGet, usage, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	copied, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || strings.Contains(string(copied), energy.UsagePointID(demo.Heather.Account)) {
		t.Errorf("the TV's token as Bearer: %d %s, want 401", resp.StatusCode, copied)
	}

	// The token copied to another machine, with that machine's key: a
	// key device-login made there for the same issuer and client.
	other := t.TempDir()
	if _, err := loadDPoPKey(dpopKeyPath(other, d.keypad, demo.TVClientID)); err != nil {
		t.Fatal(err)
	}
	if body, err := runCall(other); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("keypad call with another key: %v, %q; want a 401 refusal", err, body)
	}

	// A key of nobody: call makes none and says what to do.
	if _, err := runCall(t.TempDir()); err == nil || !strings.Contains(err.Error(), "device-login --dpop") {
		t.Errorf("keypad call without a key: %v, want a refusal naming device-login --dpop", err)
	}
}
