package web_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/identifier"
	"github.com/keypadauth/keypad/internal/testclock"
	"github.com/keypadauth/keypad/internal/twiliotest"
	"github.com/keypadauth/keypad/metrics"
	"github.com/keypadauth/keypad/notify"
	"github.com/keypadauth/keypad/oauth"
	"github.com/keypadauth/keypad/password"
	"github.com/keypadauth/keypad/ratelimit"
	"github.com/keypadauth/keypad/store/sqlite"
	"github.com/keypadauth/keypad/token"
	"github.com/keypadauth/keypad/web"
)

// The sign-in-with-a-code tests run the pages the way keypad does: the
// real oauth.Server with the OTP flow (codes go to the dev outbox, or
// texts to an HTTP server speaking Twilio's Messages API) and the real
// web.Handler on one mux, over real HTTP, on SQLite, with the test's
// clock.

// codeEnv is env with an OAuth server behind the pages.
type codeEnv struct {
	*env
	oauth  *oauth.Server
	twilio *twiliotest.Server // nil unless codeTwilio
}

// codeOptions change the set-up of newCodeEnv.
type codeOptions struct {
	otp      oauth.OTPConfig
	disabled bool // the server has no OTP flow
	twilio   bool // texts go to internal/twiliotest instead of the outbox
	authcode bool // the authorization code flow is on
}

type codeOption func(*codeOptions)

func codeConfig(fn func(*oauth.OTPConfig)) codeOption {
	return func(o *codeOptions) { fn(&o.otp) }
}

var (
	codeDisabled codeOption = func(o *codeOptions) { o.disabled = true }
	codeTwilio   codeOption = func(o *codeOptions) { o.twilio = true }
	codeAuthcode codeOption = func(o *codeOptions) { o.authcode = true }
)

const (
	twilioSID   = "AC00000000000000000000000000000042"
	twilioToken = "web-test-token"
	appCallback = "/callback"
)

func newCodeEnv(t testing.TB, opts ...codeOption) *codeEnv {
	t.Helper()
	var o codeOptions
	for _, fn := range opts {
		fn(&o)
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "keypad.db"))
	must(t, err)
	t.Cleanup(func() { st.Close() })
	must(t, st.Migrate(ctx))
	e := &codeEnv{env: &env{t: t, store: st, clock: testclock.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)), metrics: metrics.New()}}

	mux := http.NewServeMux()
	e.srv = httptest.NewUnstartedServer(mux)
	issuer := "http://" + e.srv.Listener.Addr().String()
	sealer, err := token.NewSealer([]byte(strings.Repeat("k", 32)), rand.Reader)
	must(t, err)
	keys := token.NewKeyring(st, sealer, token.KeyringOptions{Now: e.clock.Now})
	must(t, keys.Load(ctx))
	log := testLogger(t)
	e.limiter, err = ratelimit.New(st, ratelimit.DefaultConfig(), e.clock.Now)
	must(t, err)
	newPages := func(srv *oauth.Server) (oauth.Interaction, error) {
		var err error
		e.handler, err = web.New(web.Config{Issuer: issuer, FormBurst: 10000}, web.Deps{
			Store: st, Flows: srv.Actions(), Logger: log, Metrics: e.metrics, Limiter: e.limiter, Now: e.clock.Now, Rand: rand.Reader,
			Authorizer: srv, CodeSignIn: srv, UserCodeKey: testUserCodeKey,
		})
		return e.handler, err
	}
	cfg := oauth.Config{Issuer: issuer, AccessTTL: 10 * time.Minute, RefreshTTL: 24 * time.Hour}
	deps := oauth.Deps{Store: st, Issuer: &token.Issuer{Keys: keys, Store: st, Now: e.clock.Now}, Logger: log, Metrics: e.metrics, Now: e.clock.Now}
	if !o.disabled {
		outbox := &notify.Outbox{Store: st, Now: e.clock.Now}
		router := &notify.Router{SMS: outbox, Email: outbox, Metrics: e.metrics}
		if o.twilio {
			e.twilio = twiliotest.Start(t, twiliotest.Options{AccountSID: twilioSID, AuthToken: twilioToken})
			sms, err := notify.NewTwilioSender(notify.TwilioConfig{AccountSID: twilioSID, AuthToken: twilioToken, From: "+15005550006", BaseURL: e.twilio.URL})
			must(t, err)
			router.SMS = sms
		}
		cfg.OTP = &o.otp
		deps.OTP = oauth.OTPDeps{
			Router: router,
			Key:    []byte(strings.Repeat("o", 32)),
			Sealer: sealer,
		}
	}
	if o.authcode {
		cfg.AuthorizationCode = &oauth.AuthCodeConfig{}
		deps.Pages = newPages
	}
	e.oauth, err = oauth.New(cfg, deps)
	must(t, err)
	if !o.authcode {
		_, err = newPages(e.oauth)
		must(t, err)
	}
	e.oauth.Register(mux)
	e.handler.Register(mux)
	mux.HandleFunc("/", e.handler.NotFound)
	e.srv.Start()
	t.Cleanup(e.srv.Close)
	e.fixtures()
	return e
}

