package web

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strings"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/oauth"
)

// SessionCookie is the name of the cookie that holds the kp_ss_ session
// value.
const SessionCookie = "keypad_session"

// Keys of keypad.Session.Data. None holds a secret.
const (
	// dataDevice is the hex DeviceCodeHash of the device request the
	// person entered a correct code for: the only one this session may
	// approve.
	dataDevice = "device"
	// dataReturn names where sign-in goes next; see returnTargets.
	dataReturn = "return"
)

// returnTargets maps the names that may stand in dataReturn to paths.
// Sign-in only ever redirects to one of these, so no request parameter can
// send a person to another site. Flows that add pages add their name here.
var returnTargets = map[string]string{
	"consent":   "/consent",
	"device":    oauth.PathDeviceVerification,
	"authorize": "/authorize/continue",
	"devices":   "/account/devices",
}

// currentSession returns the browser's session, nil when there is none
// (no cookie, a malformed one, or one the store no longer knows), and
// whether a cookie was sent at all, so callers can tell "never started"
// from "ended".
func (h *Handler) currentSession(r *http.Request) (s *keypad.Session, hadCookie bool, err error) {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return nil, false, nil
	}
	if !strings.HasPrefix(c.Value, keypad.PrefixSession) || len(c.Value) > 128 {
		return nil, true, nil
	}
	s, err = h.store.GetSession(r.Context(), keypad.SecretHash(c.Value), h.now())
	if errors.Is(err, keypad.ErrNotFound) {
		return nil, true, nil
	}
	if err != nil {
		return nil, true, fmt.Errorf("load session: %w", err)
	}
	return s, true, nil
}

// ensureSession returns the current session or starts one.
func (h *Handler) ensureSession(w http.ResponseWriter, r *http.Request) (*keypad.Session, error) {
	s, _, err := h.currentSession(r)
	if err != nil || s != nil {
		return s, err
	}
	return h.startSession(w, r, &keypad.Session{Data: map[string]string{}})
}

// startSession stores s under a fresh random value and sets the cookie.
// s.Hash and its times are filled in here.
func (h *Handler) startSession(w http.ResponseWriter, r *http.Request, s *keypad.Session) (*keypad.Session, error) {
	s, _, err := h.startSessionValue(w, r, s)
	return s, err
}

// startSessionValue is startSession that also returns the cookie's value,
// for state sealed under it (logincode.go).
func (h *Handler) startSessionValue(w http.ResponseWriter, r *http.Request, s *keypad.Session) (*keypad.Session, string, error) {
	var raw [32]byte // 256 bits
	if _, err := io.ReadFull(h.rand, raw[:]); err != nil {
		return nil, "", fmt.Errorf("draw session value: %w", err)
	}
	value := keypad.PrefixSession + base64.RawURLEncoding.EncodeToString(raw[:])
	now := h.now()
	s.Hash = keypad.SecretHash(value)
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = now, now, now.Add(h.cfg.SessionTTL)
	if s.Data == nil {
		s.Data = map[string]string{}
	}
	if err := h.store.CreateSession(r.Context(), s); err != nil {
		return nil, "", fmt.Errorf("create session: %w", err)
	}
	http.SetCookie(w, h.cookie(value, int(h.cfg.SessionTTL.Seconds())))
	return s, value, nil
}

// signIn makes the person subject the owner of a new session, carrying
// over the flow state, and ends the old one: a session value planted
// before sign-in (session fixation) is worth nothing after it. amr says
// how they proved it ("pwd", "otp").
func (h *Handler) signIn(w http.ResponseWriter, r *http.Request, old *keypad.Session, subject string, amr ...string) (*keypad.Session, error) {
	s := &keypad.Session{Subject: subject, AuthTime: h.now(), AMR: amr, Data: map[string]string{}}
	if old != nil {
		maps.Copy(s.Data, old.Data)
	}
	// A pending authorize request learns that the person has just proved
	// who they are (prompt=login, max_age).
	s.Data[dataFresh] = "1"
	s, err := h.startSession(w, r, s)
	if err != nil {
		return nil, err
	}
	if old != nil {
		if err := h.store.DeleteSession(r.Context(), old.Hash); err != nil {
			h.log.ErrorContext(r.Context(), "web: delete pre-sign-in session", "err", err)
		}
	}
	return s, nil
}

// updateData changes the session's flow state: set non-empty values,
// delete keys mapped to "".
func (h *Handler) updateData(r *http.Request, s *keypad.Session, kv map[string]string) error {
	_, err := h.store.UpdateSession(r.Context(), s.Hash, func(cur *keypad.Session) error {
		if cur.Data == nil {
			cur.Data = map[string]string{}
		}
		for k, v := range kv {
			if v == "" {
				delete(cur.Data, k)
			} else {
				cur.Data[k] = v
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("update session: %w", err)
	}
	for k, v := range kv {
		if v == "" {
			delete(s.Data, k)
		} else {
			s.Data[k] = v
		}
	}
	return nil
}

// cookie builds the session cookie; maxAge < 0 deletes it.
func (h *Handler) cookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     SessionCookie,
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   h.secure,
		SameSite: http.SameSiteLaxMode,
	}
}

// returnPath is where sign-in continues for session s.
func returnPath(s *keypad.Session) string {
	if p, ok := returnTargets[s.Data[dataReturn]]; ok {
		return p
	}
	return oauth.PathDeviceVerification
}

// logout ends the session (POST /logout).
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	s, _, err := h.currentSession(r)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if s != nil {
		if err := h.store.DeleteSession(r.Context(), s.Hash); err != nil {
			h.internalError(w, r, fmt.Errorf("delete session: %w", err))
			return
		}
		h.audit(r, "login.signed_out", "", s.Subject, "")
	}
	http.SetCookie(w, h.cookie("", -1))
	h.message(w, r, http.StatusOK, msgSignedOut)
}
