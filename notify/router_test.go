package notify

import (
	"context"
	"errors"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/keypadauth/keypad/metrics"
)

// recorder is a Sender that keeps what it was given and fails with err.
type recorder struct {
	got []Message
	err error
}

func (r *recorder) Send(_ context.Context, m Message) error {
	r.got = append(r.got, m)
	return r.err
}

func eventCount(t *testing.T, m *metrics.Metrics, event string) float64 {
	t.Helper()
	var out dto.Metric
	if err := m.FlowEvents.WithLabelValues("notify", event).Write(&out); err != nil {
		t.Fatal(err)
	}
	return out.GetCounter().GetValue()
}

func TestRouter(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		sms, email := &recorder{}, &recorder{}
		m := metrics.New()
		r := &Router{SMS: sms, Email: email, Metrics: m}
		if err := r.Send(ctx, storySMS(t, "+15551234821")); err != nil {
			t.Fatal(err)
		}
		if err := r.Send(ctx, storyEmail(t, "heather@example.com")); err != nil {
			t.Fatal(err)
		}
		if len(sms.got) != 1 || sms.got[0].Channel != ChannelSMS || len(email.got) != 1 || email.got[0].Channel != ChannelEmail {
			t.Errorf("sms sender got %v, email sender got %v", sms.got, email.got)
		}
		if got := eventCount(t, m, "sms_sent"); got != 1 {
			t.Errorf("sms_sent = %v, want 1", got)
		}
		if !r.Has(ChannelSMS) || !r.Has(ChannelEmail) || r.Has("fax") {
			t.Error("Has reports the wrong channels")
		}
	})
	t.Run("OKOneSenderForBoth", func(t *testing.T) {
		both := &recorder{}
		r := &Router{SMS: both, Email: both}
		for _, m := range []Message{storySMS(t, "+15551234821"), storyEmail(t, "heather@example.com")} {
			if err := r.Send(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		if len(both.got) != 2 {
			t.Errorf("sender got %d messages, want 2", len(both.got))
		}
	})
	t.Run("ErrNotConfigured", func(t *testing.T) {
		r := &Router{SMS: &recorder{}}
		err := r.Send(ctx, storyEmail(t, "heather@example.com"))
		if !errors.Is(err, ErrNotConfigured) {
			t.Errorf("err = %v, want ErrNotConfigured", err)
		}
		if r.Has(ChannelEmail) {
			t.Error("Has(email) = true with no email sender")
		}
	})
	t.Run("ErrUnknownChannel", func(t *testing.T) {
		r := &Router{SMS: &recorder{}, Email: &recorder{}}
		err := r.Send(ctx, Message{Channel: "pigeon", To: "x", Text: "x"})
		if err == nil || errors.Is(err, ErrNotConfigured) {
			t.Errorf("err = %v, want an unknown-channel error", err)
		}
	})
	t.Run("CountsFailures", func(t *testing.T) {
		m := metrics.New()
		r := &Router{
			SMS:     &recorder{err: &DeliveryError{Channel: ChannelSMS, Permanent: true, Reason: "x"}},
			Email:   &recorder{err: &DeliveryError{Channel: ChannelEmail, Reason: "y"}},
			Metrics: m,
		}
		_ = r.Send(ctx, storySMS(t, "+15551234821"))
		_ = r.Send(ctx, storyEmail(t, "heather@example.com"))
		if got := eventCount(t, m, "sms_rejected"); got != 1 {
			t.Errorf("sms_rejected = %v, want 1", got)
		}
		if got := eventCount(t, m, "email_failed"); got != 1 {
			t.Errorf("email_failed = %v, want 1", got)
		}
	})
}
