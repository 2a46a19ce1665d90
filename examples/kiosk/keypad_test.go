package kiosk

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/config"
	"github.com/keypadauth/keypad/identifier"
	"github.com/keypadauth/keypad/internal/testclock"
	"github.com/keypadauth/keypad/internal/twiliotest"
	"github.com/keypadauth/keypad/server"
)

// The kiosk's registration at keypad, as the demo makes it.
const (
	kioskID   = "bright-audits"
	kioskName = "Bright Audits"
	// kioskSecret holds characters the kiosk must form-encode before
	// HTTP Basic (RFC 6749 §2.3.1), which keypad decodes.
	kioskSecret = "kp_cs_kiosk/secret+&:="
	scopeUsage  = "usage:read"
	// usageWords is the scope catalogue's description, which the person
	// reads in the message with the code.
	usageWords = "read your energy usage history (12 months)"
)

// customer is a person the utility knows, seeded into keypad's store as
// an administrator's import would.
type customer struct {
	sub string
	rec identifier.Record
}

var (
	// heather is the story's visitor: her phone ends in 4821 and her
	// email masks to h•••@e•••.com.
	heather = customer{"sub-heather", identifier.Record{ExternalID: "100200300", Name: "Heather Homeowner",
		Account: "100200300", Address: "123 Main Street, Greenvale, OR 97401",
		Phone: "(541) 555-4821", Email: "heather@example.com"}}
	// dana and sam live in two flats at one address, each with its own
	// account number.
	dana = customer{"sub-dana", identifier.Record{ExternalID: "100200311", Name: "Dana Rivera",
		Account: "100200311", Address: "88 Elm Street, Greenvale, OR 97402", Phone: "(541) 555-0111"}}
	sam = customer{"sub-sam", identifier.Record{ExternalID: "100200322", Name: "Sam Okafor",
		Account: "100200322", Address: "88 Elm Street, Greenvale, OR 97402", Phone: "(541) 555-0122"}}
	// lodgers share a house and the utility knows them by phone number
	// only, so only the phone number tells them apart.
	lodgers = [2]customer{
		{"sub-lodger-1", identifier.Record{ExternalID: "L-1", Name: "Ines Silva",
			Address: "9 Shared Lane, Greenvale, OR 97403", Phone: "(541) 555-0133"}},
		{"sub-lodger-2", identifier.Record{ExternalID: "L-2", Name: "Omar Haddad",
			Address: "9 Shared Lane, Greenvale, OR 97403", Phone: "(541) 555-0144"}},
	}
)

// testKeypad is a real keypad server on 127.0.0.1:0 with SQLite in a
// temporary directory, in dev mode so that texts and email land in its
// dev outbox, where the test reads them as the person's phone would.
type testKeypad struct {
	srv *server.Server
	url string
}

