package notify

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNotConfigured means no Sender is configured for a channel. It is the
// operator's to fix; the OTP lookup should not offer such a channel.
var ErrNotConfigured = errors.New("channel not configured")

// DeliveryError reports a message that was not delivered, in terms the OTP
// flow can act on.
type DeliveryError struct {
	Channel string // ChannelSMS or ChannelEmail
	// Permanent means sending the same message to the same destination
	// again will fail again (bad number, address rejected, opted out):
	// the person should pick another channel. Otherwise the failure is
	// temporary or the operator's to fix (timeout, 5xx, rate limit,
	// refused credentials), and a later try may work.
	Permanent bool
	// Reason says what went wrong in words safe to show the client: it
	// never holds the destination, credentials or the message. What to do
	// next (try again, pick another channel) is the caller's to add, from
	// Permanent.
	Reason string
	// Code is the provider's error code ("21211" from Twilio, "550" or
	// "5.1.1" from SMTP, the HTTP status from a webhook), for operators.
	Code string
	// Detail is the provider's own explanation, scrubbed of credentials
	// and the destination, for logs. Do not show it to clients.
	Detail string

	cause error
}

// Error reads "notify: sms delivery failed permanently: <reason> (<code>:
// <detail>)": fit for logs, free of secrets.
func (e *DeliveryError) Error() string {
	kind := "temporarily"
	if e.Permanent {
		kind = "permanently"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "notify: %s delivery failed %s: %s", e.Channel, kind, e.Reason)
	if e.Code != "" || e.Detail != "" {
		b.WriteString(" (")
		b.WriteString(e.Code)
		if e.Code != "" && e.Detail != "" {
			b.WriteString(": ")
		}
		b.WriteString(e.Detail)
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap exposes the cause so errors.Is(err, context.DeadlineExceeded)
// works. The cause is never part of Error().
func (e *DeliveryError) Unwrap() error { return e.cause }

// scrub removes secrets and the destination from provider text before it
// lands in an error, and bounds its length.
func scrub(s string, secrets ...string) string {
	for _, x := range secrets {
		if len(x) >= 3 {
			s = strings.ReplaceAll(s, x, "[redacted]")
		}
	}
	s = strings.Join(strings.Fields(s), " ")
	const max = 300
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "") + "..."
	}
	return s
}
