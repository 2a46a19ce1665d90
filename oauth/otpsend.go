package oauth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/notify"
	"github.com/keypadauth/keypad/usercode"
)

// sendRequest is step two of the flow, from a client (the endpoint) or
// from the sign-in page (OTPSend, client nil).
type sendRequest struct {
	client  *keypad.Client
	purpose string
	handle  string
	channel string
	ip      string
	// uiLocales are the send request's ui_locales; they count when the
	// person has no language of their own.
	uiLocales string
	// render, when set, renders the message instead of the code's (a
	// CIBA request's link); the code drawn is then never shown.
	render func(ctx context.Context, o *keypad.OTPSession, ch keypad.OTPChannel) (notify.Message, error)
}

// handleSend is POST /oauth2/otp/send (DESIGN.md, "OTP flow on the wire",
// step 2): otp_session, channel.
func (f *otpFlow) handleSend(w http.ResponseWriter, r *http.Request) {
	resp, err := f.sendHTTP(w, r)
	if err != nil {
		f.s.writeError(w, r, err)
		return
	}
	noStore(w.Header())
	writeJSON(w, http.StatusOK, resp)
}

func (f *otpFlow) sendHTTP(w http.ResponseWriter, r *http.Request) (*OTPDelivery, error) {
	client, form, err := f.authenticate(w, r)
	if err != nil {
		return nil, err
	}
	return f.send(r.Context(), sendRequest{
		client: client, purpose: OTPPurposeToken,
		handle: form["otp_session"], channel: form["channel"], ip: f.clientIP(r), uiLocales: form["ui_locales"],
	})
}

// send queues a fresh code for one of the session's channels and answers
// at once: the queue's worker delivers it (otpqueue.go). Only the newest
// code is valid, and only its HMAC is stored.
//
// The daily caps are charged first; then one EnqueueOTPSend checks the
// session's limits again, counts the send, makes the new code the only
// valid one and queues its sealed message, all in one transaction, so two
// concurrent requests never both send and a crash loses nothing. A send
// refused on the way gives its charges back; the worker gives them back
// only when it gives up without the provider having accepted the message.
//
// The answer never depends on the provider, so it takes the same time
// whether a message goes out or not. A decoy session goes through the
// same checks, the same charges, the same rendering and sealing, the same
// session update and the same insert (of a row marked decoy, without the
// message, that no worker picks); nothing is sent.
func (f *otpFlow) send(ctx context.Context, req sendRequest) (*OTPDelivery, error) {
	switch {
	case req.handle == "":
		return nil, InvalidRequest("otp_session is missing: send the otp_session the lookup returned")
	case req.channel == "":
		return nil, InvalidRequest("channel is missing: send the id of one of the channels the lookup returned")
	}
	// The store keeps microseconds; the worker recognises the send by its
	// time, so it must survive the round trip.
	now := f.s.now().Truncate(time.Microsecond)
	clientID := ""
	if req.client != nil {
		clientID = req.client.ID
	}
	hash := keypad.SecretHash(req.handle)
	o, err := f.store.GetOTPSession(ctx, hash)
	if errors.Is(err, keypad.ErrNotFound) {
		return nil, errOTPSessionInvalid
	}
	if err != nil {
		return nil, fmt.Errorf("otp send: %w", err)
	}
	if err := checkSession(o, clientID, req.purpose, now); err != nil {
		return nil, err
	}
	ch, ok := findChannel(o, req.channel)
	if !ok {
		return nil, InvalidRequest("channel '%s' is not one of this otp_session's channels; use an id from the lookup", req.channel)
	}
	ev := otpEvent{clientID: clientID, subject: o.Subject, ip: req.ip}
	refuse := func(err error) (*OTPDelivery, error) {
		var e *Error
		if errors.As(err, &e) {
			ev.name, ev.detail = "send_refused", fmt.Sprintf("channel=%s decoy=%t: %s", ch.Type, o.Decoy, e.Description)
			f.record(ctx, ev)
		}
		return nil, err
	}
	if err := f.sendWindow(o, now); err != nil {
		return refuse(err)
	}
	charged, refund, err := f.chargeSendCaps(ctx, o, ch, now)
	if err != nil {
		return refuse(err)
	}
	queued := false
	defer func() {
		if !queued {
			refund()
		}
	}()

	code, err := usercode.GenerateDigits(f.s.rand, f.cfg.CodeLength)
	if err != nil {
		return nil, fmt.Errorf("otp send: %w", err)
	}
	var msg notify.Message
	if req.render != nil {
		msg, err = req.render(ctx, o, ch)
	} else {
		msg, err = f.message(ctx, o, req, ch, code, now)
	}
	if err != nil {
		return nil, err
	}
	job, err := f.queue.job(o, ch, msg, charged, now)
	if err != nil {
		return nil, err
	}
	if o.Decoy {
		// Sealed like a real message, and written like one (same
		// transaction, same insert), but as a row no worker ever picks,
		// without the message: nothing is sent.
		job.Status, job.Sealed = keypad.OTPSendDecoy, nil
	}
	sends, err := f.enqueue(ctx, hash, clientID, req.purpose, code, now, job)
	if err != nil {
		return refuse(err)
	}
	queued = true
	ev.name, ev.detail = "sent", fmt.Sprintf("channel=%s send=%d queued", ch.Type, sends)
	if o.Decoy {
		ev.detail = fmt.Sprintf("channel=%s send=%d decoy (nothing sent)", ch.Type, sends)
	}
	f.record(ctx, ev)
	return &OTPDelivery{ExpiresIn: f.cfg.CodeLifetime, ResendAfter: f.cfg.ResendAfter, CodeLength: f.cfg.CodeLength}, nil
}

