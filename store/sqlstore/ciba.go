package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/keypadauth/keypad"
)

const cibaCols = `hash, link_hash, client_id, subject, decoy, scopes, binding_message,
	otp_session, mode, notification_token, status, interval_us, last_poll_at, grant_id,
	auth_time, ping_status, ping_due_at, ping_attempts, created_at, expires_at`

func scanCIBA(r scanner) (*keypad.CIBARequest, error) {
	var c keypad.CIBARequest
	var status string
	var interval int64
	err := r.Scan(&c.Hash, &c.LinkHash, &c.ClientID, &c.Subject, &c.Decoy, js(&c.Scopes),
		&c.BindingMessage, &c.OTPSession, &c.Mode, &c.NotificationToken, &status, &interval,
		tm(&c.LastPollAt), &c.GrantID, tm(&c.AuthTime), &c.PingStatus, tm(&c.PingDueAt),
		&c.PingAttempts, tm(&c.CreatedAt), tm(&c.ExpiresAt))
	if err != nil {
		return nil, err
	}
	c.Status = keypad.CIBAStatus(status)
	c.Interval = time.Duration(interval) * time.Microsecond
	return &c, nil
}

func cibaArgs(c *keypad.CIBARequest) []any {
	return []any{c.Hash, c.LinkHash, c.ClientID, c.Subject, c.Decoy, dbJSON(c.Scopes),
		c.BindingMessage, dbBytes(c.OTPSession), c.Mode, dbBytes(c.NotificationToken),
		string(c.Status), c.Interval.Microseconds(), dbTime(c.LastPollAt), c.GrantID,
		dbTime(c.AuthTime), c.PingStatus, dbTime(c.PingDueAt), c.PingAttempts,
		dbTime(c.CreatedAt), dbTime(c.ExpiresAt)}
}

// CreateCIBARequest stores a backchannel authentication request;
// ErrConflict if its hash or link hash exists.
func (s *Store) CreateCIBARequest(ctx context.Context, c *keypad.CIBARequest) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO ciba_requests (`+cibaCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`,
		cibaArgs(c)...)
	if err != nil {
		return insertErr("create ciba request", err)
	}
	return nil
}

// GetCIBARequest returns a request by the hash of its auth_req_id, or
// ErrNotFound.
func (s *Store) GetCIBARequest(ctx context.Context, hash []byte) (*keypad.CIBARequest, error) {
	c, err := scanCIBA(s.readRow(ctx, `SELECT `+cibaCols+` FROM ciba_requests WHERE hash = $1`, hash))
	if err != nil {
		return nil, readErr("get ciba request", err)
	}
	return c, nil
}

// GetCIBARequestByLink returns a request by the hash of its approval
// link's token, or ErrNotFound.
func (s *Store) GetCIBARequestByLink(ctx context.Context, linkHash []byte) (*keypad.CIBARequest, error) {
	c, err := scanCIBA(s.readRow(ctx, `SELECT `+cibaCols+` FROM ciba_requests WHERE link_hash = $1`, linkHash))
	if err != nil {
		return nil, readErr("get ciba request by link", err)
	}
	return c, nil
}

// UpdateCIBARequest applies fn to a stored request with its row locked,
// like UpdateDeviceAuthorization: a decision, a poll and the one issue of
// tokens each happen exactly once. fn must not call the store.
func (s *Store) UpdateCIBARequest(ctx context.Context, hash []byte, fn func(*keypad.CIBARequest) error) (*keypad.CIBARequest, error) {
	const what = "update ciba request"
	write := func(ctx context.Context, tx *sql.Tx, c *keypad.CIBARequest) error {
		c.Hash = hash
		res, err := tx.ExecContext(ctx, `UPDATE ciba_requests SET link_hash = $2, client_id = $3,
			subject = $4, decoy = $5, scopes = $6, binding_message = $7, otp_session = $8, mode = $9,
			notification_token = $10, status = $11, interval_us = $12, last_poll_at = $13,
			grant_id = $14, auth_time = $15, ping_status = $16, ping_due_at = $17,
			ping_attempts = $18, created_at = $19, expires_at = $20 WHERE hash = $1`, cibaArgs(c)...)
		return mustAffect(what, res, err)
	}
	return readModifyWrite(ctx, s, what, `SELECT `+cibaCols+` FROM ciba_requests WHERE hash = $1`, hash, scanCIBA, fn, write)
}

// ListCIBAPingsDue returns up to limit requests whose ping is due at now,
// oldest due first.
func (s *Store) ListCIBAPingsDue(ctx context.Context, now time.Time, limit int) ([]*keypad.CIBARequest, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+cibaCols+` FROM ciba_requests
		WHERE ping_status = $1 AND ping_due_at <= $2 ORDER BY ping_due_at LIMIT $3`,
		keypad.CIBAPingDue, now.UnixMicro(), limit)
	if err != nil {
		return nil, readErr("list due ciba pings", err)
	}
	defer rows.Close()
	var out []*keypad.CIBARequest
	for rows.Next() {
		c, err := scanCIBA(rows)
		if err != nil {
			return nil, readErr("list due ciba pings", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, readErr("list due ciba pings", err)
	}
	return out, nil
}
