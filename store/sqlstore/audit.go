package sqlstore

import (
	"context"
	"fmt"

	"github.com/keypadauth/keypad"
)

const auditCols = `id, at, type, client_id, subject, ip, detail`

func scanAudit(r scanner) (*keypad.AuditEvent, error) {
	var e keypad.AuditEvent
	if err := r.Scan(&e.ID, tm(&e.Time), &e.Type, &e.ClientID, &e.Subject, &e.IP, &e.Detail); err != nil {
		return nil, err
	}
	return &e, nil
}

// AddAuditEvent appends an event and sets its ID.
func (s *Store) AddAuditEvent(ctx context.Context, e *keypad.AuditEvent) error {
	err := s.w.QueryRowContext(ctx, `INSERT INTO audit_events (at, type, client_id, subject, ip, detail)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		dbTime(e.Time), e.Type, e.ClientID, e.Subject, e.IP, e.Detail).Scan(&e.ID)
	if err != nil {
		return fmt.Errorf("add audit event %q: %w", e.Type, dbErr(err))
	}
	return nil
}

// ListAuditEvents returns at most limit events (0: all), newest first;
// events of the same time come in reverse order of addition.
func (s *Store) ListAuditEvents(ctx context.Context, limit int) ([]*keypad.AuditEvent, error) {
	q := `SELECT ` + auditCols + ` FROM audit_events ORDER BY at DESC, id DESC`
	var args []any
	if limit > 0 {
		q += ` LIMIT $1`
		args = append(args, limit)
	}
	return list(ctx, s.db, "list audit events", scanAudit, q, args...)
}