func findChannel(o *keypad.OTPSession, id string) (keypad.OTPChannel, bool) {
	for _, c := range o.Channels {
		if c.ID == id {
			return c, true
		}
	}
	return keypad.OTPChannel{}, false
}

// enqueue counts a send on the session at now, atomically with the
// checks of the session and its send limits, makes code the session's
// only valid one, and queues job in the same transaction. It returns the number of the send. The session lives at
// least as long as the code.
func (f *otpFlow) enqueue(ctx context.Context, hash []byte, clientID, purpose, code string, now time.Time, job *keypad.OTPSend) (int, error) {
	expires := now.Add(f.cfg.CodeLifetime)
	codeHash := f.codeHash(hash, code)
	o, err := f.store.EnqueueOTPSend(ctx, hash, func(o *keypad.OTPSession) error {
		if err := checkSession(o, clientID, purpose, now); err != nil {
			return err
		}
		if err := f.sendWindow(o, now); err != nil {
			return err
		}
		o.LastSentAt = now
		o.Sends++
		o.CodeHash = codeHash
		o.CodeExpiresAt = expires
		if o.ExpiresAt.Before(expires) {
			o.ExpiresAt = expires
		}
		return nil
	}, job)
	var e *Error
	switch {
	case errors.Is(err, keypad.ErrNotFound):
		return 0, errOTPSessionInvalid
	case errors.As(err, &e):
		return 0, err // the session's own refusal, from fn
	case err != nil:
		return 0, fmt.Errorf("otp send: queue: %w", err)
	}
	return o.Sends, nil
}

// message renders what the person receives: who asks (the client's name),
// what for (the scope catalogue's words), the code and its expiry, in the
// session's language (messageLanguage).
func (f *otpFlow) message(ctx context.Context, o *keypad.OTPSession, req sendRequest, ch keypad.OTPChannel, code string, now time.Time) (notify.Message, error) {
	client := req.client
	lang := f.messageLanguage(o, req.uiLocales)
	d := notify.OTPData{
		Code: code, ExpiresIn: f.cfg.CodeLifetime, ExpiresAt: now.Add(f.cfg.CodeLifetime), Purpose: o.Purpose,
		ClientName: f.cfg.LoginName, Language: lang,
	}
	if o.Purpose == OTPPurposeToken {
		d.ClientName = client.Name
		if d.ClientName == "" {
			d.ClientName = client.ID
		}
		words, err := f.scopeWords(ctx, o.Scopes, lang)
		if err != nil {
			return notify.Message{}, err
		}
		d.ScopeDescriptions = words
	}
	m, err := f.tmpl.Message(ch.Type, ch.Destination, d)
	if err != nil {
		return notify.Message{}, fmt.Errorf("otp send: render message: %w", err)
	}
	return m, nil
}

// scopeWords returns the catalogue's description of each scope in the
// language lang (keypad.Scope.DescriptionIn; "" is the default
// description); a scope missing from the catalogue is named as it is.
func (f *otpFlow) scopeWords(ctx context.Context, scopes []string, lang string) ([]string, error) {
	out := make([]string, 0, len(scopes))
	for _, name := range scopes {
		sc, err := f.store.GetScope(ctx, name)
		switch {
		case errors.Is(err, keypad.ErrNotFound):
			out = append(out, name)
		case err != nil:
			return nil, fmt.Errorf("otp send: scope %s: %w", name, err)
		case sc.DescriptionIn(lang) == "":
			out = append(out, name)
		default:
			out = append(out, sc.DescriptionIn(lang))
		}
	}
	return out, nil
}

// messageLanguage is the language of a session's messages: the person's
// preferred language, else the first of the send's ui_locales the
// templates have, else the lookup's, else "" (the default language).
func (f *otpFlow) messageLanguage(o *keypad.OTPSession, uiLocales string) string {
	return cmp.Or(o.Language, f.tmpl.Match(uiLocales), o.UILanguage)
}
