package web

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/oauth"
	"github.com/keypadauth/keypad/ratelimit"
	"github.com/keypadauth/keypad/usercode"
)

type deviceEnterData struct {
	common
	// Error, when set, says why the last code was refused and what to do.
	Error      *shownMsg
	CodeLength int
	CodeKind   string // "letters", "digits" or "characters"
	// HintKey is the catalogue key of the hint for CodeKind.
	HintKey string
	Example string
}

type deviceConfirmData struct {
	common
	Code  string // display form
	QRSrc string
}

// deviceEnter serves GET /device: the code entry form, or, with
// ?user_code= (verification_uri_complete, the QR code's target), a page
// that shows the code and asks whether it is the one on the device. It
// never approves by itself: a link someone else sent must not connect
// their device to this person's account (RFC 8628 §5.4). It does not look
// the code up either, so it tells a guesser nothing.
func (h *Handler) deviceEnter(w http.ResponseWriter, r *http.Request) {
	signed := h.signedInName(r)
	if raw, ok := r.URL.Query()["user_code"]; ok && len(raw) > 0 && raw[0] != "" {
		code, err := h.cfg.UserCode.Normalize(raw[0])
		if err == nil {
			display := h.cfg.UserCode.Format(code)
			h.render(w, r, http.StatusOK, "device-confirm", deviceConfirmData{
				common: h.common(r, t("device.confirm.heading"), signed),
				Code:   display,
				QRSrc:  h.url(oauth.PathDeviceVerification + "/qr?format=svg&user_code=" + url.QueryEscape(display)),
			})
			return
		}
		h.render(w, r, http.StatusBadRequest, "device-enter", h.enterData(r, signed, &msgInvalidLink))
		return
	}
	h.render(w, r, http.StatusOK, "device-enter", h.enterData(r, signed, nil))
}

func (h *Handler) enterData(r *http.Request, signed string, errMsg *msg) deviceEnterData {
	title := t("device.enter.heading")
	if errMsg != nil {
		title = errMsg.Heading
	}
	kind := codeKind(h.cfg.UserCode.Charset)
	return deviceEnterData{
		common:     h.common(r, title, signed),
		Error:      errMsg.in(h.Localizer(r)),
		CodeLength: h.cfg.UserCode.Length,
		CodeKind:   kind,
		HintKey:    "device.enter.hint." + kind,
		Example:    exampleCode(h.cfg.UserCode.Charset, h.cfg.UserCode.Length, h.cfg.UserCode.Format),
	}
}

// codeKind names what a code is made of, in the words people use.
func codeKind(charset string) string {
	letters, digits := false, false
	for _, c := range charset {
		if c >= '0' && c <= '9' {
			digits = true
		} else {
			letters = true
		}
	}
	switch {
	case letters && !digits:
		return "letters"
	case digits && !letters:
		return "digits"
	}
	return "characters"
}

// exampleCode makes a code-shaped example from the configured alphabet,
// so the hint never shows a character that codes cannot contain.
func exampleCode(charset string, n int, format func(string) string) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = charset[(i*7+3)%len(charset)]
	}
	return format(string(b))
}

// deviceSubmit serves POST /device: the person typed (or confirmed) a
// code. The entry is charged to the session and the IP before the code is
// looked at, so a limited request learns nothing and racing entries cannot
// overshoot a limit; a wrong code keeps its charges, counts towards the
// global rate and gets the one "not valid or expired" page, whatever was
// wrong; a right or malformed code takes its charges back.
func (h *Handler) deviceSubmit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ip := h.clientIP(r)
	if ok, wait := h.buckets.Allow("device:" + ratelimit.IPKey(ip)); !ok {
		h.rateLimited(w, r, &ratelimit.Error{Scope: "burst", RetryAfter: wait})
		return
	}
	sess, err := h.ensureSession(w, r)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	sessKey := ratelimit.SessionKey(sess.Hash)
	attempt, err := h.limiter.ChargeCode(ctx, sessKey, ip)
	if err != nil {
		if le, ok := ratelimit.IsLimited(err); ok {
			h.rateLimited(w, r, le)
			return
		}
		h.internalError(w, r, err)
		return
	}

	code, err := h.cfg.UserCode.Normalize(r.PostFormValue("user_code"))
	if err != nil {
		// A malformed code cannot match any request, so it is not a
		// guess and costs nothing; it still reads "not valid".
		if err := attempt.Refund(ctx); err != nil {
			h.internalError(w, r, err)
			return
		}
		h.codeRejected(w, r, "", "malformed")
		return
	}
	d, err := h.store.GetDeviceAuthorizationByUserCode(ctx, usercode.Hash(h.userCodeKey, code))
	reason := ""
	switch {
	case errors.Is(err, keypad.ErrNotFound):
		reason = "unknown"
	case err != nil:
		h.internalError(w, r, fmt.Errorf("look up user code: %w", err))
		return
	case d.Status != keypad.DevicePending:
		reason = "not pending (" + string(d.Status) + ")"
	case !h.now().Before(d.ExpiresAt):
		reason = "expired"
	}
	if reason != "" {
		if err := attempt.Failed(ctx); err != nil {
			h.internalError(w, r, err)
			return
		}
		clientID := ""
		if d != nil {
			clientID = d.ClientID
		}
		h.codeRejected(w, r, clientID, reason)
		return
	}

	if err := attempt.Refund(ctx); err != nil {
		h.internalError(w, r, err)
		return
	}
	kv := map[string]string{dataDevice: hex.EncodeToString(d.DeviceCodeHash)}
	next := "/consent"
	if sess.Subject == "" {
		kv[dataReturn] = "consent"
		next = "/login"
	}
	if err := h.updateData(r, sess, kv); err != nil {
		h.internalError(w, r, err)
		return
	}
	h.audit(r, "device.code_accepted", d.ClientID, sess.Subject, "")
	h.metrics.Event("device", "code_accepted")
	http.Redirect(w, r, h.url(next), http.StatusSeeOther)
}

// codeRejected records a wrong code (never the code itself) and answers
// with the one page every wrong code gets: the form again, empty, under
// "not valid or has expired".
func (h *Handler) codeRejected(w http.ResponseWriter, r *http.Request, clientID, reason string) {
	h.audit(r, "device.code_rejected", clientID, "", reason)
	h.metrics.Event("device", "code_rejected")
	h.render(w, r, http.StatusBadRequest, "device-enter", h.enterData(r, h.signedInName(r), &msgInvalidCode))
}

// rateLimited records a refused entry and tells the person how long to
// wait.
func (h *Handler) rateLimited(w http.ResponseWriter, r *http.Request, le *ratelimit.Error) {
	h.audit(r, "device.rate_limited", "", "", "limit="+string(le.Scope))
	h.metrics.Event("device", "rate_limited")
	w.Header().Set("Retry-After", fmt.Sprint(int(le.RetryAfter.Seconds()+0.999)))
	h.message(w, r, http.StatusTooManyRequests, msgTooMany(le.RetryAfter, le.Scope == ratelimit.ScopeGlobal))
}

// signedInName returns the display name of the signed-in person, or "".
func (h *Handler) signedInName(r *http.Request) string {
	s, _, err := h.currentSession(r)
	if err != nil || s == nil || s.Subject == "" {
		return ""
	}
	return h.subjectName(r, s.Subject)
}

func (h *Handler) subjectName(r *http.Request, id string) string {
	sub, err := h.store.GetSubject(r.Context(), id)
	if err != nil {
		return ""
	}
	switch {
	case sub.Name != "":
		return sub.Name
	case sub.Username != "":
		return sub.Username
	}
	return sub.ID
}
