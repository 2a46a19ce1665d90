package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/keypadauth/keypad"
)

// Outbox "delivers" by storing messages, so someone trying keypad with
// `serve --dev` can read their codes without an SMS or mail account. It
// keeps codes in clear, which is why it exists only in dev mode.
type Outbox struct {
	Store keypad.OutboxStore
	Now   func() time.Time // defaults to time.Now
}

// Send stores m: its text becomes the stored body (the outbox page shows
// text, so the HTML part is left out).
func (o *Outbox) Send(ctx context.Context, m Message) error {
	if o.Store == nil {
		return errors.New("notify: outbox has no store")
	}
	if err := m.validate(); err != nil {
		return err
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	err := o.Store.AddOutboxMessage(ctx, &keypad.OutboxMessage{
		Time: now(), Channel: m.Channel, To: m.To, Subject: m.Subject, Body: m.Text,
	})
	if err != nil {
		return fmt.Errorf("notify: outbox: %w", err)
	}
	return nil
}