// fixtures: the device client "tv", the web app "webapp" (registered at
// the test server's /callback), alice with a password, heather with every
// kind of identifier, and ann and ben, who share a service address.
func (e *codeEnv) fixtures() {
	ctx := context.Background()
	now := e.clock.Now()
	must(e.t, e.store.CreateClient(ctx, &keypad.Client{
		ID: clientID, Name: "Living Room TV", Description: "Plays your music on the television.",
		Public: true, GrantTypes: []string{keypad.GrantDeviceCode},
		Scopes: []string{"playlists:read", "device:abc123:control"}, CreatedAt: now, UpdatedAt: now,
	}))
	must(e.t, e.store.CreateClient(ctx, &keypad.Client{
		ID: "webapp", Name: "Energy Dashboard", Public: true,
		GrantTypes: []string{keypad.GrantAuthorizationCode}, Scopes: []string{"playlists:read"},
		RedirectURIs: []string{e.srv.URL + appCallback}, CreatedAt: now, UpdatedAt: now,
	}))
	must(e.t, e.store.PutScope(ctx, &keypad.Scope{Name: "playlists:read", Description: "See your playlists"}))
	phc, err := password.Hash(alicePassword, rand.Reader)
	must(e.t, err)
	must(e.t, e.store.CreateSubject(ctx, &keypad.Subject{
		ID: "sub-alice", Username: "alice", Name: "Alice Example", PasswordHash: phc, CreatedAt: now, UpdatedAt: now,
	}))
	for id, p := range map[string]identifier.Record{
		"sub-heather": {Name: "Heather", Email: "heather@example.com", Phone: "(415) 867-4821",
			Address: "123 North Main Street Apt 4, Springfield, IL 62701", Account: "100-200-300"},
		"sub-ann": {Name: "Ann", Email: "ann@example.com", Address: "5 Elm Street, Springfield, IL 62701", Account: "111-222-333"},
		"sub-ben": {Name: "Ben", Email: "ben@example.com", Address: "5 Elm St 62701", Account: "444-555-666"},
	} {
		p.ExternalID = id
		s, err := p.Subject(identifier.Normalizer{})
		must(e.t, err)
		s.ID, s.CreatedAt, s.UpdatedAt = id, now, now
		must(e.t, e.store.CreateSubject(ctx, s))
	}
}

// Heather as she is found and reached.
const (
	heatherAddress = "123 N Main St #4 62701"
	heatherText    = "Text me at (•••) •••-4821"
	heatherEmail   = "Email me at h•••@e•••.com"
)

var (
	channelButton = regexp.MustCompile(`<button type="submit" name="channel" value="([^"]+)" class="secondary">([^<]+)</button>`)
	smsCodeRe     = regexp.MustCompile(`^(\d{6}) is your code to sign in to `)
	emailCodeRe   = regexp.MustCompile(`(?m)^\s+(\d{6})\s*$`)
)

// channels reads the channel buttons of a page: label -> channel ID.
func channels(t testing.TB, r response) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range channelButton.FindAllStringSubmatch(r.Body, -1) {
		out[m[2]] = m[1]
	}
	if len(out) == 0 {
		t.Fatalf("no channel buttons on the page:\n%s", r.Body)
	}
	return out
}

// identify posts what the person typed on the first page.
func (b *browser) identify(value, typ string) response {
	b.e.t.Helper()
	form := url.Values{"identifier": {value}}
	if typ != "" {
		form.Set("identifier_type", typ)
	}
	return b.post("/login/code", form)
}

// chooseChannel opens the channel page and presses the button labelled
// label.
func (b *browser) chooseChannel(label string) response {
	b.e.t.Helper()
	page := b.get("/login/code/send")
	wantStatus(b.e.t, page, http.StatusOK)
	id, ok := channels(b.e.t, page)[label]
	if !ok {
		b.e.t.Fatalf("no channel %q on the page:\n%s", label, page.Body)
	}
	return b.post("/login/code/send", url.Values{"channel": {id}})
}

func (b *browser) typeCode(code string) response {
	b.e.t.Helper()
	return b.post("/login/code/verify", url.Values{"otp": {code}})
}

// lastMessage returns the newest outbox message; it fails when there is
// none.
func (e *codeEnv) lastMessage() *keypad.OutboxMessage {
	e.t.Helper()
	e.deliver()
	msgs, err := e.store.ListOutboxMessages(context.Background(), 1)
	must(e.t, err)
	if len(msgs) == 0 {
		e.t.Fatal("the outbox is empty")
	}
	return msgs[0]
}

func (e *codeEnv) outboxCount() int {
	e.t.Helper()
	e.deliver()
	msgs, err := e.store.ListOutboxMessages(context.Background(), 0)
	must(e.t, err)
	return len(msgs)
}

// deliver has the OTP send queue's worker deliver what is due, as the
// server's worker (oauth.Server.RunOTPQueue) does right after a send.
func (e *codeEnv) deliver() int {
	e.t.Helper()
	n, err := e.oauth.DeliverOTPQueue(context.Background())
	must(e.t, err)
	return n
}

// codeFor reads the code of the newest message to destination, which
// must be the newest message of all.
func (e *codeEnv) codeFor(to string) string {
	e.t.Helper()
	m := e.lastMessage()
	if m.To != to {
		e.t.Fatalf("newest message went to %q, want %q", m.To, to)
	}
	re := smsCodeRe
	if m.Channel == "email" {
		re = emailCodeRe
	}
	c := re.FindStringSubmatch(m.Body)
	if c == nil {
		e.t.Fatalf("no code in the %s message:\n%s", m.Channel, m.Body)
	}
	return c[1]
}

// codeSession reads the browser's stored session.
func (e *codeEnv) codeSession(b *browser) *keypad.Session {
	e.t.Helper()
	s, err := e.store.GetSession(context.Background(), keypad.SecretHash(b.sessionCookie()), e.clock.Now())
	must(e.t, err)
	return s
}

// wrongCode returns a code that is not code.
func wrongCode(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}
