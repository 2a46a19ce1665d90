package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/oauth"
	"github.com/keypadauth/keypad/ratelimit"
)

// Sign in with a code: a person without a password (or without theirs at
// hand) types what keypad knows them by (an email address, a phone
// number, a service address, an account number), picks where the code
// should go from masked hints, and types the code they receive. The
// protocol work, limits and decoys are the OTP flow's (package oauth); the
// pages here only ask and explain. Sign-in then continues exactly as after
// a password: to the device or authorize request waiting in the session.
//
//	GET  /login/code         what do we know you by?
//	POST /login/code         look the person up (CodeSignIn.OTPStart)
//	GET  /login/code/send    where should the code go?
//	POST /login/code/send    send it, or send again (CodeSignIn.OTPSend)
//	GET  /login/code/verify  type the code
//	POST /login/code/verify  check it and sign in (CodeSignIn.OTPVerify)

// CodeSignIn is the OTP flow's Go API for the sign-in pages;
// *oauth.Server implements it, and works when it was built with Config.OTP. Errors
// are *oauth.Error values (see oauth.AsError), a *keypad.ValidationError
// for an identifier that cannot be read, or oauth.ErrOTPDisabled while the
// flow is off. The pages ask OTPVerify with an empty session whether the
// flow is on: it must then answer ErrOTPDisabled or a refusal, and do
// nothing else.
type CodeSignIn interface {
	// OTPStart looks the person up and returns the otp_session and the
	// channels to offer (decoys for people it does not know). uiLocales
	// is the page's language: the code's text is in it unless the person
	// stored a preference.
	OTPStart(ctx context.Context, identifier, identifierType, ip, uiLocales string) (*oauth.OTPChallenge, error)
	// OTPSend sends a fresh code over one of the session's channels.
	OTPSend(ctx context.Context, session, channel, ip string) (*oauth.OTPDelivery, error)
	// OTPVerify redeems the typed code and returns the person it signs in.
	OTPVerify(ctx context.Context, session, code, ip string) (subject string, err error)
}

var _ CodeSignIn = (*oauth.Server)(nil)

func init() {
	// The pages of this file; render.go parses every name listed.
	pageNames = append(pageNames, "login-code", "login-code-send", "login-code-verify")
}

type codeStartData struct {
	common
	Error     *shownMsg
	ForDevice bool
	ForApp    string
	// Type is the identifier type asked for ("" lets keypad infer it);
	// the label, hint and keyboard follow it.
	Type         string
	Label        string
	Hint         string
	InputMode    string
	Autocomplete string
	Value        string
}

type codeChoice struct {
	ID    string
	Label string // "Text me at (•••) •••-4821"
}

type codeSendData struct {
	common
	Error    *shownMsg
	Channels []codeChoice
}

type codeVerifyData struct {
	common
	Error      *shownMsg
	Notice     string
	SentTo     string // "by text to (•••) •••-4821"
	CodeLength int
	ExpiresIn  string
	ResendIn   string // "" when a new code may be sent now
	Channel    string
	Others     bool // other channels to choose from
}

// identifierAsk is how the first page asks for each identifier type: the
// input's keyboard and autocomplete; the label and hint are the
// catalogue's identifier.<type>.label and .hint ("any" for "").
var identifierAsk = map[string]struct{ mode, auto string }{
	"":                               {"text", "username"},
	string(keypad.IdentifierEmail):   {"email", "email"},
	string(keypad.IdentifierPhone):   {"tel", "tel"},
	string(keypad.IdentifierAddress): {"text", "street-address"},
	string(keypad.IdentifierAccount): {"text", "off"},
}

// identifierKey is the catalogue's name for an identifier type.
func identifierKey(typ string) string {
	if typ == "" {
		return "any"
	}
	return typ
}

// codesOn reports whether sign-in with a code can be offered: there is a
// CodeSignIn and its OTP flow is enabled. Handing the pages the server
// a server without Config.OTP is fine: the link stays hidden.
func (h *Handler) codesOn(ctx context.Context) bool {
	if h.codes == nil {
		return false
	}
	_, err := h.codes.OTPVerify(ctx, "", "", "")
	return !errors.Is(err, oauth.ErrOTPDisabled)
}

