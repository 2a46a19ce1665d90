package oauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/identifier"
	"github.com/keypadauth/keypad/internal/smtptest"
	"github.com/keypadauth/keypad/internal/testclock"
	"github.com/keypadauth/keypad/internal/twiliotest"
	"github.com/keypadauth/keypad/notify"
	"github.com/keypadauth/keypad/token"
)

// The OTP tests run the flow over real HTTP against a real SQLite store,
// with a real SMTP server (internal/smtptest) receiving the email and an
// HTTP server speaking Twilio's Messages API (internal/twiliotest)
// receiving the texts.

const (
	twilioSID    = "AC00000000000000000000000000000001"
	twilioToken  = "twilio-test-token"
	twilioFrom   = "+15005550006"
	smtpUser     = "keypad@example.com"
	smtpPassword = "smtp-test-password"
	kioskName    = "Bright Audits"
	usageScope   = "usage:read"
	usageWords   = "read your energy usage history (12 months)"
)

// The shapes of hints and channel IDs, real or decoy.
var (
	hintPhoneNANP = regexp.MustCompile(`^\(•••\) •••-\d{4}$`)
	hintEmail     = regexp.MustCompile(`^[^•@]•••@[^•@.]•••\.[^•@.]+$`)
	channelIDRe   = regexp.MustCompile(`^[a-z2-7]{16}$`)
	smsCode       = regexp.MustCompile(`^(\d{6}) is your code`)
	emailCode     = regexp.MustCompile(`(?m)^\s+(\d{6})\s*$`)
)

// mailText returns the text/plain part of a received email, decoded.
func mailText(t testing.TB, raw []byte) (subject, text string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parse email: %v", err)
	}
	dec := new(mime.WordDecoder)
	subject, _ = dec.DecodeHeader(msg.Header.Get("Subject"))
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("email Content-Type: %v", err)
	}
	var find func(h map[string][]string, mt string, params map[string]string, body io.Reader) string
	find = func(h map[string][]string, mt string, params map[string]string, body io.Reader) string {
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(body, params["boundary"])
			for {
				p, err := mr.NextRawPart()
				if err != nil {
					return ""
				}
				pmt, pparams, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
				if s := find(p.Header, pmt, pparams, p); s != "" {
					return s
				}
			}
		}
		if mt != "text/plain" {
			return ""
		}
		if strings.EqualFold(textproto(h, "Content-Transfer-Encoding"), "quoted-printable") {
			body = quotedprintable.NewReader(body)
		}
		b, _ := io.ReadAll(body)
		return string(b)
	}
	text = find(msg.Header, mt, params, msg.Body)
	if text == "" {
		t.Fatalf("email has no text/plain part:\n%s", raw)
	}
	return subject, text
}

