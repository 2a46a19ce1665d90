package notify

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
)

// memOutbox is the smallest keypad.OutboxStore: the real ones live in
// store/ and pass the conformance suite; here only the contract matters.
type memOutbox struct {
	mu   sync.Mutex
	msgs []*keypad.OutboxMessage
	err  error
}

func (s *memOutbox) AddOutboxMessage(_ context.Context, m *keypad.OutboxMessage) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	m.ID = int64(len(s.msgs) + 1)
	s.msgs = append(s.msgs, m)
	return nil
}

func (s *memOutbox) ListOutboxMessages(_ context.Context, limit int) ([]*keypad.OutboxMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*keypad.OutboxMessage
	for i := len(s.msgs) - 1; i >= 0 && len(out) < limit; i-- {
		out = append(out, s.msgs[i])
	}
	return out, nil
}

func TestOutbox(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		store := &memOutbox{}
		o := &Outbox{Store: store, Now: func() time.Time { return testNow }}
		email := storyEmail(t, "heather@example.com")
		if err := o.Send(ctx, email); err != nil {
			t.Fatal(err)
		}
		sms := storySMS(t, "+15551234821")
		if err := o.Send(ctx, sms); err != nil {
			t.Fatal(err)
		}
		got, err := store.ListOutboxMessages(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		want := []keypad.OutboxMessage{
			{ID: 2, Time: testNow, Channel: "sms", To: "+15551234821", Body: sms.Text},
			{ID: 1, Time: testNow, Channel: "email", To: "heather@example.com", Subject: email.Subject, Body: email.Text},
		}
		if len(got) != len(want) {
			t.Fatalf("stored %d messages, want %d", len(got), len(want))
		}
		for i := range want {
			if *got[i] != want[i] {
				t.Errorf("message %d = %+v\nwant %+v", i, *got[i], want[i])
			}
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		store := &memOutbox{}
		o := &Outbox{Store: store}
		de := mustDeliveryError(t, o.Send(ctx, Message{Channel: ChannelSMS, To: "555", Text: "x"}))
		if !de.Permanent || len(store.msgs) != 0 {
			t.Errorf("got %+v and %d stored, want a permanent error and nothing stored", de, len(store.msgs))
		}
	})
	t.Run("ErrStore", func(t *testing.T) {
		boom := errors.New("disk full")
		o := &Outbox{Store: &memOutbox{err: boom}}
		err := o.Send(ctx, storySMS(t, "+15551234821"))
		var de *DeliveryError
		if !errors.Is(err, boom) || errors.As(err, &de) {
			t.Errorf("err = %v, want the store's error, not a DeliveryError", err)
		}
	})
}