// codeGate answers requests while sign-in with a code is off, and reports
// whether it did.
func (h *Handler) codeGate(w http.ResponseWriter, r *http.Request) bool {
	if !h.codesOn(r.Context()) {
		h.message(w, r, http.StatusNotFound, msgCodeOff)
		return true
	}
	if r.Method == http.MethodPost {
		if ok, wait := h.buckets.Allow("code:" + ratelimit.IPKey(h.clientIP(r))); !ok {
			h.metrics.Event("login", "rate_limited")
			retryAfter(w, wait)
			h.message(w, r, http.StatusTooManyRequests, msgCodeTooFast(wait))
			return true
		}
	}
	return false
}

// postedCodeFlow opens the flow a POST on the send or verify page goes on
// with. When there is none to go on with (code sign-in off, too many
// requests, an unreadable session, or no otp_session in it) it has
// already answered the request and returns nil.
func (h *Handler) postedCodeFlow(w http.ResponseWriter, r *http.Request) *codeFlow {
	if h.codeGate(w, r) {
		return nil
	}
	f, err := h.loadCodeFlow(r)
	if err != nil {
		h.internalError(w, r, err)
		return nil
	}
	if f == nil || f.handle == "" {
		h.message(w, r, http.StatusBadRequest, msgCodeSessionGone)
		return nil
	}
	return f
}

// signedInAlready sends a signed-in person on, like the sign-in page does,
// and reports whether it did.
func (h *Handler) signedInAlready(w http.ResponseWriter, r *http.Request, s *keypad.Session) bool {
	if s != nil && s.Subject != "" && s.Data[dataReauth] == "" {
		http.Redirect(w, r, h.url(returnPath(s)), http.StatusSeeOther)
		return true
	}
	return false
}

// codeForm serves GET /login/code.
func (h *Handler) codeForm(w http.ResponseWriter, r *http.Request) {
	if h.codeGate(w, r) {
		return
	}
	s, _, err := h.currentSession(r)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if h.signedInAlready(w, r, s) {
		return
	}
	h.renderCodeStart(w, r, http.StatusOK, s, "", "", nil)
}

func (h *Handler) renderCodeStart(w http.ResponseWriter, r *http.Request, status int, s *keypad.Session, typ, value string, errMsg *msg) {
	ask, ok := identifierAsk[typ]
	if !ok {
		typ, ask = "", identifierAsk[""]
	}
	title := t("code.start.heading")
	if errMsg != nil {
		title = errMsg.Heading
	}
	l, key := h.Localizer(r), "identifier."+identifierKey(typ)
	h.render(w, r, status, "login-code", codeStartData{
		common:    h.common(r, title, ""),
		Error:     errMsg.in(l),
		ForDevice: s != nil && s.Data[dataDevice] != "",
		ForApp:    h.authorizeClientName(r, s),
		Type:      typ, Label: l.T(key + ".label"), Hint: l.T(key + ".hint"), InputMode: ask.mode, Autocomplete: ask.auto,
		Value: value,
	})
}

// codeStart serves POST /login/code: it looks the person up and keeps the
// otp_session in the browser session. People keypad does not know get
// decoy channels from the OTP flow, so this page never tells who has an
// account.
func (h *Handler) codeStart(w http.ResponseWriter, r *http.Request) {
	if h.codeGate(w, r) {
		return
	}
	s, _, err := h.currentSession(r)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	typ := strings.ToLower(strings.TrimSpace(r.PostFormValue("identifier_type")))
	if _, ok := identifierAsk[typ]; !ok {
		typ = ""
	}
	value := strings.TrimSpace(r.PostFormValue("identifier"))
	if value == "" {
		h.renderCodeStart(w, r, http.StatusBadRequest, s, typ, "", &msgCodeNoIdentifier)
		return
	}
	ch, err := h.codes.OTPStart(r.Context(), value, typ, h.clientIP(r), h.Localizer(r).Tag())
	if err != nil {
		h.lookupFailed(w, r, s, typ, value, err)
		return
	}

	f := &codeFlow{sess: s}
	if s == nil {
		f.sess, f.cookie, err = h.startSessionValue(w, r, &keypad.Session{})
	} else if c, cerr := r.Cookie(SessionCookie); cerr == nil {
		f.cookie = c.Value
	} else {
		err = errCodeNoCookie
	}
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	f.handle, f.state = ch.Session, codeState{Channels: ch.Channels}
	if err := h.saveCodeFlow(r, f); err != nil {
		h.internalError(w, r, err)
		return
	}
	h.metrics.Event("login", "code_started")
	http.Redirect(w, r, h.url("/login/code/send"), http.StatusSeeOther)
}

