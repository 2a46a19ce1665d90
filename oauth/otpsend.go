package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
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
		handle: form["otp_session"], channel: form["channel"], ip: f.clientIP(r),
	})
}

// send delivers a fresh code over one of the session's channels. Only the
// newest code is valid, and only its HMAC is stored.
//
// The send is reserved before delivery (one UpdateOTPSession checks the
// session's limits and counts the send), so two concurrent requests never
// both deliver; the daily caps are charged before it too. A send that
// does not happen gives the reservation and the charges back, and a
// failed delivery leaves the previous code in force: the person loses
// nothing to the provider's failure. The new code replaces the old one
// only once delivered.
//
// A decoy session goes through the same checks and the same bookkeeping,
// and takes about as long as a real delivery, but nothing is sent.
func (f *otpFlow) send(ctx context.Context, req sendRequest) (*OTPDelivery, error) {
	switch {
	case req.handle == "":
		return nil, InvalidRequest("otp_session is missing: send the otp_session the lookup returned")
	case req.channel == "":
		return nil, InvalidRequest("channel is missing: send the id of one of the channels the lookup returned")
	}
	// The store keeps microseconds; the reservation is recognised by its
	// time, so it must survive the round trip.
	now := f.s.now().Truncate(time.Microsecond)
	clientID := ""
	if req.client != nil {
		clientID = req.client.ID
	}
	hash := keypad.SecretHash(req.handle)
	o, err := f.s.store.GetOTPSession(ctx, hash)
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
	refund, err := f.chargeSendCaps(ctx, o, ch, now)
	if err != nil {
		return refuse(err)
	}
	sent := false
	defer func() {
		if !sent {
			refund()
		}
	}()

	code, err := usercode.GenerateDigits(f.s.rand, f.cfg.CodeLength)
	if err != nil {
		return nil, fmt.Errorf("otp send: %w", err)
	}
	msg, err := f.message(ctx, o, req.client, ch, code)
	if err != nil {
		return nil, err
	}
	before, err := f.reserve(ctx, hash, clientID, req.purpose, now)
	if err != nil {
		return refuse(err)
	}
	// From here the send runs to its end even if the client goes away:
	// a caller that hangs up while the provider accepts the message must
	// not get its charges and its send back for a message that went out.
	// The senders bound their own time.
	ctx = context.WithoutCancel(ctx)
	err = f.deliver(ctx, o, msg)
	sent = err == nil
	if err != nil {
		if rerr := f.release(ctx, hash, now, before); rerr != nil {
			f.s.log.ErrorContext(ctx, "oauth: give back an otp send reservation", "err", rerr)
		}
		e := f.deliveryFailure(ctx, err)
		ev.name, ev.detail = "delivery_failed", fmt.Sprintf("channel=%s: %s", ch.Type, err.Error())
		f.record(ctx, ev)
		return nil, e
	}
	if err := f.commitCode(ctx, hash, code, now); err != nil {
		return nil, err
	}
	ev.name, ev.detail = "sent", fmt.Sprintf("channel=%s send=%d", ch.Type, before.Sends+1)
	if o.Decoy {
		ev.detail += " decoy (nothing sent)"
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

// reserve counts a send on the session at now, atomically with the checks
// of the session and its send limits, and returns the session as it was.
func (f *otpFlow) reserve(ctx context.Context, hash []byte, clientID, purpose string, now time.Time) (keypad.OTPSession, error) {
	var before keypad.OTPSession
	_, err := f.s.store.UpdateOTPSession(ctx, hash, func(o *keypad.OTPSession) error {
		if err := checkSession(o, clientID, purpose, now); err != nil {
			return err
		}
		if err := f.sendWindow(o, now); err != nil {
			return err
		}
		before = *o
		o.LastSentAt = now
		o.Sends++
		return nil
	})
	if errors.Is(err, keypad.ErrNotFound) {
		return before, errOTPSessionInvalid
	}
	return before, err
}

// release gives back the reservation made at now, unless the session
// moved on since.
func (f *otpFlow) release(ctx context.Context, hash []byte, now time.Time, before keypad.OTPSession) error {
	_, err := f.s.store.UpdateOTPSession(ctx, hash, func(o *keypad.OTPSession) error {
		if o.Sends == before.Sends+1 && o.LastSentAt.Equal(now) {
			o.Sends, o.LastSentAt = before.Sends, before.LastSentAt
		}
		return nil
	})
	return err
}

// commitCode makes the delivered code the session's only valid one. The
// session lives at least as long as the code.
func (f *otpFlow) commitCode(ctx context.Context, hash []byte, code string, now time.Time) error {
	expires := now.Add(f.cfg.CodeLifetime)
	_, err := f.s.store.UpdateOTPSession(ctx, hash, func(o *keypad.OTPSession) error {
		if o.Status != keypad.OTPPending {
			return nil // redeemed or voided meanwhile: the new code is moot
		}
		o.CodeHash = f.codeHash(hash, code)
		o.CodeExpiresAt = expires
		if o.ExpiresAt.Before(expires) {
			o.ExpiresAt = expires
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("otp send: store code: %w", err)
	}
	return nil
}

// message renders what the person receives: who asks (the client's name),
// what for (the scope catalogue's words), the code and its expiry.
func (f *otpFlow) message(ctx context.Context, o *keypad.OTPSession, client *keypad.Client, ch keypad.OTPChannel, code string) (notify.Message, error) {
	d := notify.OTPData{Code: code, ExpiresIn: f.cfg.CodeLifetime, Purpose: o.Purpose, ClientName: f.cfg.LoginName}
	if o.Purpose == OTPPurposeToken {
		d.ClientName = client.Name
		if d.ClientName == "" {
			d.ClientName = client.ID
		}
		words, err := f.scopeWords(ctx, o.Scopes)
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

// scopeWords returns the catalogue's description of each scope; a scope
// missing from the catalogue is named as it is.
func (f *otpFlow) scopeWords(ctx context.Context, scopes []string) ([]string, error) {
	out := make([]string, 0, len(scopes))
	for _, name := range scopes {
		sc, err := f.s.store.GetScope(ctx, name)
		switch {
		case errors.Is(err, keypad.ErrNotFound):
			out = append(out, name)
		case err != nil:
			return nil, fmt.Errorf("otp send: scope %s: %w", name, err)
		case sc.Description == "":
			out = append(out, name)
		default:
			out = append(out, sc.Description)
		}
	}
	return out, nil
}

// deliver sends m, or for a decoy waits as long as a real delivery
// usually takes.
func (f *otpFlow) deliver(ctx context.Context, o *keypad.OTPSession, m notify.Message) error {
	if o.Decoy {
		f.sleep(ctx, f.latency.typical(m.Channel))
		return nil
	}
	start := f.s.now()
	err := f.router.Send(ctx, m)
	if err == nil {
		f.latency.observe(m.Channel, f.s.now().Sub(start))
	}
	return err
}

// deliveryFailure turns a failed delivery into the client's answer: a
// destination that will never work is invalid_request (pick another
// channel); anything else is 503 temporarily_unavailable (try again).
// Neither spent the person's send.
func (f *otpFlow) deliveryFailure(ctx context.Context, err error) *Error {
	var de *notify.DeliveryError
	if errors.As(err, &de) {
		if de.Permanent {
			return InvalidRequest("the code could not be delivered: %s; offer the person another channel", de.Reason)
		}
		e := NewError(CodeTemporarilyUnavailable, "the code could not be delivered: %s; nothing was spent, try again shortly", de.Reason)
		e.Err = err
		return e
	}
	f.s.log.ErrorContext(ctx, "oauth: otp delivery failed", "err", err)
	e := NewError(CodeTemporarilyUnavailable, "the code could not be delivered; nothing was spent, try again shortly")
	e.Err = err
	return e
}

// latencyMimic remembers how long real deliveries take on each channel (a
// moving average), so that a decoy send answers no sooner than a real
// one: the answer's timing must not tell a customer from a stranger.
type latencyMimic struct {
	mu  sync.Mutex
	avg map[string]time.Duration
}

// maxMimic bounds the wait of a decoy, whatever a provider's hiccup did to
// the average.
const maxMimic = 5 * time.Second

func (l *latencyMimic) observe(channel string, d time.Duration) {
	d = min(max(d, 0), maxMimic)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.avg == nil {
		l.avg = map[string]time.Duration{}
	}
	old, ok := l.avg[channel]
	if !ok {
		l.avg[channel] = d
		return
	}
	l.avg[channel] = old + (d-old)/8
}

func (l *latencyMimic) typical(channel string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.avg[channel]
}
