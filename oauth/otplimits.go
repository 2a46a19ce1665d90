package oauth

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/identifier"
	"github.com/keypadauth/keypad/ratelimit"
)

// The OTP flow's limits (DESIGN.md, security policy). Every counter lives
// in the Store, so the limits hold across keypad instances. The daily caps
// are charged before the work, each charge an atomic Hit, and a send that
// then does not happen (refused by a cap, reserved by a racing request,
// given up by the queue's worker without the provider accepting it) takes
// its charges back: requests racing for the last unit never overshoot, a
// failed delivery costs nobody anything, and a message the provider
// accepted is always paid for.
// The per-session limits (resend wait, sends, wrong codes) live on the
// session itself and are checked and charged in one UpdateOTPSession.

// Counter keys. They never hold a destination or a code: destinations
// appear as an HMAC under the flow's key, people by subject ID.
const (
	keyOTPLookupClient = "otp:lookup:client:"
	keyOTPLookupIP     = "otp:lookup:ip:"
	keyOTPDestination  = "otp:dest:"
	keyOTPClientDay    = "otp:client:"
	keyOTPLoginDay     = "otp:login"
	keyOTPPersonFails  = "otp:fail:"
	keyOTPPersonCool   = "otp:cool:"
)

// otpDay is the window of the daily caps.
const otpDay = 24 * time.Hour

// otpLimited is the answer of every OTP limit: 429 too_many_requests
// (not slow_down, which RFC 8628 clients read as "add 5 seconds to the
// polling interval") with Retry-After when waiting helps.
func otpLimited(retryAfter time.Duration, format string, args ...any) *Error {
	e := NewError(CodeTooManyRequests, format, args...)
	e.RetryAfter = retryAfter
	return e
}

// checkLookup counts a lookup against the limit of its client (for
// sign-in, of its IP address) and refuses it past the limit. Every lookup
// counts, found or not: a client probing for customers pays the same for
// each probe.
func (f *otpFlow) checkLookup(ctx context.Context, client *keypad.Client, ip string, now time.Time) error {
	key := keyOTPLookupIP + ratelimit.IPKey(ip)
	if client != nil {
		key = keyOTPLookupClient + client.ID
	}
	l := f.cfg.LookupLimit
	n, err := f.store.Hit(ctx, key, l.Window, now)
	if err != nil {
		return fmt.Errorf("otp lookup: %w", err)
	}
	if n > l.Max {
		return otpLimited(l.Window, "too many lookups: at most %d per %s; try again in %d seconds", l.Max, l.Window, otpSeconds(l.Window))
	}
	return nil
}

// smsAllowed reports whether texts may go to the E.164 number.
func (f *otpFlow) smsAllowed(e164 string) bool {
	return f.countries[identifier.Country(e164)]
}

// sendWindow checks the session's own send limits: the number of sends and
// the wait since the last one. It runs before the send and again inside
// the UpdateOTPSession that reserves it.
func (f *otpFlow) sendWindow(o *keypad.OTPSession, now time.Time) error {
	if o.Sends >= f.cfg.MaxSends {
		return otpLimited(0, "this otp_session has sent its %d codes; start again with a lookup", f.cfg.MaxSends)
	}
	if !o.LastSentAt.IsZero() {
		if next := o.LastSentAt.Add(f.cfg.ResendAfter); now.Before(next) {
			wait := next.Sub(now)
			return otpLimited(wait, "a code was sent moments ago; wait %d seconds before sending another", otpSeconds(wait+time.Second-1))
		}
	}
	return nil
}

// personKey names who a session reaches, for the failure counters: the
// subject, or for a decoy the made-up identity its channels come from, so
// that decoys are counted and cooled down like people.
func personKey(o *keypad.OTPSession) string {
	if o.Subject != "" {
		return "s:" + o.Subject
	}
	if len(o.Channels) > 0 {
		if k := o.Channels[0].Key; k != "" {
			return "d:" + k // stable across sessions, as a subject is
		}
		return "d:" + o.Channels[0].ID
	}
	return "d:" + hex.EncodeToString(o.Hash)
}

// destinationKey is the daily counter of one destination. A phone number
// shared by several people is one destination; a decoy channel counts as
// the destination it pretends to be.
func (f *otpFlow) destinationKey(o *keypad.OTPSession, ch keypad.OTPChannel) string {
	dest := ch.Destination
	switch {
	case o.Decoy && ch.Key != "":
		dest = ch.Key // channel IDs are new for every session; Key is not
	case o.Decoy:
		dest = "decoy:" + ch.ID
	}
	sum := f.mac("keypad/otp-destination/v1", []byte(ch.Type), []byte(dest))
	return keyOTPDestination + hex.EncodeToString(sum[:16])
}