// lookupFailed explains a refused lookup on the first page.
func (h *Handler) lookupFailed(w http.ResponseWriter, r *http.Request, s *keypad.Session, typ, value string, err error) {
	if errors.Is(err, oauth.ErrOTPDisabled) {
		h.message(w, r, http.StatusNotFound, msgCodeOff)
		return
	}
	var ve *keypad.ValidationError
	if errors.As(err, &ve) {
		// ve.Message is the API's English; the page says it in the
		// person's words, with the hint for that kind of identifier.
		m := msgCodeUnreadable
		if _, ok := identifierAsk[ve.Field]; ok && ve.Field != "" {
			m.Lines = []text{t("code.unreadable.as", "What", t("identifier."+ve.Field+".name_a")),
				t("identifier." + ve.Field + ".hint")}
		}
		h.renderCodeStart(w, r, http.StatusBadRequest, s, typ, value, &m)
		return
	}
	e, internal := oauth.AsError(err)
	switch {
	case internal:
		h.internalError(w, r, err)
	case e.Code == oauth.CodeAmbiguousIdentifier:
		ask := string(keypad.IdentifierAccount)
		if types, ok := e.Extra["identifier_types"].([]string); ok && len(types) > 0 && types[0] != "" {
			if _, known := identifierAsk[types[0]]; known {
				ask = types[0]
			}
		}
		m := msgCodeAmbiguous(ask)
		h.renderCodeStart(w, r, http.StatusConflict, s, ask, "", &m)
	case e.Code == oauth.CodeTooManyRequests:
		retryAfter(w, e.RetryAfter)
		m := msgCodeTooManyLookups(e.RetryAfter)
		h.renderCodeStart(w, r, http.StatusTooManyRequests, s, typ, value, &m)
	case e.Code == oauth.CodeInvalidRequest:
		h.renderCodeStart(w, r, http.StatusBadRequest, s, typ, value, &msgCodeUnreadable)
	default:
		h.internalError(w, r, fmt.Errorf("sign-in with a code: lookup: %w", err))
	}
}

// codeChannels serves GET /login/code/send: the masked channels to choose
// from.
func (h *Handler) codeChannels(w http.ResponseWriter, r *http.Request) {
	if h.codeGate(w, r) {
		return
	}
	f, err := h.loadCodeFlow(r)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if f == nil || f.handle == "" {
		http.Redirect(w, r, h.url("/login/code"), http.StatusSeeOther)
		return
	}
	h.renderCodeSend(w, r, http.StatusOK, f, nil)
}

func (h *Handler) renderCodeSend(w http.ResponseWriter, r *http.Request, status int, f *codeFlow, errMsg *msg) {
	if len(f.state.Channels) == 0 {
		h.endCodeFlow(r, f)
		h.message(w, r, http.StatusConflict, msgCodeNoChannel)
		return
	}
	title := t("code.send.heading")
	if errMsg != nil {
		title = errMsg.Heading
	}
	l := h.Localizer(r)
	d := codeSendData{common: h.common(r, title, ""), Error: errMsg.in(l)}
	for _, c := range f.state.Channels {
		d.Channels = append(d.Channels, codeChoice{ID: c.ID, Label: channelLabel(c)(l)})
	}
	h.render(w, r, status, "login-code-send", d)
}

