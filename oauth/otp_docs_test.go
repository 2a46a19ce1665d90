package oauth_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/identifier"
	"github.com/keypadauth/keypad/internal/testclock"
	"github.com/keypadauth/keypad/metrics"
	"github.com/keypadauth/keypad/notify"
	"github.com/keypadauth/keypad/oauth"
	"github.com/keypadauth/keypad/store/sqlite"
	"github.com/keypadauth/keypad/store/sqlstore"
	"github.com/keypadauth/keypad/token"
)

// The examples of docs/otp-flow.md run against a real keypad: the OAuth
// server with the OTP flow, texts going to a signed webhook served by the
// test and email to the dev outbox, on SQLite, with the test's clock.

// docWebhookSecret is the webhook secret the documentation signs with.
const docWebhookSecret = "8f2c1e6b0d9a47c3b5e1f0a2d4c6b8e0f1a3c5e7d9b2a4c6e8f0a1b3c5d7e9f1"

// otpDocEnv is keypad as docs/otp-flow.md describes it.
type otpDocEnv struct {
	t       *testing.T
	st      *sqlstore.Store
	clk     *clock
	ts      *httptest.Server
	secrets map[string]string
	hook    *docHook
	srv     *oauth.Server
}

// docHook receives the webhook deliveries, checks their signature and
// answers with status (201 when 0).
type docHook struct {
	now      func() time.Time
	mu       sync.Mutex
	status   int
	payloads []map[string]any
	bad      int // deliveries whose signature did not verify
}

func (h *docHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := notify.VerifySignature(docWebhookSecret, r.Header.Get(notify.SignatureHeader), body, h.now(), 0); err != nil {
		h.bad++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if h.status != 0 {
		w.WriteHeader(h.status)
		return
	}
	var p map[string]any
	if json.Unmarshal(body, &p) == nil {
		h.payloads = append(h.payloads, p)
	}
	w.WriteHeader(http.StatusCreated)
}

func (h *docHook) answer(status int) { h.mu.Lock(); h.status = status; h.mu.Unlock() }

func (h *docHook) last(t *testing.T) map[string]any {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.bad > 0 || len(h.payloads) == 0 {
		t.Fatalf("webhook: %d signed deliveries, %d with a bad signature", len(h.payloads), h.bad)
	}
	return h.payloads[len(h.payloads)-1]
}

func (h *docHook) count() int { h.mu.Lock(); defer h.mu.Unlock(); return len(h.payloads) }

func newOTPDocEnv(t *testing.T) *otpDocEnv {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "keypad.db"))
	must(t, err)
	t.Cleanup(func() { st.Close() })
	must(t, st.Migrate(ctx))
	e := &otpDocEnv{t: t, st: st, clk: testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)),
		secrets: map[string]string{}}
	e.hook = &docHook{now: e.clk.Now}
	hook := httptest.NewServer(e.hook)
	t.Cleanup(hook.Close)

	mux := http.NewServeMux()
	e.ts = httptest.NewUnstartedServer(mux)
	sealer, err := token.NewSealer([]byte(strings.Repeat("k", 32)), rand.Reader)
	must(t, err)
	keys := token.NewKeyring(st, sealer, token.KeyringOptions{Now: e.clk.Now})
	must(t, keys.Load(ctx))
	sms, err := notify.NewWebhookSender(notify.WebhookConfig{URL: hook.URL + "/keypad-hook", Secret: docWebhookSecret})
	must(t, err)
	sms.Now = e.clk.Now
	srv, err := oauth.New(oauth.Config{Issuer: "http://" + e.ts.Listener.Addr().String(), AccessTTL: time.Hour, OTP: &oauth.OTPConfig{}},
		oauth.Deps{Store: st, Issuer: &token.Issuer{Keys: keys, Store: st, Now: e.clk.Now}, Metrics: metrics.New(),
			Logger: slog.New(slog.NewTextHandler(tWriter{t}, nil)), Now: e.clk.Now,
			OTP: oauth.OTPDeps{
				Router: &notify.Router{SMS: sms, Email: &notify.Outbox{Store: st, Now: e.clk.Now}},
				Key:    []byte(strings.Repeat("o", 32)),
				Sealer: sealer,
			}})
	must(t, err)
	e.srv = srv
	srv.Register(mux)
	e.ts.Start()
	t.Cleanup(e.ts.Close)

	must(t, st.PutScope(ctx, &keypad.Scope{Name: "usage:read", Description: "read your energy usage history (12 months)"}))
	e.client(&keypad.Client{ID: "kiosk", Name: "Bright Audits", GrantTypes: []string{keypad.GrantOTP},
		Scopes: []string{"usage:read"}, TokenFormat: keypad.FormatOpaque})
	e.client(&keypad.Client{ID: "utility-app", Name: "City Power", GrantTypes: []string{keypad.GrantOTP},
		Scopes: []string{"usage:read"}, TokenFormat: keypad.FormatOpaque,
		Options: keypad.ClientOptions{ExplicitUnknownIdentifier: true}})
	for id, p := range map[string]identifier.Record{
		"C-1001": {Name: "Heather Lee", Email: "heather@example.com", Phone: "(415) 867-4821",
			Address: "123 North Main Street Apt 4, Springfield, IL 62701", Account: "100-200-300"},
		"C-1002": {Name: "Dana Cruz", Email: "dana@example.com", Address: "5 Elm Street, Springfield, IL 62701", Account: "100-200-301"},
		"C-1003": {Name: "Sam Cruz", Email: "sam@example.com", Address: "5 Elm St 62701", Account: "100-200-302"},
	} {
		p.ExternalID = id
		s, err := p.Subject(identifier.Normalizer{})
		must(t, err)
		s.ID, s.CreatedAt, s.UpdatedAt = id, e.clk.Now(), e.clk.Now()
		must(t, st.CreateSubject(ctx, s))
	}
	return e
}

