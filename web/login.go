package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/ratelimit"
)

type loginData struct {
	common
	Username string
	Error    string
	// ForDevice says the person is signing in to approve a device.
	ForDevice bool
	// ForApp names the app an authorize request signs in to; Again says
	// it asked a signed-in person to sign in again.
	ForApp string
	Again  bool
	// CodeSignIn offers sign-in with a code (logincode.go).
	CodeSignIn bool
}

// Texts of the sign-in page. A failure never says whether the username
// exists.
var (
	loginFailedText = t("login.failed")
	loginMissing    = t("login.missing")
)

func loginLockedText(retry time.Duration) text {
	return t("login.locked.user", "Wait", minutesText(retry))
}

// loginLimitedText says which limit refused a sign-in and when to try
// again. A locked username reads the same whether it exists or not.
func loginLimitedText(le *ratelimit.Error) text {
	switch le.Scope {
	case ratelimit.ScopeIP:
		return t("login.locked.ip", "Wait", minutesText(le.RetryAfter))
	case ratelimit.ScopeGlobal:
		return t("login.locked.global", "Wait", minutesText(le.RetryAfter))
	case ratelimit.ScopeDevice:
		return t("login.locked.device", "Wait", minutesText(le.RetryAfter))
	}
	return loginLockedText(le.RetryAfter)
}

// loginForm serves GET /login. A person already signed in goes straight
// on to where the flow continues.
func (h *Handler) loginForm(w http.ResponseWriter, r *http.Request) {
	s, _, err := h.currentSession(r)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if s != nil && s.Subject != "" && s.Data[dataReauth] == "" {
		http.Redirect(w, r, h.url(returnPath(s)), http.StatusSeeOther)
		return
	}
	h.renderLogin(w, r, http.StatusOK, s, h.reauthUsername(r, s), nil)
}

func (h *Handler) renderLogin(w http.ResponseWriter, r *http.Request, status int, s *keypad.Session, username string, errText text) {
	h.allowRedirect(w, s)
	shown := ""
	if errText != nil {
		shown = errText(h.Localizer(r))
	}
	h.render(w, r, status, "login", loginData{
		common:     h.common(r, t("login.heading"), ""),
		Username:   username,
		Error:      shown,
		ForDevice:  s != nil && s.Data[dataDevice] != "",
		ForApp:     h.authorizeClientName(r, s),
		Again:      s != nil && s.Data[dataReauth] != "",
		CodeSignIn: h.codesOn(r.Context()),
	})
}

// loginSubmit serves POST /login: username and password. Unknown
// usernames and accounts without a password pay for a dummy argon2id
// verification, so timing does not tell them apart; attempts are charged
// per username, per address and to a global guard, or to the browser's
// device cookie when it has one for this username
// (ratelimit.Limiter.ChargeLogin, docs/security.md).
func (h *Handler) loginSubmit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if ok, wait := h.buckets.Allow("login:" + ratelimit.IPKey(h.clientIP(r))); !ok {
		h.audit(r, "login.rate_limited", "", "", "limit=burst")
		h.metrics.Event("login", "rate_limited")
		w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds()+0.999)))
		h.message(w, r, http.StatusTooManyRequests, msgTooMany(wait, false))
		return
	}
	s, _, err := h.currentSession(r)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	username := strings.TrimSpace(r.PostFormValue("username"))
	pw := r.PostFormValue("password")
	if username == "" || pw == "" {
		h.renderLogin(w, r, http.StatusBadRequest, s, username, loginMissing)
		return
	}
	// The attempt is charged before the password is looked at, so racing
	// guesses cannot all slip under a limit. A browser where this username
	// signed in before is charged to its own device allowance instead.
	device := h.loginDevice(r, username)
	charge, err := h.limiter.ChargeLogin(ctx, ratelimit.LoginAttempt{Username: username, IP: h.clientIP(r), Device: device})
	if err != nil {
		if le, ok := ratelimit.IsLimited(err); ok {
			h.audit(r, "login.locked", "", "", "limit="+string(le.Scope))
			h.metrics.Event("login", "locked")
			w.Header().Set("Retry-After", fmt.Sprint(int(le.RetryAfter.Seconds())))
			h.renderLogin(w, r, http.StatusTooManyRequests, s, username, loginLimitedText(le))
			return
		}
		h.internalError(w, r, err)
		return
	}

	// oauth checks the password, with the same timing for unknown
	// usernames, and upgrades an old hash (oauth.Actions.CheckPassword).
	sub, ok, err := h.flows.CheckPassword(ctx, username, pw)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if !ok {
		if err := charge.Failed(ctx); err != nil {
			h.log.ErrorContext(ctx, "web: count failed sign-in", "err", err)
		}
		subject := ""
		if sub != nil {
			subject = sub.ID
		}
		h.audit(r, "login.failed", "", subject, "password")
		h.metrics.Event("login", "failed")
		text := loginFailedText
		switch cfg := h.limiter.Config(); {
		case charge.Final() && device != "":
			text = loginLimitedText(&ratelimit.Error{Scope: ratelimit.ScopeDevice, RetryAfter: cfg.LoginPerDevice.Window})
		case charge.Final():
			text = loginLockedText(cfg.LoginPerUser.Window)
		}
		h.renderLogin(w, r, http.StatusUnauthorized, s, username, text)
		return
	}

	if err := charge.Succeeded(ctx); err != nil {
		h.log.ErrorContext(ctx, "web: refund sign-in charge", "err", err)
	}
	if err := h.setLoginDevice(w, username); err != nil {
		h.log.WarnContext(ctx, "web: device cookie", "err", err)
	}
	ns, err := h.signIn(w, r, s, sub.ID, "pwd")
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	h.audit(r, "login.succeeded", "", sub.ID, "password")
	h.metrics.Event("login", "succeeded")
	http.Redirect(w, r, h.url(returnPath(ns)), http.StatusSeeOther)
}