// channelLabel is a channel's button.
func channelLabel(c oauth.OTPChannelHint) text {
	if c.Type == "sms" {
		return t("code.channel.sms", "Hint", c.Hint)
	}
	return t("code.channel.email", "Hint", c.Hint)
}

// sentTo says where a code went, after "We sent a code ".
func sentTo(c oauth.OTPChannelHint) text {
	if c.Type == "sms" {
		return t("code.sent_to.sms", "Hint", c.Hint)
	}
	return t("code.sent_to.email", "Hint", c.Hint)
}

// codeSend serves POST /login/code/send: the first code, or a new one.
func (h *Handler) codeSend(w http.ResponseWriter, r *http.Request) {
	f := h.postedCodeFlow(w, r)
	if f == nil {
		return
	}
	id := r.PostFormValue("channel")
	ch, ok := f.state.channel(id)
	if !ok {
		h.renderCodeSend(w, r, http.StatusBadRequest, f, &msgCodeChoose)
		return
	}
	d, err := h.codes.OTPSend(r.Context(), f.handle, id, h.clientIP(r))
	if err != nil {
		h.sendFailed(w, r, f, ch, err)
		return
	}
	now := h.now()
	f.state.Channel, f.state.Sends = id, f.state.Sends+1
	f.state.ResendAt, f.state.CodeExpiresAt = now.Add(d.ResendAfter), now.Add(d.ExpiresIn)
	f.state.CodeLength = d.CodeLength
	if err := h.saveCodeFlow(r, f); err != nil {
		h.internalError(w, r, err)
		return
	}
	http.Redirect(w, r, h.url("/login/code/verify"), http.StatusSeeOther)
}

// sendFailed explains a code that was not sent: on the code page when one
// was sent before (a "send again" too early), else on the channel page.
func (h *Handler) sendFailed(w http.ResponseWriter, r *http.Request, f *codeFlow, ch oauth.OTPChannelHint, err error) {
	if errors.Is(err, oauth.ErrOTPDisabled) {
		h.message(w, r, http.StatusNotFound, msgCodeOff)
		return
	}
	e, internal := oauth.AsError(err)
	if internal {
		h.internalError(w, r, err)
		return
	}
	switch e.Code {
	case oauth.CodeTooManyRequests:
		if e.RetryAfter <= 0 {
			h.endCodeFlow(r, f)
			h.message(w, r, http.StatusTooManyRequests, msgCodeSendsUsed)
			return
		}
		retryAfter(w, e.RetryAfter)
		m := msgCodeWait(e.RetryAfter, f.state.Channel != "")
		if f.state.Channel != "" {
			h.renderCodeVerify(w, r, http.StatusTooManyRequests, f, &m)
			return
		}
		h.renderCodeSend(w, r, http.StatusTooManyRequests, f, &m)
	case oauth.CodeTemporarilyUnavailable:
		m := msgCodeNotSent(ch, len(f.state.Channels) > 1)
		h.renderCodeSend(w, r, http.StatusServiceUnavailable, f, &m)
	case oauth.CodeInvalidRequest:
		m := msgCodeUndeliverable(ch, len(f.state.Channels) > 1)
		h.renderCodeSend(w, r, http.StatusBadRequest, f, &m)
	default:
		h.flowOver(w, r, f, e, err)
	}
}

// flowOver explains an otp_session that cannot go on, and forgets it.
func (h *Handler) flowOver(w http.ResponseWriter, r *http.Request, f *codeFlow, e *oauth.Error, err error) {
	switch e.Code {
	case oauth.CodeExpiredToken:
		h.endCodeFlow(r, f)
		h.message(w, r, http.StatusGone, msgCodeExpired)
	case oauth.CodeAccessDenied:
		h.endCodeFlow(r, f)
		h.message(w, r, http.StatusForbidden, msgCodeTooManyWrong)
	case oauth.CodeInvalidGrant:
		h.endCodeFlow(r, f)
		h.message(w, r, http.StatusGone, msgCodeEnded)
	case oauth.CodeTooManyRequests:
		h.endCodeFlow(r, f)
		retryAfter(w, e.RetryAfter)
		h.message(w, r, http.StatusTooManyRequests, msgCodeCoolDown(e.RetryAfter))
	default:
		h.internalError(w, r, fmt.Errorf("sign-in with a code: %w", err))
	}
}

