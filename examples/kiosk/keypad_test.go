package kiosk

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeKeypad is an HTTP peer playing keypad's side of the OTP flow as
// DESIGN.md's "OTP flow on the wire" specifies, plus the metadata and
// JWKS the energy API verifies its JWT access tokens with.
type fakeKeypad struct {
	t   *testing.T
	srv *httptest.Server
	key *ecdsa.PrivateKey
	now func() time.Time

	mu       sync.Mutex
	sessions map[string]*fakeOTP
	codes    []string // codes handed out, in order
	sent     int      // messages actually sent
	lookups  []url.Values
	revoked  []string
	tokens   []string

	// knobs
	explicitUnknown bool            // answer unknown_identifier instead of decoys
	askField        string          // ambiguous_identifier's ask_for field; "" sends words only
	failChannel     map[string]bool // channels whose delivery fails
	cooldown        time.Duration   // resend cooldown keypad enforces
}

type fakeOTP struct {
	sub      string // "" for a decoy
	scope    string
	channels []channel
	code     string
	sentAt   time.Time
	sends    int
	tries    int
	void     bool
	expired  bool
}

const (
	kioskID     = "kiosk"
	kioskSecret = "kp_cs_kiosk/secret"
	maxTries    = 5
)

var (
	heatherChannels = []channel{
		{ID: "ch-sms", Type: "sms", Hint: "(•••) •••-4821"},
		{ID: "ch-email", Type: "email", Hint: "h•••@e•••.com"},
	}
	bobChannels = []channel{{ID: "ch-bob", Type: "sms", Hint: "(•••) •••-1234"}}
)

func newFakeKeypad(t *testing.T, now func() time.Time) *fakeKeypad {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeKeypad{t: t, key: key, now: now, sessions: map[string]*fakeOTP{},
		failChannel: map[string]bool{}, cooldown: 30 * time.Second}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]string{"issuer": f.srv.URL, "jwks_uri": f.srv.URL + "/.well-known/jwks.json"})
	})
	mux.HandleFunc("GET /.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		b, _ := f.key.PublicKey.Bytes()
		writeJSON(w, 200, map[string]any{"keys": []map[string]string{{"kty": "EC", "crv": "P-256", "kid": "k1",
			"alg": "ES256", "use": "sig", "x": b64(b[1:33]), "y": b64(b[33:])}}})
	})
	mux.HandleFunc("POST /oauth2/otp/lookup", f.authed(f.lookup))
	mux.HandleFunc("POST /oauth2/otp/send", f.authed(f.send))
	mux.HandleFunc("POST /oauth2/token", f.authed(f.token))
	mux.HandleFunc("POST /oauth2/revoke", f.authed(func(w http.ResponseWriter, r *http.Request) {
		f.revoked = append(f.revoked, r.PostFormValue("token"))
	}))
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// authed checks client_secret_basic, with RFC 6749 §2.3.1 form-encoding,
// and serialises the handlers.
func (f *fakeKeypad) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		if !ok || id != kioskID || secret != url.QueryEscape(kioskSecret) {
			w.Header().Set("WWW-Authenticate", `Basic realm="keypad"`)
			oauthErr(w, 401, "invalid_client", "client authentication failed")
			return
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
			oauthErr(w, 400, "invalid_request", "wrong content type "+ct)
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		h(w, r)
	}
}

func (f *fakeKeypad) lookup(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	f.lookups = append(f.lookups, r.PostForm)
	ident := strings.ToLower(strings.TrimSpace(r.PostForm.Get("identifier")))
	typ := r.PostForm.Get("identifier_type")
	var s *fakeOTP
	switch {
	case ident == "123 main street" && (typ == "" || typ == "address"):
		s = &fakeOTP{sub: "sub-heather", channels: heatherChannels}
	case ident == "9 shared lane" && (typ == "" || typ == "address"):
		body := map[string]any{"error": "ambiguous_identifier",
			"error_description": "several accounts share this address; ask for the account number"}
		if f.askField != "" {
			body["error_description"] = "several accounts share this address"
			body["ask_for"] = f.askField
		}
		writeJSON(w, 400, body)
		return
	case ident == "100200301" && typ == "account":
		s = &fakeOTP{sub: "sub-bob", channels: bobChannels}
	case f.explicitUnknown:
		oauthErr(w, 400, "unknown_identifier", "no person matches the identifier")
		return
	default: // decoy: same shape, nothing will ever be sent
		h := sha256.Sum256([]byte(ident))
		s = &fakeOTP{channels: []channel{{ID: "ch-decoy", Type: "sms", Hint: fmt.Sprintf("(•••) •••-%04d", int(h[0])*39%10000)}}}
	}
	s.scope = r.PostForm.Get("scope")
	handle := "kp_os_" + b64([]byte(fmt.Sprint(len(f.sessions), ident)))
	f.sessions[handle] = s
	writeJSON(w, 200, map[string]any{"otp_session": handle, "expires_in": 600, "channels": s.channels})
}

