package sqlstore

import (
	"context"
	"database/sql"

	"github.com/keypadauth/keypad"
)

const otpCols = `hash, client_id, scopes, subject, decoy, channels, purpose, code_hash,
	code_expires_at, last_sent_at, sends, failed_attempts, status, created_at, expires_at,
	language, ui_language`

func scanOTP(r scanner) (*keypad.OTPSession, error) {
	var o keypad.OTPSession
	var status string
	err := r.Scan(&o.Hash, &o.ClientID, js(&o.Scopes), &o.Subject, &o.Decoy, js(&o.Channels),
		&o.Purpose, &o.CodeHash, tm(&o.CodeExpiresAt), tm(&o.LastSentAt), &o.Sends,
		&o.FailedAttempts, &status, tm(&o.CreatedAt), tm(&o.ExpiresAt), &o.Language, &o.UILanguage)
	if err != nil {
		return nil, err
	}
	o.Status = keypad.OTPStatus(status)
	return &o, nil
}

// CreateOTPSession stores an OTP session; ErrConflict if the hash exists.
func (s *Store) CreateOTPSession(ctx context.Context, o *keypad.OTPSession) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO otp_sessions (`+otpCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
		o.Hash, o.ClientID, dbJSON(o.Scopes), o.Subject, o.Decoy, dbJSON(o.Channels), o.Purpose,
		dbBytes(o.CodeHash), dbTime(o.CodeExpiresAt), dbTime(o.LastSentAt), o.Sends, o.FailedAttempts,
		string(o.Status), dbTime(o.CreatedAt), dbTime(o.ExpiresAt), o.Language, o.UILanguage)
	if err != nil {
		return insertErr("create otp session", err)
	}
	return nil
}

// GetOTPSession returns an OTP session by hash, or ErrNotFound.
func (s *Store) GetOTPSession(ctx context.Context, hash []byte) (*keypad.OTPSession, error) {
	o, err := scanOTP(s.db.QueryRowContext(ctx, `SELECT `+otpCols+` FROM otp_sessions WHERE hash = $1`, hash))
	if err != nil {
		return nil, readErr("get otp session", err)
	}
	return o, nil
}

// UpdateOTPSession applies fn to a stored OTP session with its row locked,
// like UpdateDeviceAuthorization: redeeming a code, counting a wrong one
// and recording a send each happen exactly once. fn must not call the
// store.
func (s *Store) UpdateOTPSession(ctx context.Context, hash []byte, fn func(*keypad.OTPSession) error) (*keypad.OTPSession, error) {
	const what = "update otp session"
	write := func(ctx context.Context, tx *sql.Tx, o *keypad.OTPSession) error {
		return writeOTP(ctx, tx, what, hash, o)
	}
	return readModifyWrite(ctx, s, what, `SELECT `+otpCols+` FROM otp_sessions WHERE hash = $1`, hash, scanOTP, fn, write)
}

// writeOTP stores o under hash in tx.
func writeOTP(ctx context.Context, tx *sql.Tx, what string, hash []byte, o *keypad.OTPSession) error {
	o.Hash = hash
	res, err := tx.ExecContext(ctx, `UPDATE otp_sessions SET client_id = $2, scopes = $3,
		subject = $4, decoy = $5, channels = $6, purpose = $7, code_hash = $8,
		code_expires_at = $9, last_sent_at = $10, sends = $11, failed_attempts = $12,
		status = $13, created_at = $14, expires_at = $15, language = $16, ui_language = $17 WHERE hash = $1`,
		o.Hash, o.ClientID, dbJSON(o.Scopes), o.Subject, o.Decoy, dbJSON(o.Channels), o.Purpose,
		dbBytes(o.CodeHash), dbTime(o.CodeExpiresAt), dbTime(o.LastSentAt), o.Sends, o.FailedAttempts,
		string(o.Status), dbTime(o.CreatedAt), dbTime(o.ExpiresAt), o.Language, o.UILanguage)
	return mustAffect(what, res, err)
}