// codeVerifyForm serves GET /login/code/verify.
func (h *Handler) codeVerifyForm(w http.ResponseWriter, r *http.Request) {
	if h.codeGate(w, r) {
		return
	}
	f, err := h.loadCodeFlow(r)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	switch {
	case f == nil || f.handle == "":
		http.Redirect(w, r, h.url("/login/code"), http.StatusSeeOther)
	case f.state.Channel == "":
		http.Redirect(w, r, h.url("/login/code/send"), http.StatusSeeOther)
	default:
		h.renderCodeVerify(w, r, http.StatusOK, f, nil)
	}
}

func (h *Handler) renderCodeVerify(w http.ResponseWriter, r *http.Request, status int, f *codeFlow, errMsg *msg) {
	ch, _ := f.state.channel(f.state.Channel)
	now := h.now()
	title := t("code.verify.heading")
	if errMsg != nil {
		title = errMsg.Heading
	}
	l := h.Localizer(r)
	d := codeVerifyData{
		common:     h.common(r, title, ""),
		Error:      errMsg.in(l),
		SentTo:     sentTo(ch)(l),
		CodeLength: f.state.CodeLength,
		ExpiresIn:  l.Minutes(f.state.CodeExpiresAt.Sub(now)),
		Channel:    ch.ID,
		Others:     len(f.state.Channels) > 1,
	}
	if f.state.Sends > 1 && errMsg == nil {
		d.Notice = l.T("code.verify.new_notice")
	}
	if wait := f.state.ResendAt.Sub(now); wait > 0 {
		d.ResendIn = l.Seconds(wait)
	}
	// The form ends in a redirect to the app a pending authorize request
	// came from.
	h.allowRedirect(w, f.sess)
	h.render(w, r, status, "login-code-verify", d)
}

// codeVerify serves POST /login/code/verify: the right code signs the
// person in (a new session, as after a password) and goes on to the
// waiting request.
func (h *Handler) codeVerify(w http.ResponseWriter, r *http.Request) {
	f := h.postedCodeFlow(w, r)
	if f == nil {
		return
	}
	subject, err := h.codes.OTPVerify(r.Context(), f.handle, r.PostFormValue("otp"), h.clientIP(r))
	if err != nil {
		h.verifyFailed(w, r, f, err)
		return
	}
	// The handle is spent; the new session starts without it.
	delete(f.sess.Data, dataOTP)
	delete(f.sess.Data, dataOTPState)
	ns, err := h.signIn(w, r, f.sess, subject, "otp")
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	h.audit(r, "login.succeeded", "", subject, "otp")
	h.metrics.Event("login", "succeeded")
	http.Redirect(w, r, h.url(returnPath(ns)), http.StatusSeeOther)
}

// verifyFailed explains a code that did not sign the person in.
func (h *Handler) verifyFailed(w http.ResponseWriter, r *http.Request, f *codeFlow, err error) {
	if errors.Is(err, oauth.ErrOTPDisabled) {
		h.message(w, r, http.StatusNotFound, msgCodeOff)
		return
	}
	e, internal := oauth.AsError(err)
	if internal {
		h.internalError(w, r, err)
		return
	}
	switch left, counted := e.Extra["attempts_remaining"].(int); {
	case e.Code == oauth.CodeInvalidRequest:
		m := msgCodeShape(f.state.CodeLength)
		h.renderCodeVerify(w, r, http.StatusBadRequest, f, &m)
	case e.Code == oauth.CodeInvalidGrant && counted:
		m := msgCodeWrong(left, f.state.Sends > 1)
		h.renderCodeVerify(w, r, http.StatusUnauthorized, f, &m)
	default:
		h.flowOver(w, r, f, e, err)
	}
}
