package kiosk

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
)

// notices the start screen can show, chosen by a fixed key in the URL so
// nothing a person typed ever travels in one.
var notices = map[string]string{
	"idle":  "We started over because the screen was left alone. Nothing from the last visit was kept.",
	"done":  "Thank you! Everything about your visit has been forgotten.",
	"ended": "That visit has ended. Please start again.",
}

// welcome is screen 1. Coming here always starts afresh: "Start over" is
// a plain link to it.
func (k *kiosk) welcome(w http.ResponseWriter, r *http.Request) {
	k.visits.forget(w, r)
	m := r.URL.Query().Get("m")
	if m == "done" || m == "idle" {
		forgetLanguage(w) // the next person starts in English
	}
	k.render(w, r, http.StatusOK, "welcome", view{Notice: notices[m]})
}

// stillHere serves POST /still-here, "More time": asking for the visit
// marks it seen, which restarts its idle timer. idle.js calls it without
// a form and gets 204, or 410 when the visit has already ended; the
// script-free form names the screen to go back to.
func (k *kiosk) stillHere(w http.ResponseWriter, r *http.Request) {
	v, _ := k.visits.get(r)
	back := r.PostFormValue("back")
	if back == "" {
		if v == nil {
			w.WriteHeader(http.StatusGone)
			return
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if !slices.Contains(slices.Collect(maps.Values(backTo)), back) {
		http.Error(w, "Unknown screen. Please start over.", http.StatusBadRequest)
		return
	}
	if v == nil {
		back = "/?m=idle"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// stage is how far a visit must be for a screen to make sense.
type stage int

const (
	haveSession  stage = iota // lookup done: choose a channel
	haveChannel               // a code was sent: enter it
	haveApproval              // an approval was asked for on the phone
	haveToken                 // the code was right: the audit
)

// visit returns the request's live visit, locked, if it has reached the
// stage; otherwise it sends the browser back to the start and returns nil.
func (k *kiosk) visit(w http.ResponseWriter, r *http.Request, need stage) *visit {
	v, st := k.visits.get(r)
	if v != nil {
		v.mu.Lock()
		ok := v.otpSession != "" || v.accessToken != ""
		switch need {
		case haveChannel:
			ok = v.otpSession != "" && v.channel != nil
		case haveApproval:
			ok = v.authReqID != ""
		case haveToken:
			ok = v.accessToken != ""
		}
		if ok {
			return v
		}
		v.mu.Unlock()
	}
	to := "/"
	if st == idleVisit {
		to = "/?m=idle"
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

var identifierTypes = map[string]bool{"": true, "address": true, "account": true, "phone": true, "email": true}

// lookup asks keypad who the person is (OTP step 1).
func (k *kiosk) lookup(w http.ResponseWriter, r *http.Request) {
	ident := strings.TrimSpace(r.PostFormValue("identifier"))
	typ := r.PostFormValue("identifier_type")
	if !identifierTypes[typ] {
		typ = ""
	}
	// Errors go back to where the person typed: the start, or the
	// follow-up question after an ambiguous address.
	retype := func(notice string) {
		if typ == "" || typ == "address" {
			k.render(w, r, http.StatusOK, "welcome", view{Notice: notice, Identifier: ident})
		} else {
			k.render(w, r, http.StatusOK, "ask", view{Notice: notice, AskFor: typ})
		}
	}
	if ident == "" || len(ident) > 200 {
		retype("Please type your street address, like 123 Main Street.")
		return
	}
	a, err := k.keypad.lookup(r.Context(), ident, typ, k.cfg.Scope, k.lang(r))
	var oe *oauthError
	switch {
	case err == nil:
	case errors.As(err, &oe) && oe.Code == "ambiguous_identifier":
		notice := ""
		if typ != "" && typ != "address" {
			notice = "That still matches more than one account."
		}
		k.render(w, r, http.StatusOK, "ask", view{AskFor: oe.AskFor, Notice: notice})
		return
	case errors.As(err, &oe) && oe.Code == "unknown_identifier":
		if typ == "" || typ == "address" {
			retype(k.tr(r, "We couldn't find an account for “%s”. Check the spelling, or try your phone number, email or account number.", ident))
		} else {
			retype("We couldn't find that. Please check it and try again.")
		}
		return
	case errors.As(err, &oe) && (oe.Status == http.StatusTooManyRequests || oe.Code == "slow_down"):
		retype(k.tr(r, "Lots of tries just now. Please wait %s and try again.", k.seconds(r, oe.RetryAfter, 30*time.Second)))
		return
	case errors.As(err, &oe) && oe.Code == "invalid_request":
		retype("We couldn't read that. Please type it again, like 123 Main Street.")
		return
	default:
		k.peerProblem(w, r, err, "")
		return
	}
	v, err := k.visits.start(w, r)
	if err != nil {
		k.log.Error("kiosk: start visit", "err", err)
		k.problem(w, r, http.StatusInternalServerError, "Something went wrong on our side", "Please start over.", "")
		return
	}
	v.mu.Lock()
	v.identifier, v.otpSession, v.channels = ident, a.OTPSession, a.Channels
	v.mu.Unlock()
	http.Redirect(w, r, "/channel", http.StatusSeeOther)
}

// chooseChannel is screen 2: the masked ways keypad can reach the person.
func (k *kiosk) chooseChannel(w http.ResponseWriter, r *http.Request) {
	v := k.visit(w, r, haveSession)
	if v == nil {
		return
	}
	defer v.mu.Unlock()
	k.render(w, r, http.StatusOK, "channel", view{Channels: v.channels})
}

// send has keypad send a code over the chosen channel (OTP step 2); the
// code screen's "send a new code" comes here too.
func (k *kiosk) send(w http.ResponseWriter, r *http.Request) {
	v := k.visit(w, r, haveSession)
	if v == nil {
		return
	}
	defer v.mu.Unlock()
	var ch *channel
	for i := range v.channels {
		if v.channels[i].ID == r.PostFormValue("channel") {
			ch = &v.channels[i]
		}
	}
	if ch == nil {
		k.render(w, r, http.StatusOK, "channel", view{Channels: v.channels, Notice: "Please choose one of these."})
		return
	}
	// wait shows how long until another code may be sent, on the screen
	// the person is looking at.
	wait := func(d time.Duration) {
		notice := k.tr(r, "You can ask for a new code in %s.", k.seconds(r, d, time.Second))
		if v.channel != nil && v.channel.ID == ch.ID {
			k.render(w, r, http.StatusOK, "code", k.codeView(v, notice))
		} else {
			k.render(w, r, http.StatusOK, "channel", view{Channels: v.channels, Notice: notice})
		}
	}
	now := k.cfg.Now()
	if now.Before(v.resendAt) {
		wait(v.resendAt.Sub(now))
		return
	}
	a, err := k.keypad.send(r.Context(), v.otpSession, ch.ID, k.lang(r))
	var oe *oauthError
	switch {
	case err == nil:
		v.channel, v.codeLength = ch, a.CodeLength
		v.codeTTL = time.Duration(a.ExpiresIn) * time.Second
		v.resendAt = now.Add(time.Duration(a.ResendAfter) * time.Second)
		http.Redirect(w, r, "/code", http.StatusSeeOther)
	case errors.As(err, &oe) && oe.Status == http.StatusTooManyRequests && oe.RetryAfter > maxKioskWait:
		// A daily cap (of this phone number or email address, or of the
		// kiosk): nobody waits at a kiosk for that, but another way of
		// reaching the person may still work.
		k.render(w, r, http.StatusOK, "channel", view{Channels: v.channels,
			Notice: "We can't send more codes that way today. Please choose another way, or try again tomorrow."})
	case errors.As(err, &oe) && oe.Status == http.StatusTooManyRequests && oe.RetryAfter <= 0:
		// keypad gives no Retry-After when waiting will not help: the
		// session has sent all the codes it may.
		k.visits.forget(w, r)
		k.problem(w, r, http.StatusOK, "We can't send more codes right now",
			"We have sent as many codes as we safely can. Please start over, or try again later.", "")
	case errors.As(err, &oe) && (oe.Status == http.StatusTooManyRequests || oe.Code == "slow_down"):
		d := oe.RetryAfter
		if d <= 0 {
			d = 30 * time.Second
		}
		v.resendAt = now.Add(d)
		wait(d)
	case errors.As(err, &oe) && (oe.Code == "expired_token" || oe.Code == "invalid_grant"):
		k.visits.forget(w, r)
		k.problem(w, r, http.StatusOK, "This visit has timed out",
			"For your safety a visit only lasts a few minutes. Please start over: it only takes a minute.", "")
	case errors.As(err, &oe) && oe.Code == "access_denied":
		k.visits.forget(w, r)
		k.problem(w, r, http.StatusOK, "We can't send more codes right now",
			"We have sent as many codes as we safely can. Please start over, or try again later.", "")
	case errors.As(err, &oe) && (oe.Code == "invalid_client" || oe.Code == "unauthorized_client"):
		k.peerProblem(w, r, err, "")
	case errors.As(err, &oe):
		// Anything else is a message that did not go out.
		k.log.Warn("kiosk: code not sent", "channel", ch.Type, "err", err)
		k.render(w, r, http.StatusOK, "channel", view{Channels: v.channels, Notice: k.tr(r,
			"We couldn't send a message to %s. Try another way, or try again in a minute.", ch.Hint)})
	default:
		k.peerProblem(w, r, err, "/channel")
	}
}

func (k *kiosk) codeView(v *visit, notice string) view {
	n := v.codeLength
	if n <= 0 {
		n = 6
	}
	return view{Channel: v.channel, CodeLength: n, CodeMinutes: int(v.codeTTL / time.Minute), Notice: notice}
}

// enterCode is screen 3.
func (k *kiosk) enterCode(w http.ResponseWriter, r *http.Request) {
	v := k.visit(w, r, haveChannel)
	if v == nil {
		return
	}
	defer v.mu.Unlock()
	k.render(w, r, http.StatusOK, "code", k.codeView(v, ""))
}

// verify exchanges the typed code for an access token (OTP step 3).
func (k *kiosk) verify(w http.ResponseWriter, r *http.Request) {
	v := k.visit(w, r, haveChannel)
	if v == nil {
		return
	}
	defer v.mu.Unlock()
	cv := k.codeView(v, "")
	otp := strings.NewReplacer(" ", "", "-", "").Replace(r.PostFormValue("otp"))
	if len(otp) != cv.CodeLength || strings.Trim(otp, "0123456789") != "" {
		k.render(w, r, http.StatusOK, "code", k.codeView(v, k.tr(r, "Please type the %d digits from the message.", cv.CodeLength)))
		return
	}
	a, err := k.keypad.token(r.Context(), v.otpSession, otp)
	var oe *oauthError
	switch {
	case err == nil:
		v.accessToken, v.otpSession, v.channels, v.channel = a.AccessToken, "", nil, nil
		http.Redirect(w, r, "/audit", http.StatusSeeOther)
	case errors.As(err, &oe) && oe.Code == "invalid_grant":
		notice := k.tr(r, "That code isn't right. Check the message and try again.")
		switch oe.AttemptsRemaining {
		case -1:
		case 1:
			notice += " " + k.tr(r, "You have 1 try left.")
		default:
			notice += " " + k.tr(r, "You have %d tries left.", oe.AttemptsRemaining)
		}
		k.render(w, r, http.StatusOK, "code", k.codeView(v, notice))
	case errors.As(err, &oe) && oe.Code == "access_denied":
		k.visits.forget(w, r)
		k.problem(w, r, http.StatusOK, "Too many wrong codes",
			"For your safety that code no longer works. Please start over to get a new one.", "")
	case errors.As(err, &oe) && oe.Code == "expired_token":
		k.visits.forget(w, r)
		k.problem(w, r, http.StatusOK, "Your code has expired",
			"Codes only work for a few minutes. Please start over to get a new one.", "")
	case errors.As(err, &oe) && (oe.Status == http.StatusTooManyRequests || oe.Code == "slow_down"):
		k.render(w, r, http.StatusOK, "code", k.codeView(v,
			k.tr(r, "Please wait %s before trying again.", k.seconds(r, oe.RetryAfter, 30*time.Second))))
	default:
		k.peerProblem(w, r, err, "/code")
	}
}

// showAudit is screen 4: a year of usage and what to do about it.
func (k *kiosk) showAudit(w http.ResponseWriter, r *http.Request) {
	v := k.visit(w, r, haveToken)
	if v == nil {
		return
	}
	defer v.mu.Unlock()
	if v.audit == nil {
		u, err := k.energy.monthly(r.Context(), v.accessToken)
		var ae *apiError
		switch {
		case err == nil && u == nil:
			k.problem(w, r, http.StatusOK, "No usage history yet",
				"We found your account, but the utility has no usage history for it yet.", "")
			return
		case err == nil:
			v.audit = newAudit(u)
		case errors.As(err, &ae) && (ae.Status == http.StatusUnauthorized || ae.Status == http.StatusForbidden):
			k.visits.forget(w, r)
			k.problem(w, r, http.StatusOK, "We can't read your usage",
				"The utility did not accept this visit's permission. Please start over.", "")
			return
		default:
			k.peerProblem(w, r, err, "/audit")
			return
		}
	}
	k.render(w, r, http.StatusOK, "audit", view{Audit: v.audit})
}

// done forgets the visit at once and tells keypad the token is no longer
// needed.
func (k *kiosk) done(w http.ResponseWriter, r *http.Request) {
	if v := k.visits.forget(w, r); v != nil {
		v.mu.Lock()
		tok := v.accessToken
		v.accessToken, v.audit = "", nil
		v.mu.Unlock()
		if tok != "" {
			ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
			if err := k.keypad.revoke(ctx, tok); err != nil {
				k.log.Warn("kiosk: revoke on done", "err", err)
			}
			cancel()
		}
	}
	http.Redirect(w, r, "/?m=done", http.StatusSeeOther)
}

// maxKioskWait is the longest wait the kiosk asks a person to sit out;
// past it, the person is told to come back another time.
const maxKioskWait = 5 * time.Minute

// seconds says a wait in words, using def when keypad gave none: seconds
// up to two minutes, whole minutes (rounded up) beyond.
func seconds(d, def time.Duration) string { return secondsIn(nil, "en", d, def) }

// seconds says a wait in the request's language.
func (k *kiosk) seconds(r *http.Request, d, def time.Duration) string {
	return secondsIn(k.msgs, k.lang(r), d, def)
}

func secondsIn(c *catalogue, lang string, d, def time.Duration) string {
	tr := func(s string, args ...any) string {
		if c == nil {
			return fmt.Sprintf(s, args...)
		}
		return c.tr(lang, s, args...)
	}
	if d <= 0 {
		d = def
	}
	n := int((d + time.Second - 1) / time.Second)
	switch {
	case n == 1:
		return tr("1 second")
	case n <= 120:
		return tr("%d seconds", n)
	}
	return tr("%d minutes", (n+59)/60)
}
