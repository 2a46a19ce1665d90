package web

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/oauth"
)

// Where sign-in with a code keeps its progress: in the browser's
// server-side session, never in the page or the URL. The otp_session
// handle is a secret (with a code it signs the person in), so the session
// holds it only sealed, under a key derived from the session cookie's
// value, which the store never sees: a copy of the database cannot use it.

// Keys of keypad.Session.Data for sign-in with a code.
const (
	// dataOTP is the otp_session handle, sealed (sealHandle).
	dataOTP = "otp"
	// dataOTPState is the JSON of codeState: nothing secret.
	dataOTPState = "otp_state"
)

// codeState is what the pages show of a sign-in with a code: the masked
// channels to offer and what was sent.
type codeState struct {
	Channels []oauth.OTPChannelHint `json:"channels"`
	// Channel is the ID of the channel the newest code went to; "" until
	// a code was sent.
	Channel       string    `json:"channel,omitempty"`
	Sends         int       `json:"sends,omitempty"`
	ResendAt      time.Time `json:"resend_at,omitzero"`
	CodeExpiresAt time.Time `json:"code_expires_at,omitzero"`
	CodeLength    int       `json:"code_length,omitempty"`
}

// channel returns the offered channel with id.
func (st *codeState) channel(id string) (oauth.OTPChannelHint, bool) {
	for _, c := range st.Channels {
		if c.ID == id {
			return c, true
		}
	}
	return oauth.OTPChannelHint{}, false
}

// codeFlow is one request's view of a sign-in with a code.
type codeFlow struct {
	sess   *keypad.Session
	cookie string // the session cookie's value: the sealing key's source
	handle string // the otp_session handle; "" when no flow is under way
	state  codeState
}

// loadCodeFlow returns the session and the flow it holds. The flow is nil
// when there is no session; its handle is "" when no lookup is under way
// (or the state cannot be read, which is as good as none).
func (h *Handler) loadCodeFlow(r *http.Request) (*codeFlow, error) {
	s, _, err := h.currentSession(r)
	if err != nil || s == nil {
		return nil, err
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return nil, nil // currentSession found it by this cookie; cannot happen
	}
	f := &codeFlow{sess: s, cookie: c.Value}
	sealed, raw := s.Data[dataOTP], s.Data[dataOTPState]
	if sealed == "" || raw == "" {
		return f, nil
	}
	handle, ok := openHandle(f.cookie, sealed)
	if !ok || json.Unmarshal([]byte(raw), &f.state) != nil {
		f.state = codeState{}
		return f, nil
	}
	f.handle = handle
	return f, nil
}

// saveCodeFlow stores the flow's handle and state in its session.
func (h *Handler) saveCodeFlow(r *http.Request, f *codeFlow) error {
	sealed, err := sealHandle(h.rand, f.cookie, f.handle)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(f.state)
	if err != nil {
		return fmt.Errorf("encode sign-in code state: %w", err)
	}
	return h.updateData(r, f.sess, map[string]string{dataOTP: sealed, dataOTPState: string(raw)})
}

// endCodeFlow forgets the flow: its otp_session is used up or void.
func (h *Handler) endCodeFlow(r *http.Request, f *codeFlow) {
	if f == nil || f.sess == nil {
		return
	}
	if err := h.updateData(r, f.sess, map[string]string{dataOTP: "", dataOTPState: ""}); err != nil {
		h.log.ErrorContext(r.Context(), "web: clear sign-in code state", "err", err)
	}
	f.handle, f.state = "", codeState{}
}

// handleAEAD is the cipher that seals an otp_session handle for the
// browser session whose cookie holds value. The key is a hash of the value
// under its own label, so it is not the SecretHash the store keeps.
func handleAEAD(value string) cipher.AEAD {
	key := sha256.Sum256([]byte("keypad/web/otp-session/v1\x00" + value))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		panic(err) // a 32-byte key is always valid
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return aead
}

// sealHandle encrypts handle for the session cookie value: base64 of a
// random nonce and the AES-GCM ciphertext.
func sealHandle(rand io.Reader, cookie, handle string) (string, error) {
	aead := handleAEAD(cookie)
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(handle)+aead.Overhead())
	if _, err := io.ReadFull(rand, nonce); err != nil {
		return "", fmt.Errorf("draw nonce: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(aead.Seal(nonce, nonce, []byte(handle), nil)), nil
}

// openHandle reverses sealHandle; false when sealed was not made for this
// cookie value.
func openHandle(cookie, sealed string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(sealed)
	aead := handleAEAD(cookie)
	if err != nil || len(b) < aead.NonceSize() {
		return "", false
	}
	plain, err := aead.Open(nil, b[:aead.NonceSize()], b[aead.NonceSize():], nil)
	if err != nil {
		return "", false
	}
	return string(plain), true
}

// errCodeNoCookie is a session that exists without the cookie that found
// it; only a bug gets here.
var errCodeNoCookie = errors.New("sign-in with a code: the session has no cookie value")

// retryAfter sets the Retry-After header in whole seconds, rounded up.
func retryAfter(w http.ResponseWriter, d time.Duration) {
	if d > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((d+time.Second-1)/time.Second)))
	}
}