func (f *fakeKeypad) send(w http.ResponseWriter, r *http.Request) {
	s, ok := f.sessions[r.PostFormValue("otp_session")]
	switch {
	case !ok:
		oauthErr(w, 400, "invalid_grant", "unknown otp_session")
		return
	case s.expired:
		oauthErr(w, 400, "expired_token", "the otp_session has expired")
		return
	case s.void || s.sends >= 3:
		oauthErr(w, 400, "access_denied", "no more codes for this session")
		return
	}
	ch := r.PostFormValue("channel")
	known := false
	for _, c := range s.channels {
		known = known || c.ID == ch
	}
	if !known {
		oauthErr(w, 400, "invalid_request", "unknown channel")
		return
	}
	if f.failChannel[ch] {
		oauthErr(w, 503, "temporarily_unavailable", "the message could not be delivered")
		return
	}
	now := f.now()
	if wait := s.sentAt.Add(f.cooldown).Sub(now); s.sends > 0 && wait > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())))
		oauthErr(w, 429, "too_many_requests", "wait before asking for another code")
		return
	}
	s.code = fmt.Sprintf("%06d", 482193+len(f.codes))
	f.codes = append(f.codes, s.code)
	s.sentAt, s.sends, s.tries = now, s.sends+1, 0
	if s.sub != "" {
		f.sent++
	}
	writeJSON(w, 200, map[string]int{"expires_in": 600, "resend_after": 30, "code_length": 6})
}

func (f *fakeKeypad) token(w http.ResponseWriter, r *http.Request) {
	if r.PostFormValue("grant_type") != otpGrant {
		oauthErr(w, 400, "unsupported_grant_type", "")
		return
	}
	s, ok := f.sessions[r.PostFormValue("otp_session")]
	switch {
	case !ok:
		oauthErr(w, 400, "invalid_grant", "unknown otp_session")
		return
	case s.void:
		oauthErr(w, 400, "access_denied", "too many wrong codes")
		return
	case s.expired:
		oauthErr(w, 400, "expired_token", "the code has expired")
		return
	}
	if s.sub == "" || s.code == "" || r.PostFormValue("otp") != s.code {
		s.tries++
		if s.tries >= maxTries {
			s.void = true
			oauthErr(w, 400, "access_denied", "too many wrong codes")
			return
		}
		writeJSON(w, 400, map[string]any{"error": "invalid_grant", "error_description": "the code is not valid",
			"attempts_remaining": maxTries - s.tries})
		return
	}
	delete(f.sessions, r.PostFormValue("otp_session"))
	now := f.now().Unix()
	tok := f.sign(map[string]any{"iss": f.srv.URL, "sub": s.sub, "client_id": kioskID, "scope": s.scope,
		"iat": now, "exp": now + 600, "jti": fmt.Sprint(len(f.tokens))})
	f.tokens = append(f.tokens, tok)
	writeJSON(w, 200, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 600, "scope": s.scope})
}

// sign makes an RFC 9068 access token.
func (f *fakeKeypad) sign(claims map[string]any) string {
	h, _ := json.Marshal(map[string]string{"alg": "ES256", "kid": "k1", "typ": "at+jwt"})
	c, _ := json.Marshal(claims)
	input := b64(h) + "." + b64(c)
	d := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, f.key, d[:])
	if err != nil {
		f.t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + b64(sig)
}

// lastCode is the newest code sent.
func (f *fakeKeypad) lastCode() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.codes) == 0 {
		f.t.Fatal("no code was sent")
	}
	return f.codes[len(f.codes)-1]
}

// with runs fn holding the fake's lock, to read or change its state.
func (f *fakeKeypad) with(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn()
}

func oauthErr(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
