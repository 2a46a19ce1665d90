package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/keypadauth/keypad"
)

const otpSendCols = `id, session_hash, channel, sealed, client_id, subject, charges, charged_at,
	status, attempts, last_error, created_at, due_at, give_up_at, claimed_by, claimed_until, expires_at`

func scanOTPSend(r scanner) (*keypad.OTPSend, error) {
	var m keypad.OTPSend
	var status string
	err := r.Scan(&m.ID, &m.SessionHash, &m.Channel, &m.Sealed, &m.ClientID, &m.Subject,
		js(&m.Charges), tm(&m.ChargedAt), &status, &m.Attempts, &m.LastError, tm(&m.CreatedAt),
		tm(&m.DueAt), tm(&m.GiveUpAt), &m.ClaimedBy, tm(&m.ClaimedUntil), tm(&m.ExpiresAt))
	if err != nil {
		return nil, err
	}
	m.Status = keypad.OTPSendStatus(status)
	return &m, nil
}

// EnqueueOTPSend updates an OTP session as UpdateOTPSession does and, in
// the same transaction, queues send when fn succeeded and send is not nil.
func (s *Store) EnqueueOTPSend(ctx context.Context, hash []byte, fn func(*keypad.OTPSession) error, send *keypad.OTPSend) (*keypad.OTPSession, error) {
	const what = "enqueue otp send"
	write := func(ctx context.Context, tx *sql.Tx, o *keypad.OTPSession) error {
		if err := writeOTP(ctx, tx, what, hash, o); err != nil {
			return err
		}
		if send == nil {
			return nil
		}
		return insertOTPSend(ctx, tx, send)
	}
	return readModifyWrite(ctx, s, what, `SELECT `+otpCols+` FROM otp_sessions WHERE hash = $1`, hash, scanOTP, fn, write)
}

func insertOTPSend(ctx context.Context, tx *sql.Tx, m *keypad.OTPSend) error {
	if m.DueAt.IsZero() {
		m.DueAt = m.CreatedAt
	}
	if m.Status == "" {
		m.Status = keypad.OTPSendQueued
	}
	err := tx.QueryRowContext(ctx, `INSERT INTO otp_sends (session_hash, channel, sealed, client_id,
		subject, charges, charged_at, status, attempts, last_error, created_at, due_at, give_up_at,
		claimed_by, claimed_until, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id`,
		m.SessionHash, m.Channel, dbBytes(m.Sealed), m.ClientID, m.Subject, dbJSON(m.Charges),
		dbTime(m.ChargedAt), string(m.Status), m.Attempts, m.LastError, dbTime(m.CreatedAt),
		m.DueAt.UnixMicro(), dbTime(m.GiveUpAt), m.ClaimedBy, dbTime(m.ClaimedUntil), dbTime(m.ExpiresAt)).Scan(&m.ID)
	if err != nil {
		return insertErr("queue otp send", err)
	}
	return nil
}

// ClaimOTPSends claims due sends with one UPDATE ... RETURNING. On
// PostgreSQL the rows are picked FOR UPDATE SKIP LOCKED, and the outer
// WHERE checks the claim again on the row as it is when updated, so two
// instances never both claim a send; on SQLite the one writer does that.
func (s *Store) ClaimOTPSends(ctx context.Context, worker string, now time.Time, lease time.Duration, limit int) ([]*keypad.OTPSend, error) {
	if limit <= 0 {
		return nil, nil
	}
	const free = `status = 'queued' AND due_at <= $3 AND (claimed_until IS NULL OR claimed_until <= $3)`
	// Workers poll several times a second; most polls find nothing, and a
	// read answers that without taking SQLite's one writer.
	var due bool
	err := s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM otp_sends WHERE `+
		strings.ReplaceAll(free, "$3", "$1")+`)`, now.UnixMicro()).Scan(&due)
	if err != nil {
		return nil, fmt.Errorf("claim otp sends: %w", err)
	}
	if !due {
		return nil, nil
	}
	q := `UPDATE otp_sends SET claimed_by = $1, claimed_until = $2
		WHERE ` + free + ` AND id IN (SELECT id FROM otp_sends WHERE ` + free + `
			ORDER BY due_at, id LIMIT $4` + s.d.skipLocked + `)
		RETURNING ` + otpSendCols
	var out []*keypad.OTPSend
	err = s.retry(ctx, func() (err error) {
		out, err = list(ctx, s.w, "claim otp sends", scanOTPSend, q,
			worker, now.Add(lease).UnixMicro(), now.UnixMicro(), limit)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SettleOTPSend writes a claimed send's outcome if worker still holds
// the claim.
func (s *Store) SettleOTPSend(ctx context.Context, m *keypad.OTPSend, worker string) error {
	sealed := dbBytes(m.Sealed)
	if m.Status != keypad.OTPSendQueued {
		sealed = nil
	}
	if m.DueAt.IsZero() {
		return fmt.Errorf("settle otp send %d: due time is zero", m.ID)
	}
	res, err := s.w.ExecContext(ctx, `UPDATE otp_sends SET status = $3, attempts = $4, last_error = $5,
		due_at = $6, sealed = $7, claimed_by = '', claimed_until = NULL
		WHERE id = $1 AND claimed_by = $2`,
		m.ID, worker, string(m.Status), m.Attempts, m.LastError, m.DueAt.UnixMicro(), sealed)
	if err := mustAffect("settle otp send", res, err); err != nil {
		return err
	}
	if m.Status != keypad.OTPSendQueued {
		m.Sealed = nil
	}
	m.ClaimedBy, m.ClaimedUntil = "", time.Time{}
	return nil
}

// GetOTPSend returns a queued or settled send by ID, or ErrNotFound.
func (s *Store) GetOTPSend(ctx context.Context, id int64) (*keypad.OTPSend, error) {
	m, err := scanOTPSend(s.db.QueryRowContext(ctx, `SELECT `+otpSendCols+` FROM otp_sends WHERE id = $1`, id))
	if err != nil {
		return nil, readErr("get otp send", err)
	}
	return m, nil
}
