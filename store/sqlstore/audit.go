package sqlstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"

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

// QueryAuditEvents returns the events q selects, newest first; the
// listing continues after q.Before on the (at, id) order.
func (s *Store) QueryAuditEvents(ctx context.Context, q keypad.AuditQuery) ([]*keypad.AuditEvent, error) {
	var where []string
	var args []any
	cond := func(c string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(c, "?", "$"+strconv.Itoa(len(args))))
	}
	if !q.From.IsZero() {
		cond("at >= ?", q.From.UnixMicro())
	}
	if !q.Until.IsZero() {
		cond("at < ?", q.Until.UnixMicro())
	}
	if q.Type != "" {
		cond("type = ?", q.Type)
	}
	if q.ClientID != "" {
		cond("client_id = ?", q.ClientID)
	}
	if q.Subject != "" {
		cond("subject = ?", q.Subject)
	}
	if b := q.Before; b != nil {
		args = append(args, b.Time.UnixMicro(), b.ID)
		n := len(args)
		where = append(where, fmt.Sprintf("(at < $%d OR (at = $%d AND id < $%d))", n-1, n-1, n))
	}
	query := `SELECT ` + auditCols + ` FROM audit_events`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY at DESC, id DESC`
	if q.Limit > 0 {
		args = append(args, q.Limit)
		query += ` LIMIT $` + strconv.Itoa(len(args))
	}
	return list(ctx, s.db, "query audit events", scanAudit, query, args...)
}