// clientDayKey is the daily counter of the session's client; sign-in codes
// share one.
func clientDayKey(o *keypad.OTPSession) string {
	if o.Purpose == OTPPurposeLogin {
		return keyOTPLoginDay
	}
	return keyOTPClientDay + o.ClientID
}

// checkPerson refuses a person who is cooling down after too many wrong
// codes in a row.
func (f *otpFlow) checkPerson(ctx context.Context, o *keypad.OTPSession, now time.Time) error {
	n, err := f.store.Count(ctx, keyOTPPersonCool+personKey(o), now)
	if err != nil {
		return fmt.Errorf("otp: read person cool-down: %w", err)
	}
	if n > 0 {
		return otpLimited(f.cfg.PersonCooldown, "too many wrong codes for this person; try again in %d minutes", otpSeconds(f.cfg.PersonCooldown)/60)
	}
	return nil
}

// chargeSendCaps applies the limits of a send that are not the session's
// own: the SMS country allow-list, the person's cool-down and the daily
// caps per destination and per client (SMS pumping: an attacker who makes
// keypad text expensive numbers profits per message). The caps are
// charged now and named in charged; the caller calls refund if the send
// then is not queued (the queue's worker refunds a send it gives up on).
func (f *otpFlow) chargeSendCaps(ctx context.Context, o *keypad.OTPSession, ch keypad.OTPChannel, now time.Time) (charged []string, refund func(), err error) {
	if ch.Type == identifier.ChannelSMS {
		// A decoy has no number; it checks a stand-in of the region, so
		// that it parses a number as a real send does (docs/security.md,
		// Timing), and is never refused.
		dest := ch.Destination
		if o.Decoy {
			dest = f.decoyE164
		}
		if !f.smsAllowed(dest) && !o.Decoy {
			return nil, nil, InvalidRequest("texts to this phone number's country are not enabled; offer the person another channel")
		}
	}
	if err := f.checkPerson(ctx, o, now); err != nil {
		return nil, nil, err
	}
	caps := []struct {
		key, what string
		max       int
	}{
		{f.destinationKey(o, ch), "this destination", f.cfg.DailyPerDestination},
		{clientDayKey(o), "this client", f.cfg.DailyPerClient},
	}
	refund = func() { f.refund(ctx, charged, now) }
	for _, c := range caps {
		n, err := f.store.Hit(ctx, c.key, otpDay, now)
		if err != nil {
			refund()
			return nil, nil, fmt.Errorf("otp send: count daily cap: %w", err)
		}
		charged = append(charged, c.key)
		if n > int64(c.max) {
			refund()
			return nil, nil, otpLimited(otpDay, "%s has had its %d codes for today; try again tomorrow, or use another channel", c.what, c.max)
		}
	}
	return charged, refund, nil
}

// refund takes back the daily-cap charges made at chargedAt.
func (f *otpFlow) refund(ctx context.Context, charged []string, chargedAt time.Time) {
	// The request may be ending; the take-back must not end with it.
	ctx = context.WithoutCancel(ctx)
	for _, key := range charged {
		if err := f.store.Unhit(ctx, key, otpDay, chargedAt); err != nil {
			f.s.log.ErrorContext(ctx, "oauth: take back an otp send charge", "err", err)
		}
	}
}

// personFailed counts a wrong code against the person. At
// MaxPersonFailures in a row the person cools down, and the count starts
// again after it.
func (f *otpFlow) personFailed(ctx context.Context, o *keypad.OTPSession, ip string, now time.Time) error {
	key := personKey(o)
	n, err := f.store.Hit(ctx, keyOTPPersonFails+key, f.cfg.PersonFailureWindow, now)
	if err != nil {
		return fmt.Errorf("otp: count person failure: %w", err)
	}
	if n < int64(f.cfg.MaxPersonFailures) {
		return nil
	}
	if _, err := f.store.Hit(ctx, keyOTPPersonCool+key, f.cfg.PersonCooldown, now); err != nil {
		return fmt.Errorf("otp: start person cool-down: %w", err)
	}
	if err := f.store.ResetCounter(ctx, keyOTPPersonFails+key); err != nil {
		return fmt.Errorf("otp: reset person failures: %w", err)
	}
	f.record(ctx, otpEvent{name: "person_cooldown", clientID: o.ClientID, subject: o.Subject, ip: ip,
		detail: fmt.Sprintf("%d wrong codes in a row; cool-down %s", n, f.cfg.PersonCooldown)})
	return nil
}

// personSucceeded forgets the person's wrong codes: the limit is on
// failures in a row.
func (f *otpFlow) personSucceeded(ctx context.Context, o *keypad.OTPSession) error {
	if err := f.store.ResetCounter(ctx, keyOTPPersonFails+personKey(o)); err != nil {
		return fmt.Errorf("otp: reset person failures: %w", err)
	}
	return nil
}