func textproto(h map[string][]string, key string) string {
	for k, v := range h {
		if strings.EqualFold(k, key) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// otpEnv is an OAuth server with the OTP flow over real senders.
type otpEnv struct {
	*env
	twilio *twiliotest.Server
	mail   *smtptest.Server
	rec    *recordingStore
	key    []byte
	kiosk  *keypad.Client
	secret string // the kiosk's client secret
}

// newOTPEnv starts the flow with cfg; edit may change the deps first.
func newOTPEnv(t testing.TB, cfg OTPConfig, edit ...func(*OTPDeps)) *otpEnv {
	t.Helper()
	e := &otpEnv{
		env:    newEnv(t),
		twilio: twiliotest.Start(t, twiliotest.Options{AccountSID: twilioSID, AuthToken: twilioToken}),
		mail:   smtptest.Start(t, smtptest.Options{Mode: smtptest.NoTLS, User: smtpUser, Password: smtpPassword}),
	}
	e.rec = &recordingStore{Store: e.st}
	// The server runs on the recording store, so tests can compare the
	// store work of a real lookup with a decoy's.
	rnd := testclock.NewRand(9)
	sms, err := notify.NewTwilioSender(notify.TwilioConfig{AccountSID: twilioSID, AuthToken: twilioToken, From: twilioFrom, BaseURL: e.twilio.URL})
	if err != nil {
		t.Fatal(err)
	}
	email, err := notify.NewSMTPSender(notify.SMTPConfig{Host: "127.0.0.1", Port: e.mail.Port, TLS: notify.SMTPNoTLS,
		Username: smtpUser, Password: smtpPassword, From: "Keypad <no-reply@keypad.example.com>"})
	if err != nil {
		t.Fatal(err)
	}
	email.Now = e.clk.Now
	e.key = bytes.Repeat([]byte{0x42}, 32)
	sealer, err := token.NewSealer(bytes.Repeat([]byte{0x53}, 32), rnd)
	if err != nil {
		t.Fatal(err)
	}
	deps := OTPDeps{
		Router: &notify.Router{SMS: sms, Email: email, Metrics: e.metrics},
		Key:    e.key,
		Sealer: sealer,
	}
	for _, fn := range edit {
		fn(&deps)
	}
	e.mustRebuild(func(c *Config, d *Deps) { c.OTP, d.OTP, d.Store, d.Rand = &cfg, deps, e.rec, rnd })
	e.start()
	ctx := context.Background()
	if err := e.st.PutScope(ctx, &keypad.Scope{Name: usageScope, Description: usageWords}); err != nil {
		t.Fatal(err)
	}
	e.kiosk = &keypad.Client{
		ID: "kiosk", Name: kioskName, GrantTypes: []string{keypad.GrantOTP, keypad.GrantRefreshToken},
		Scopes: []string{usageScope}, TokenFormat: keypad.FormatOpaque,
	}
	e.secret = e.mustClient(e.kiosk)
	return e
}

// person describes a customer as an import file would.
type person = identifier.Record

// mustPerson stores a customer and returns the subject.
func (e *otpEnv) mustPerson(id string, p person) *keypad.Subject {
	e.t.Helper()
	p.ExternalID = id
	s, err := p.Subject(identifier.Normalizer{})
	if err != nil {
		e.t.Fatalf("person %s: %v", id, err)
	}
	s.ID, s.CreatedAt, s.UpdatedAt = id, e.clk.Now(), e.clk.Now()
	if err := e.st.CreateSubject(context.Background(), s); err != nil {
		e.t.Fatalf("create person %s: %v", id, err)
	}
	return s
}

var heather = person{
	Name: "Heather", Email: "heather@example.com", Phone: "(415) 867-4821",
	Address: "123 North Main Street Apt 4, Springfield, IL 62701", Account: "100-200-300",
}

// lookup calls the lookup endpoint as the kiosk.
func (e *otpEnv) lookup(identifier, typ string) response {
	e.t.Helper()
	return e.lookupAs(e.kiosk.ID, e.secret, identifier, typ)
}

func (e *otpEnv) lookupAs(clientID, secret, identifier, typ string) response {
	e.t.Helper()
	form := url.Values{"identifier": {identifier}, "scope": {usageScope}}
	if typ != "" {
		form.Set("identifier_type", typ)
	}
	return e.post(PathOTPLookup, form, basic(clientID, secret))
}

// send calls the send endpoint as the kiosk, then has the queue's worker
// deliver what is due, as RunOTPQueue would right after.
func (e *otpEnv) send(session, channel string) response {
	e.t.Helper()
	r := e.sendOnly(session, channel)
	e.deliver()
	return r
}

// sendOnly calls the send endpoint and delivers nothing.
func (e *otpEnv) sendOnly(session, channel string) response {
	e.t.Helper()
	return e.post(PathOTPSend, url.Values{"otp_session": {session}, "channel": {channel}}, basic(e.kiosk.ID, e.secret))
}

// deliver runs the queue's worker once over the messages due now and
// returns how many it handled.
func (e *otpEnv) deliver() int {
	e.t.Helper()
	n, err := e.srv.DeliverOTPQueue(context.Background())
	if err != nil {
		e.t.Fatalf("deliver the queue: %v", err)
	}
	return n
}

func (e *otpEnv) redeem(session, code string) response {
	e.t.Helper()
	return e.post(PathToken, url.Values{
		"grant_type": {keypad.GrantOTP}, "otp_session": {session}, "otp": {code},
	}, basic(e.kiosk.ID, e.secret))
}

// challenge is a lookup answer.
type challenge struct {
	session  string
	expires  float64
	channels []map[string]any
}

func mustChallenge(t testing.TB, r response) challenge {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("lookup: got %d %s, want 200", r.status, r.raw)
	}
	var c challenge
	c.session, _ = r.body["otp_session"].(string)
	c.expires, _ = r.body["expires_in"].(float64)
	list, _ := r.body["channels"].([]any)
	for _, x := range list {
		m, _ := x.(map[string]any)
		c.channels = append(c.channels, m)
	}
	if !strings.HasPrefix(c.session, keypad.PrefixOTPSession) {
		t.Fatalf("otp_session %q lacks the %s prefix", c.session, keypad.PrefixOTPSession)
	}
	return c
}

// channel returns the ID of the channel of type typ.
func (c challenge) channel(t testing.TB, typ string) string {
	t.Helper()
	for _, ch := range c.channels {
		if ch["type"] == typ {
			return ch["id"].(string)
		}
	}
	t.Fatalf("no %s channel among %v", typ, c.channels)
	return ""
}

// mustSend sends a code and checks the answer.
func (e *otpEnv) mustSend(session, channel string) {
	e.t.Helper()
	r := e.send(session, channel)
	if r.status != http.StatusOK {
		e.t.Fatalf("send: got %d %s, want 200", r.status, r.raw)
	}
}

// smsCode returns the code of the newest text.
func (e *otpEnv) smsCode() string {
	e.t.Helper()
	body := e.twilio.Last(e.t).Get("Body")
	m := smsCode.FindStringSubmatch(body)
	if m == nil {
		e.t.Fatalf("no code in the text %q", body)
	}
	return m[1]
}

// wrongCode returns a code that is not code.
func wrongCode(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

// otpEvents reads the OTP flow's event counter.
func otpEvents(t testing.TB, e *env, event string) float64 {
	t.Helper()
	var m dto.Metric
	if err := e.metrics.FlowEvents.WithLabelValues("otp", event).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// auditTypes lists the audit event types, oldest first.
func (e *otpEnv) auditTypes() []string {
	e.t.Helper()
	evs, err := e.st.ListAuditEvents(context.Background(), 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for i := len(evs) - 1; i >= 0; i-- {
		out = append(out, evs[i].Type)
	}
	return out
}

// session reads a stored session by its handle.
func (e *otpEnv) session(handle string) *keypad.OTPSession {
	e.t.Helper()
	o, err := e.st.GetOTPSession(context.Background(), keypad.SecretHash(handle))
	if err != nil {
		e.t.Fatalf("get session: %v", err)
	}
	return o
}

// recordingStore notes the store calls the flow makes, when on.
type recordingStore struct {
	keypad.Store
	mu    sync.Mutex
	on    bool
	calls []string
	// failCreateSession makes CreateOTPSession fail, when set.
	failCreateSession bool
}

func (r *recordingStore) note(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.on {
		r.calls = append(r.calls, name)
	}
}

// record runs fn and returns the store calls it made.
func (r *recordingStore) record(fn func()) []string {
	r.mu.Lock()
	r.on, r.calls = true, nil
	r.mu.Unlock()
	fn()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.on = false
	return r.calls
}

func (r *recordingStore) FindSubjects(ctx context.Context, id keypad.Identifier) ([]*keypad.Subject, error) {
	r.note("FindSubjects")
	return r.Store.FindSubjects(ctx, id)
}

func (r *recordingStore) CreateOTPSession(ctx context.Context, o *keypad.OTPSession) error {
	r.note("CreateOTPSession")
	if r.failCreateSession {
		return errors.New("test: store down")
	}
	return r.Store.CreateOTPSession(ctx, o)
}

func (r *recordingStore) GetOTPSession(ctx context.Context, hash []byte) (*keypad.OTPSession, error) {
	r.note("GetOTPSession")
	return r.Store.GetOTPSession(ctx, hash)
}

func (r *recordingStore) UpdateOTPSession(ctx context.Context, hash []byte, fn func(*keypad.OTPSession) error) (*keypad.OTPSession, error) {
	r.note("UpdateOTPSession")
	return r.Store.UpdateOTPSession(ctx, hash, fn)
}

func (r *recordingStore) EnqueueOTPSend(ctx context.Context, hash []byte, fn func(*keypad.OTPSession) error, send *keypad.OTPSend) (*keypad.OTPSession, error) {
	r.note("EnqueueOTPSend")
	return r.Store.EnqueueOTPSend(ctx, hash, fn, send)
}

func (r *recordingStore) Hit(ctx context.Context, key string, window time.Duration, now time.Time) (int64, error) {
	r.note("Hit")
	return r.Store.Hit(ctx, key, window, now)
}

func (r *recordingStore) Count(ctx context.Context, key string, now time.Time) (int64, error) {
	r.note("Count")
	return r.Store.Count(ctx, key, now)
}

func (r *recordingStore) AddAuditEvent(ctx context.Context, ev *keypad.AuditEvent) error {
	r.note("AddAuditEvent")
	return r.Store.AddAuditEvent(ctx, ev)
}

func (r *recordingStore) GetScope(ctx context.Context, name string) (*keypad.Scope, error) {
	r.note("GetScope")
	return r.Store.GetScope(ctx, name)
}

// TestErrorExtra: a flow's extra members go into the JSON error but never
// replace the RFC 6749 ones.
func TestErrorExtra(t *testing.T) {
	e := newEnv(t)
	rec := httptest.NewRecorder()
	err := InvalidGrant("wrong code")
	err.Extra = map[string]any{"attempts_remaining": 2, "error": "forged", "error_description": "forged", "error_uri": "forged"}
	e.srv.writeError(rec, httptest.NewRequest(http.MethodPost, PathToken, nil), err)
	var body map[string]any
	if jerr := json.Unmarshal(rec.Body.Bytes(), &body); jerr != nil {
		t.Fatal(jerr)
	}
	want := map[string]any{"error": CodeInvalidGrant, "error_description": "wrong code", "attempts_remaining": float64(2)}
	if !reflect.DeepEqual(body, want) {
		t.Errorf("body = %v, want %v", body, want)
	}
}
