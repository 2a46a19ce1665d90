package kiosk

import (
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keypadauth/keypad/examples/energy"
)

var dataEnd = time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is the kiosk on a real HTTP server, in front of a fake keypad and
// the real energy API.
type env struct {
	keypad *fakeKeypad
	energy *httptest.Server
	kiosk  *httptest.Server
	k      *kiosk
	clock  *clock
}

func newEnv(t *testing.T, mod func(*Config)) *env {
	t.Helper()
	e := &env{clock: &clock{t: dataEnd}}
	e.keypad = newFakeKeypad(t, e.clock.Now)
	api, err := energy.New(energy.Config{
		Issuer: e.keypad.srv.URL, Seed: 42, End: dataEnd, Now: e.clock.Now,
		Customers: energy.CustomerMap(map[string]energy.Customer{
			"sub-heather": {Key: "100200300", ServiceAddress: "123 Main St"},
			"sub-bob":     {Key: "100200301"},
		}),
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	e.energy = httptest.NewServer(api)
	t.Cleanup(e.energy.Close)
	cfg := Config{
		Issuer: e.keypad.srv.URL, ClientID: kioskID, ClientSecret: kioskSecret, EnergyAPI: e.energy.URL,
		Now: e.clock.Now, Rand: rand.NewChaCha8([32]byte{1}), Logger: slog.New(slog.DiscardHandler),
	}
	if mod != nil {
		mod(&cfg)
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

// browser is one person at the kiosk: a cookie jar that follows
// redirects, as a browser does.
type browser struct {
	t      *testing.T
	e      *env
	client *http.Client
	url    string // where the last response came from
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
	b.url = resp.Request.URL.RequestURI()
	return resp.StatusCode, string(body)
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
	_, page := b.post("/send", url.Values{"channel": {"ch-sms"}})
	if b.url != "/code" {
		b.t.Fatalf("after send at %s, want /code; page:\n%s", b.url, page)
	}
	return page
}
