package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// DeviceCookie is the name of the cookie that marks a browser where a
// person signed in with their password before (OWASP's "device cookie").
// A sign-in that presents a valid one for the username it types is
// charged to that device's own allowance instead of the username's lock,
// so an attacker who locks a username out does not lock out its owner.
const DeviceCookie = "keypad_device"

// deviceCookieTTL is how long a browser stays known after a sign-in.
const deviceCookieTTL = 180 * 24 * time.Hour

// deviceCookieLabel separates this MAC from any other use of the key.
const deviceCookieLabel = "keypad/login-device/v1"

// deviceMAC binds a device nonce to a username: the cookie says nothing
// about the username itself, and is valid only with the one it was
// issued for (compared case-insensitively, as sign-in is).
func (h *Handler) deviceMAC(username, nonce string) []byte {
	m := hmac.New(sha256.New, h.deviceKey)
	fmt.Fprintf(m, "%s\x00%s\x00%s", deviceCookieLabel, strings.ToLower(strings.TrimSpace(username)), nonce)
	return m.Sum(nil)
}

// loginDevice returns the id of the browser's device cookie when it is
// genuine and was issued for username, or "" (no cookie, another
// username, a forged or damaged one): such a sign-in is counted like any
// other.
func (h *Handler) loginDevice(r *http.Request, username string) string {
	c, err := r.Cookie(DeviceCookie)
	if err != nil {
		return ""
	}
	nonce, sig, ok := strings.Cut(c.Value, ".")
	if !ok || nonce == "" {
		return ""
	}
	mac, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(mac, h.deviceMAC(username, nonce)) {
		return ""
	}
	return nonce
}

// setLoginDevice marks this browser as one where username signed in, with
// a fresh nonce (so each browser has its own allowance). It replaces the
// mark of any other username: a browser is known for its last person.
func (h *Handler) setLoginDevice(w http.ResponseWriter, username string) error {
	b := make([]byte, 16)
	if _, err := io.ReadFull(h.rand, b); err != nil {
		return fmt.Errorf("draw device cookie: %w", err)
	}
	nonce := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{
		Name:     DeviceCookie,
		Value:    nonce + "." + base64.RawURLEncoding.EncodeToString(h.deviceMAC(username, nonce)),
		Path:     h.basePath + "/login",
		MaxAge:   int(deviceCookieTTL.Seconds()),
		HttpOnly: true,
		Secure:   h.secure,
		SameSite: http.SameSiteLaxMode,
	})
	return nil
}
