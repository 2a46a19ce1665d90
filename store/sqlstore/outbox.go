package sqlstore

import (
	"context"
	"fmt"

	"github.com/keypadauth/keypad"
)

const outboxCols = `id, at, channel, recipient, subject, body`

func scanOutbox(r scanner) (*keypad.OutboxMessage, error) {
	var m keypad.OutboxMessage
	if err := r.Scan(&m.ID, tm(&m.Time), &m.Channel, &m.To, &m.Subject, &m.Body); err != nil {
		return nil, err
	}
	return &m, nil
}

// AddOutboxMessage appends a message to the dev outbox and sets its ID.
func (s *Store) AddOutboxMessage(ctx context.Context, m *keypad.OutboxMessage) error {
	err := s.w.QueryRowContext(ctx, `INSERT INTO outbox_messages (at, channel, recipient, subject, body)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		dbTime(m.Time), m.Channel, m.To, m.Subject, m.Body).Scan(&m.ID)
	if err != nil {
		return fmt.Errorf("add outbox message: %w", dbErr(err))
	}
	return nil
}

// ListOutboxMessages returns at most limit messages (0: all), newest
// first; messages of the same time come in reverse order of addition.
func (s *Store) ListOutboxMessages(ctx context.Context, limit int) ([]*keypad.OutboxMessage, error) {
	q := `SELECT ` + outboxCols + ` FROM outbox_messages ORDER BY at DESC, id DESC`
	var args []any
	if limit > 0 {
		q += ` LIMIT $1`
		args = append(args, limit)
	}
	return list(ctx, s.db, "list outbox messages", scanOutbox, q, args...)
}
