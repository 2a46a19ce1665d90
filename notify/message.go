package notify

import (
	"context"
	"net/mail"
	"regexp"
	"strings"
)

// Channels a Message can travel on. They match keypad.OTPChannel.Type.
const (
	ChannelSMS   = "sms"
	ChannelEmail = "email"
)

// Message is one notification, already rendered: senders deliver words,
// they never compose them, so every channel says the same thing.
type Message struct {
	Channel string // ChannelSMS or ChannelEmail
	// To is an E.164 number ("+15551234567") for SMS or a bare email
	// address for email.
	To      string
	Subject string // email only
	Text    string // the SMS body, or the email's text/plain part
	HTML    string // the email's text/html part; optional
	// Language is the BCP 47 tag of the language the words are in. It
	// travels sealed with the body through the OTP flow's queue.
	Language string `json:",omitempty"`
}

// Sender delivers messages. Send returns nil once the provider accepted the
// message (not when it reached the phone), a *DeliveryError when delivery
// failed in a way the caller should tell the client about, and any other
// error for an internal failure.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// e164 is the shape of an international number: a plus, a country code
// that does not start with 0, at most 15 digits in all.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// validate checks that m can be sent at all. A bad destination is a
// permanent DeliveryError: no retry will fix it.
func (m Message) validate() error {
	bad := func(reason string) error {
		return &DeliveryError{Channel: m.Channel, Permanent: true, Reason: reason}
	}
	switch m.Channel {
	case ChannelSMS:
		if !e164.MatchString(m.To) {
			return bad("the phone number is not valid")
		}
	case ChannelEmail:
		if !validEmail(m.To) {
			return bad("the email address is not valid")
		}
		if strings.ContainsAny(m.Subject, "\r\n") {
			return bad("the subject has a line break")
		}
	default:
		return bad("unknown channel (want sms or email)")
	}
	if strings.TrimSpace(m.Text) == "" {
		return bad("the message is empty")
	}
	return nil
}

// validEmail accepts a bare address (no display name) that net/mail can
// parse, so nothing a person typed can add headers or recipients.
func validEmail(s string) bool {
	if s == "" || strings.ContainsAny(s, "\r\n<>,; ") {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == ""
}
