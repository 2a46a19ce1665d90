package notify

import (
	"context"
	"errors"
	"fmt"

	"github.com/keypadauth/keypad/metrics"
)

// Router sends each message with the Sender configured for its channel,
// so the OTP flow holds one Sender whatever the operator set up: SMS by
// Twilio and email by SMTP, both by webhook, or both to the dev Outbox.
type Router struct {
	SMS   Sender // nil: no SMS
	Email Sender // nil: no email
	// Metrics counts deliveries as flow "notify", events "<channel>_sent",
	// "<channel>_failed" and "<channel>_rejected" (permanent). May be nil.
	Metrics *metrics.Metrics
}

// Has reports whether channel can be used, so the OTP lookup offers only
// channels that can actually deliver.
func (r *Router) Has(channel string) bool { return r.sender(channel) != nil }

func (r *Router) sender(channel string) Sender {
	switch channel {
	case ChannelSMS:
		return r.SMS
	case ChannelEmail:
		return r.Email
	}
	return nil
}

// Send delivers m with its channel's Sender. A channel without one
// returns an error wrapping ErrNotConfigured.
func (r *Router) Send(ctx context.Context, m Message) error {
	s := r.sender(m.Channel)
	if s == nil {
		if m.Channel != ChannelSMS && m.Channel != ChannelEmail {
			return fmt.Errorf("notify: unknown channel %q: want %q or %q", m.Channel, ChannelSMS, ChannelEmail)
		}
		return fmt.Errorf("notify: no sender for %s: %w (configure one, or do not offer %s)", m.Channel, ErrNotConfigured, m.Channel)
	}
	err := s.Send(ctx, m)
	var de *DeliveryError
	switch {
	case err == nil:
		r.Metrics.Event("notify", m.Channel+"_sent")
	case errors.As(err, &de) && de.Permanent:
		r.Metrics.Event("notify", m.Channel+"_rejected")
	default:
		r.Metrics.Event("notify", m.Channel+"_failed")
	}
	return err
}
