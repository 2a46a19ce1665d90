package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/keypadauth/keypad"
)

const sessionCols = `hash, subject, auth_time, amr, data, created_at, last_seen_at, expires_at`

func scanSession(r scanner) (*keypad.Session, error) {
	var ss keypad.Session
	err := r.Scan(&ss.Hash, &ss.Subject, tm(&ss.AuthTime), js(&ss.AMR), js(&ss.Data),
		tm(&ss.CreatedAt), tm(&ss.LastSeenAt), tm(&ss.ExpiresAt))
	if err != nil {
		return nil, err
	}
	return &ss, nil
}

// CreateSession stores a browser session; ErrConflict if the hash exists.
func (s *Store) CreateSession(ctx context.Context, ss *keypad.Session) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO sessions (`+sessionCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		ss.Hash, ss.Subject, dbTime(ss.AuthTime), dbJSON(ss.AMR), dbJSON(ss.Data),
		dbTime(ss.CreatedAt), dbTime(ss.LastSeenAt), dbTime(ss.ExpiresAt))
	if err != nil {
		return insertErr("create session", err)
	}
	return nil
}

// GetSession returns a live session, or ErrNotFound when there is none or
// it expired at or before now. A session without expiry lives on.
func (s *Store) GetSession(ctx context.Context, hash []byte, now time.Time) (*keypad.Session, error) {
	ss, err := scanSession(s.readRow(ctx, `SELECT `+sessionCols+` FROM sessions
		WHERE hash = $1 AND (expires_at IS NULL OR expires_at > $2)`, hash, now.UnixMicro()))
	if err != nil {
		return nil, readErr("get session", err)
	}
	return ss, nil
}

// UpdateSession applies fn to a stored session with its row locked, like
// UpdateDeviceAuthorization. It finds expired sessions too: the caller
// decides what expiry means for the change. fn must not call the store.
func (s *Store) UpdateSession(ctx context.Context, hash []byte, fn func(*keypad.Session) error) (*keypad.Session, error) {
	const what = "update session"
	write := func(ctx context.Context, tx *sql.Tx, ss *keypad.Session) error {
		ss.Hash = hash
		res, err := tx.ExecContext(ctx, `UPDATE sessions SET subject = $2, auth_time = $3, amr = $4,
			data = $5, created_at = $6, last_seen_at = $7, expires_at = $8 WHERE hash = $1`,
			ss.Hash, ss.Subject, dbTime(ss.AuthTime), dbJSON(ss.AMR), dbJSON(ss.Data),
			dbTime(ss.CreatedAt), dbTime(ss.LastSeenAt), dbTime(ss.ExpiresAt))
		return mustAffect(what, res, err)
	}
	return readModifyWrite(ctx, s, what, `SELECT `+sessionCols+` FROM sessions WHERE hash = $1`, hash, scanSession, fn, write)
}

// DeleteSession removes a session; a missing one is not an error.
func (s *Store) DeleteSession(ctx context.Context, hash []byte) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE hash = $1`, hash); err != nil {
		return fmt.Errorf("delete session: %w", dbErr(err))
	}
	return nil
}