// startKeypad starts keypad on the clock with the default configuration
// changed by tune, seeds it with the kiosk's registration (changed by
// client) and the customers, and stops it with the test.
func startKeypad(t *testing.T, clock *testclock.Clock, tune func(*config.Config), client func(*keypad.Client)) *testKeypad {
	t.Helper()
	cfg := config.Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.DB = "sqlite:" + filepath.Join(t.TempDir(), "keypad.db")
	cfg.AutoMigrate = true
	cfg.Dev = true
	cfg.Web.SiteName = "Green Valley Power"
	if tune != nil {
		tune(&cfg)
	}
	ctx := context.Background()
	srv, err := server.New(ctx, cfg, server.Options{
		Now: clock.Now, Rand: testclock.NewRand(7), Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatalf("start keypad: %v", err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	t.Cleanup(func() {
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("keypad Shutdown: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("keypad Serve: %v", err)
		}
	})
	kp := &testKeypad{srv: srv, url: srv.URL()}
	kp.seed(t, clock.Now(), client)
	return kp
}

// seed registers the scope, the kiosk and the customers.
func (kp *testKeypad) seed(t *testing.T, now time.Time, client func(*keypad.Client)) {
	t.Helper()
	ctx, st := context.Background(), kp.srv.Store()
	if err := st.PutScope(ctx, &keypad.Scope{Name: scopeUsage, Description: usageWords}); err != nil {
		t.Fatal(err)
	}
	c := &keypad.Client{
		ID: kioskID, Name: kioskName, SecretHash: keypad.SecretHash(kioskSecret),
		GrantTypes: []string{keypad.GrantOTP}, Scopes: []string{scopeUsage},
		TokenFormat: keypad.FormatJWT, AccessTTL: 10 * time.Minute, CreatedAt: now, UpdatedAt: now,
	}
	if client != nil {
		client(c)
	}
	if err := st.CreateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	var norm identifier.Normalizer
	for _, cu := range []customer{heather, dana, sam, lodgers[0], lodgers[1]} {
		s, err := cu.rec.Subject(norm)
		if err != nil {
			t.Fatalf("customer %s: %v", cu.sub, err)
		}
		s.ID, s.CreatedAt, s.UpdatedAt = cu.sub, now, now
		if err := st.CreateSubject(ctx, s); err != nil {
			t.Fatalf("customer %s: %v", cu.sub, err)
		}
	}
}

// outbox is what keypad "sent", newest first, read from the dev outbox
// as a person trying keypad reads it.
func (kp *testKeypad) outbox(t *testing.T) []server.OutboxMessage {
	t.Helper()
	kp.flush(t)
	resp, err := http.Get(kp.url + "/dev/outbox.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var box struct {
		Messages []server.OutboxMessage `json:"messages"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&box); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("dev outbox: %d, %v", resp.StatusCode, err)
	}
	return box.Messages
}

// lastCode is the code of the newest message in the outbox.
func (kp *testKeypad) lastCode(t *testing.T) string {
	t.Helper()
	box := kp.outbox(t)
	if len(box) == 0 || box[0].Code == "" {
		t.Fatalf("no code in the outbox: %+v", box)
	}
	return box[0].Code
}

// mustHaveSent fails unless the outbox holds n messages.
func (kp *testKeypad) mustHaveSent(t *testing.T, n int) []server.OutboxMessage {
	t.Helper()
	box := kp.outbox(t)
	if len(box) != n {
		t.Fatalf("keypad sent %d messages, want %d: %+v", len(box), n, box)
	}
	return box
}

// otpEvents are the OTP flow's entries in keypad's audit log, oldest
// first.
func (kp *testKeypad) otpEvents(t *testing.T) []*keypad.AuditEvent {
	t.Helper()
	all, err := kp.srv.Store().ListAuditEvents(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []*keypad.AuditEvent
	for _, e := range all {
		if strings.HasPrefix(e.Type, "otp.") {
			out = append(out, e)
		}
	}
	slices.Reverse(out)
	return out
}

// lastOTPEvent is the newest OTP entry in the audit log.
// lastOTPEvent is keypad's newest OTP event made by a request of the
// kiosk; the send queue's worker's outcomes (otp.delivered, ...) come
// later, on their own, and are left out.
func (kp *testKeypad) lastOTPEvent(t *testing.T) *keypad.AuditEvent {
	t.Helper()
	kp.flush(t)
	ev := slices.DeleteFunc(kp.otpEvents(t), func(e *keypad.AuditEvent) bool {
		return strings.HasPrefix(e.Type, "otp.deliver")
	})
	if len(ev) == 0 {
		t.Fatal("keypad's audit log has no OTP event")
	}
	return ev[len(ev)-1]
}

// flush waits for keypad's send queue worker: a send only queues its
// message, and DeliverOTPQueue returns once what is due is handled.
func (kp *testKeypad) flush(t *testing.T) {
	t.Helper()
	if _, err := kp.srv.OAuth().DeliverOTPQueue(context.Background()); err != nil {
		t.Fatalf("deliver keypad's OTP queue: %v", err)
	}
}

// introspect asks keypad about a token (RFC 7662) as the kiosk.
func (kp *testKeypad) introspect(t *testing.T, tok string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, kp.url+"/oauth2/introspect",
		strings.NewReader(url.Values{"token": {tok}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(kioskID), url.QueryEscape(kioskSecret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("introspect: %d %v", resp.StatusCode, err)
	}
	return v
}

// twilio plays Twilio's Messages API having an outage: every message
// gets a 500 with Twilio's error body. It is the one fake here
// (internal/twiliotest): a provider's cloud cannot run in a test.
type twilio struct{ *twiliotest.Server }

const (
	twilioSID   = "AC0123456789abcdef0123456789abcdef"
	twilioToken = "twilio-auth-token"
	twilioFrom  = "+15005550006"
)

func newTwilioOutage(t *testing.T) *twilio {
	tw := &twilio{twiliotest.Start(t, twiliotest.Options{AccountSID: twilioSID, AuthToken: twilioToken})}
	tw.Fail(http.StatusInternalServerError, 20500)
	return tw
}

// configure makes keypad text through this Twilio; email stays with the
// dev outbox.
func (tw *twilio) configure(c *config.Config) {
	c.Twilio = config.TwilioSettings{AccountSID: twilioSID, AuthToken: twilioToken, From: twilioFrom, BaseURL: tw.URL}
}

// tries are the forms keypad posted, each answered with the outage.
func (tw *twilio) tries() []url.Values {
	var out []url.Values
	for _, r := range tw.Requests() {
		out = append(out, r.Form)
	}
	return out
}
