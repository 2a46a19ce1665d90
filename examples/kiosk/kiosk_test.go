package kiosk

import (
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/config"
	"github.com/keypadauth/keypad/examples/energy"
	"github.com/keypadauth/keypad/internal/testclock"
)

// dataEnd is when every test starts, and the end of the energy API's data.
var dataEnd = time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)

// setup changes an env from the defaults: keypad's configuration, the
// kiosk's registration at keypad, the kiosk's own configuration.
type setup struct {
	keypad func(*config.Config)
	client func(*keypad.Client)
	kiosk  func(*Config)
}

// env is the demo's three programs over real HTTP on one clock: a real
// keypad, the real energy API verifying keypad's tokens, and the kiosk.
type env struct {
	keypad *testKeypad
	energy *httptest.Server
	kiosk  *httptest.Server
	k      *kiosk
	clock  *testclock.Clock
}

func newEnv(t *testing.T, s setup) *env {
	t.Helper()
	e := &env{clock: testclock.New(dataEnd)}
	e.keypad = startKeypad(t, e.clock, s.keypad, s.client)
	api, err := energy.New(energy.Config{
		Issuer: e.keypad.url, Seed: 42, End: dataEnd, Now: e.clock.Now,
		Customers: energy.CustomerMap(map[string]energy.Customer{
			heather.sub: {Key: heather.rec.Account, ServiceAddress: "123 Main St"},
			dana.sub:    {Key: dana.rec.Account},
		}),
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	e.energy = httptest.NewServer(api)
	t.Cleanup(e.energy.Close)
	cfg := Config{
		Issuer: e.keypad.url, ClientID: kioskID, ClientSecret: kioskSecret, EnergyAPI: e.energy.URL,
		Now: e.clock.Now, Rand: testclock.NewRand(1), Logger: slog.New(slog.DiscardHandler),
	}
	if s.kiosk != nil {
		s.kiosk(&cfg)
	}
	k, err := newKiosk(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.k = k
	e.kiosk = httptest.NewServer(k.routes())
	t.Cleanup(e.kiosk.Close)
	return e
}

// unreachableURL is an http URL where every connection is dropped at
// once, as by a peer that is down. The test holds the port, so no other
// server started meanwhile can take it, as a closed port's could be.
func unreachableURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return "http://" + ln.Addr().String()
}

// accessToken is the token the kiosk holds for the one visit in
// progress, "" if none.
func (e *env) accessToken(t *testing.T) string {
	t.Helper()
	e.k.visits.mu.Lock()
	defer e.k.visits.mu.Unlock()
	if len(e.k.visits.m) != 1 {
		t.Fatalf("the kiosk holds %d visits, want 1", len(e.k.visits.m))
	}
	for _, v := range e.k.visits.m {
		v.mu.Lock()
		defer v.mu.Unlock()
		return v.accessToken
	}
	return ""
}

// browser is one person at the kiosk: a cookie jar that follows
// redirects, as a browser does.
type browser struct {
	t      *testing.T
	e      *env
	client *http.Client
	url    string // where the last response came from
	page   string // the last response's body
}

func (e *env) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, e: e, client: &http.Client{Jar: jar}}
}

func (b *browser) do(req *http.Request) (int, string) {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	b.url, b.page = resp.Request.URL.RequestURI(), string(body)
	return resp.StatusCode, b.page
}

func (b *browser) get(path string) (int, string) {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.e.kiosk.URL+path, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) (int, string) {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.e.kiosk.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var channelButton = regexp.MustCompile(`<button type="submit" name="channel" value="([^"]*)" class="primary">([^<]*)</button>`)

// choose presses the channel button the current page labels label: the
// channel IDs are keypad's own.
func (b *browser) choose(label string) (int, string) {
	b.t.Helper()
	for _, m := range channelButton.FindAllStringSubmatch(b.page, -1) {
		if m[2] == label {
			return b.post("/send", url.Values{"channel": {html.UnescapeString(m[1])}})
		}
	}
	b.t.Fatalf("no channel button %q at %s; page:\n%s", label, b.url, b.page)
	return 0, ""
}

// labels are the channel buttons of the current page.
func (b *browser) labels() []string {
	var out []string
	for _, m := range channelButton.FindAllStringSubmatch(b.page, -1) {
		out = append(out, m[2])
	}
	return out
}

var resendChannel = regexp.MustCompile(`<input type="hidden" name="channel" value="([^"]*)">`)

// resend presses "Send a new code" on the current code screen.
func (b *browser) resend() (int, string) {
	b.t.Helper()
	m := resendChannel.FindStringSubmatch(b.page)
	if m == nil {
		b.t.Fatalf("no \"Send a new code\" at %s; page:\n%s", b.url, b.page)
	}
	return b.post("/send", url.Values{"channel": {html.UnescapeString(m[1])}})
}

// mustSee fails unless the page holds every fragment.
func mustSee(t *testing.T, page string, fragments ...string) {
	t.Helper()
	for _, f := range fragments {
		if !strings.Contains(page, f) {
			t.Errorf("page lacks %q; page:\n%s", f, page)
		}
	}
}

// atCode walks a new visit to the code screen for Heather, by text.
func (b *browser) atCode() string {
	b.t.Helper()
	b.post("/lookup", url.Values{"identifier": {"123 Main Street"}})
	_, page := b.choose("Text (•••) •••-4821")
	if b.url != "/code" {
		b.t.Fatalf("after send at %s, want /code; page:\n%s", b.url, page)
	}
	return page
}