func (e *otpDocEnv) client(c *keypad.Client) {
	e.t.Helper()
	secret, err := token.NewSecret(nil, keypad.PrefixClientSecret)
	must(e.t, err)
	c.SecretHash = keypad.SecretHash(secret)
	e.secrets[c.ID] = secret
	c.CreatedAt, c.UpdatedAt = e.clk.Now(), e.clk.Now()
	must(e.t, e.st.CreateClient(context.Background(), c))
}

// curlRequest is a documented curl command: the client it authenticates
// as and the form it posts to path.
type curlRequest struct {
	path   string
	client string
	form   url.Values
}

// shellWords splits a command as a POSIX shell would, for the quoting the
// examples use: single and double quotes and backslash-newline.
func shellWords(t *testing.T, s string) []string {
	t.Helper()
	s = strings.ReplaceAll(s, "\\\n", " ")
	var words []string
	var cur strings.Builder
	in, quote := false, rune(0)
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if quote != 0 {
		t.Fatalf("unbalanced quote in %q", s)
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}

// parseCurl reads `curl -s -u id:secret URL -d k=v --data-urlencode k=v`;
// a public client names itself with -d client_id=id instead of -u.
func parseCurl(t *testing.T, text string) curlRequest {
	t.Helper()
	w := shellWords(t, text)
	if len(w) == 0 || w[0] != "curl" {
		t.Fatalf("example %q is not a curl command", text)
	}
	req := curlRequest{form: url.Values{}}
	for i := 1; i < len(w); i++ {
		arg := func() string {
			i++
			if i >= len(w) {
				t.Fatalf("curl option %s lacks its value", w[i-1])
			}
			return w[i]
		}
		switch a := w[i]; {
		case a == "-s":
		case a == "-u":
			req.client, _, _ = strings.Cut(arg(), ":")
		case a == "-d":
			v, err := url.ParseQuery(arg())
			must(t, err)
			for k, vs := range v {
				req.form[k] = append(req.form[k], vs...)
			}
		case a == "--data-urlencode":
			k, v, _ := strings.Cut(arg(), "=")
			req.form.Add(k, v)
		case strings.HasPrefix(a, docIssuer+"/"):
			req.path = strings.TrimPrefix(a, docIssuer)
		default:
			t.Fatalf("curl argument %q is not one the examples use", a)
		}
	}
	if req.client == "" {
		req.client = req.form.Get("client_id") // a public client
	}
	if req.path == "" || req.client == "" {
		t.Fatalf("curl example %q needs a %s URL and -u or client_id", text, docIssuer)
	}
	return req
}

// with is the request's form with the values in set replacing the
// documented ones (a real session or code for the placeholder).
func (req curlRequest) with(set map[string]string) url.Values {
	form := url.Values{}
	for k, v := range req.form {
		form[k] = slices.Clone(v)
	}
	for k, v := range set {
		form.Set(k, v)
	}
	return form
}

// reply is a real answer.
type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// do sends req, with form values replaced by those in set, as the client
// the example names (with its real secret).
func (e *otpDocEnv) do(req curlRequest, set map[string]string) reply {
	e.t.Helper()
	r, err := http.NewRequest("POST", e.ts.URL+req.path, strings.NewReader(req.with(set).Encode()))
	must(e.t, err)
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	secret, ok := e.secrets[req.client]
	if !ok {
		e.t.Fatalf("example authenticates as %q, which the test did not register", req.client)
	}
	r.SetBasicAuth(req.client, secret)
	res, err := http.DefaultClient.Do(r)
	must(e.t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	out := reply{status: res.StatusCode, header: res.Header, raw: string(b)}
	if req.path == oauth.PathOTPSend {
		// The queue's worker delivers what the send queued, as
		// RunOTPQueue does right after.
		_, err := e.srv.DeliverOTPQueue(context.Background())
		must(e.t, err)
	}
	if err := json.Unmarshal(b, &out.body); err != nil {
		e.t.Fatalf("%s answered %d with no JSON object: %s", req.path, res.StatusCode, b)
	}
	return out
}

// docReply is a documented answer: a JSON object, or an HTTP response
// (status line, headers, JSON body) for anything but a 200.
type docReply struct {
	status int
	header http.Header
	body   map[string]any
}

func parseDocReply(t *testing.T, name, text string) docReply {
	t.Helper()
	if !strings.HasPrefix(text, "HTTP/1.1 ") {
		return docReply{status: http.StatusOK, header: http.Header{}, body: jsonExample(t, name, text)}
	}
	ex := parseHTTPExample(t, text)
	f := strings.Fields(ex.first)
	status, err := strconv.Atoi(f[1])
	if err != nil {
		t.Fatalf("example %s: status line %q", name, ex.first)
	}
	return docReply{status: status, header: ex.header, body: jsonExample(t, name, ex.body)}
}

// compare fails unless the real reply has the documented status, the
// documented headers (but Content-Type) with their values, the documented
// members, and the listed members with the documented values.
func compare(t *testing.T, name string, doc docReply, got reply, sameValues ...string) {
	t.Helper()
	if got.status != doc.status {
		t.Errorf("example %s: status %d, keypad answered %d %s", name, doc.status, got.status, got.raw)
	}
	for k := range doc.header {
		if k != "Content-Type" && got.header.Get(k) != doc.header.Get(k) {
			t.Errorf("example %s: %s: %s, keypad answered %q", name, k, doc.header.Get(k), got.header.Get(k))
		}
	}
	sameKeys(t, name, doc.body, got.body, sameValues...)
}

// channelsOf lists the type and hint of each channel of a lookup answer.
func channelsOf(body map[string]any) []string {
	var out []string
	list, _ := body["channels"].([]any)
	for _, c := range list {
		m, _ := c.(map[string]any)
		out = append(out, m["type"].(string)+" "+m["hint"].(string))
	}
	return out
}

// channelID returns the ID of the channel of type typ.
func channelID(t *testing.T, body map[string]any, typ string) string {
	t.Helper()
	list, _ := body["channels"].([]any)
	for _, c := range list {
		if m, _ := c.(map[string]any); m["type"] == typ {
			return m["id"].(string)
		}
	}
	t.Fatalf("no %s channel in %v", typ, body)
	return ""
}

var (
	docSMSCode = regexp.MustCompile(`^(\d{6}) is your code`)
	messageID  = regexp.MustCompile(`^[0-9a-f]{32}$`)
)

// TestDocsOTPFlow sends the requests of docs/otp-flow.md to a real keypad
// and compares the answers with the documented ones.
func TestDocsOTPFlow(t *testing.T) {
	examples := openDocPage(t, "../docs/otp-flow.md")
	get, reqOf, docOf := examples.get, examples.curl, examples.reply
	e := newOTPDocEnv(t)

	// Discovery announces the endpoints and the grant.
	sameMetadata(t, "metadata", jsonExample(t, "metadata", strings.ReplaceAll(get("metadata"), docIssuer, e.ts.URL)),
		getMetadata(t, e.ts.URL+oauth.PathASMetadata), "grant_types_supported")

	// 1. Lookup.
	lookup := reqOf("lookup-request")
	found := e.do(lookup, nil)
	doc := docOf("lookup-response")
	compare(t, "lookup-response", doc, found, "expires_in")
	if d, g := channelsOf(doc.body), channelsOf(found.body); !slices.Equal(d, g) {
		t.Errorf("lookup-response channels %v, keypad offered %v", d, g)
	}
	session := found.body["otp_session"].(string)
	if !strings.HasPrefix(session, keypad.PrefixOTPSession) {
		t.Errorf("otp_session %q lacks the %s prefix", session, keypad.PrefixOTPSession)
	}

	// 2. Send, the text the person gets, and a resend too early.
	send := reqOf("send-request")
	if docCh, want := send.form.Get("channel"), channelID(t, doc.body, "sms"); docCh != want {
		t.Errorf("send-request sends to channel %q; the documented sms channel is %q", docCh, want)
	}
	set := map[string]string{"otp_session": session, "channel": channelID(t, found.body, "sms")}
	compare(t, "send-response", docOf("send-response"), e.do(send, set), "expires_in", "resend_after", "code_length")
	text := e.hook.last(t)["text"].(string)
	m := docSMSCode.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no code in the text %q", text)
	}
	code := m[1]
	docText := get("sms-message")
	if dm := docSMSCode.FindStringSubmatch(docText); dm == nil || strings.Replace(docText, dm[1], code, 1) != text {
		t.Errorf("sms-message reads\n%s\nthe person got\n%s", docText, text)
	}
	compare(t, "resend-too-early", docOf("resend-too-early"), e.do(send, set), "error", "error_description")
	e.checkWebhook(get("webhook-request"), docText)

	// 3. A wrong code, the right one, and the right one again.
	tok := reqOf("token-request")
	compare(t, "wrong-code", docOf("wrong-code"), e.do(tok, map[string]string{"otp_session": session, "otp": wrongOTP(code)}),
		"error", "error_description", "attempts_remaining")
	compare(t, "token-response", docOf("token-response"), e.do(tok, map[string]string{"otp_session": session, "otp": code}),
		"token_type", "expires_in", "scope")
	compare(t, "session-used", docOf("session-used"), e.do(tok, map[string]string{"otp_session": session, "otp": code}),
		"error", "error_description")

	// Five wrong codes void a session.
	s2 := e.sent(lookup, send)
	var last reply
	for range 5 {
		last = e.do(tok, map[string]string{"otp_session": s2.session, "otp": wrongOTP(s2.code)})
	}
	compare(t, "void", docOf("void"), last, "error", "error_description")

	// A code is good for 10 minutes.
	s3 := e.sent(lookup, send)
	e.clk.Advance(10 * time.Minute)
	compare(t, "expired", docOf("expired"), e.do(tok, map[string]string{"otp_session": s3.session, "otp": s3.code}),
		"error", "error_description")

	// Several people at one address; nobody at another.
	compare(t, "ambiguous-response", docOf("ambiguous-response"), e.do(reqOf("ambiguous-request"), nil),
		"error", "error_description", "identifier_types")
	sentBefore := e.hook.count()
	decoy := e.do(reqOf("decoy-request"), nil)
	decoyDoc := docOf("decoy-response")
	compare(t, "decoy-response", decoyDoc, decoy, "expires_in")
	if d, g := channelsOf(decoyDoc.body), channelsOf(decoy.body); !slices.Equal(d, g) {
		t.Errorf("decoy-response has channels %v, keypad offered %v", d, g)
	}
	sendDecoy := e.do(send, map[string]string{"otp_session": decoy.body["otp_session"].(string), "channel": channelID(t, decoy.body, "sms")})
	compare(t, "send-response (decoy)", docOf("send-response"), sendDecoy, "expires_in", "resend_after", "code_length")
	if e.hook.count() != sentBefore {
		t.Error("a decoy session sent a text")
	}
	compare(t, "unknown-response", docOf("unknown-response"), e.do(reqOf("unknown-request"), nil),
		"error", "error_description", "identifier_types")

	// Delivery failures: the send answers as usual; the worker retries,
	// gives up, and the session gets its send back.
	s4 := e.do(lookup, nil)
	set4 := map[string]string{"otp_session": s4.body["otp_session"].(string), "channel": channelID(t, s4.body, "sms")}
	e.hook.answer(http.StatusUnprocessableEntity)
	compare(t, "send-response (provider refuses)", docOf("send-response"), e.do(send, set4), "expires_in", "resend_after", "code_length")
	e.hook.answer(0)
	compare(t, "send-response (after the refusal, at once)", docOf("send-response"), e.do(send, set4), "expires_in", "resend_after")
	if m := docSMSCode.FindStringSubmatch(e.hook.last(t)["text"].(string)); m == nil {
		t.Error("the send after a refusal delivered no code")
	}

	examples.allChecked()
}

// sentSession is a session whose code went out.
type sentSession struct{ session, code string }

// sent looks Heather up and texts her a code.
func (e *otpDocEnv) sent(lookup, send curlRequest) sentSession {
	e.t.Helper()
	r := e.do(lookup, nil)
	s := r.body["otp_session"].(string)
	if got := e.do(send, map[string]string{"otp_session": s, "channel": channelID(e.t, r.body, "sms")}); got.status != http.StatusOK {
		e.t.Fatalf("send: %d %s", got.status, got.raw)
	}
	m := docSMSCode.FindStringSubmatch(e.hook.last(e.t)["text"].(string))
	return sentSession{s, m[1]}
}

// checkWebhook checks the documented webhook delivery: its signature is
// right for its body under docWebhookSecret, and its body has the members
// (and channel) of a real delivery.
func (e *otpDocEnv) checkWebhook(text, smsText string) {
	e.t.Helper()
	ex := parseHTTPExample(e.t, text)
	header := ex.header.Get(notify.SignatureHeader)
	ts, _, _ := strings.Cut(strings.TrimPrefix(header, "t="), ",")
	unix, err := strconv.ParseInt(ts, 10, 64)
	must(e.t, err)
	if want := notify.Sign(docWebhookSecret, time.Unix(unix, 0), []byte(ex.body)); header != want {
		e.t.Errorf("webhook-request: %s: %s, but the body signs to %s", notify.SignatureHeader, header, want)
	}
	body := jsonExample(e.t, "webhook-request", ex.body)
	real := e.hook.last(e.t)
	sameKeys(e.t, "webhook-request", body, real, "channel", "to")
	if body["timestamp"] != float64(unix) {
		e.t.Errorf("webhook-request: timestamp %v differs from the signature's t=%d", body["timestamp"], unix)
	}
	if body["text"] != smsText {
		e.t.Errorf("webhook-request: text %q is not the documented sms-message %q", body["text"], smsText)
	}
	for _, id := range []any{body["id"], real["id"]} {
		if s, _ := id.(string); !messageID.MatchString(s) {
			e.t.Errorf("webhook-request: id %v is not 128 bits in hex", id)
		}
	}
}

func wrongOTP(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}
