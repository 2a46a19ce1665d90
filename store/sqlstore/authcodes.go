package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/keypadauth/keypad"
)

const authCodeCols = `hash, client_id, subject, scopes, audience, redirect_uri, code_challenge,
	code_challenge_method, nonce, auth_time, amr, grant_id, created_at, expires_at, used_at`

func scanAuthCode(r scanner) (*keypad.AuthCode, error) {
	var c keypad.AuthCode
	err := r.Scan(&c.Hash, &c.ClientID, &c.Subject, js(&c.Scopes), js(&c.Audience), &c.RedirectURI,
		&c.CodeChallenge, &c.CodeChallengeMethod, &c.Nonce, tm(&c.AuthTime), js(&c.AMR), &c.GrantID,
		tm(&c.CreatedAt), tm(&c.ExpiresAt), tm(&c.UsedAt))
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// CreateAuthCode stores an authorization code; ErrConflict if the hash
// exists.
func (s *Store) CreateAuthCode(ctx context.Context, c *keypad.AuthCode) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO auth_codes (`+authCodeCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		c.Hash, c.ClientID, c.Subject, dbJSON(c.Scopes), dbJSON(c.Audience), c.RedirectURI,
		c.CodeChallenge, c.CodeChallengeMethod, c.Nonce, dbTime(c.AuthTime), dbJSON(c.AMR), c.GrantID,
		dbTime(c.CreatedAt), dbTime(c.ExpiresAt), dbTime(c.UsedAt))
	if err != nil {
		return insertErr("create authorization code", err)
	}
	return nil
}

// GetAuthCode reads a code by hash in whatever state it is; ErrNotFound.
func (s *Store) GetAuthCode(ctx context.Context, hash []byte) (*keypad.AuthCode, error) {
	c, err := scanAuthCode(s.db.QueryRowContext(ctx, `SELECT `+authCodeCols+` FROM auth_codes WHERE hash = $1`, hash))
	if err != nil {
		return nil, readErr("get authorization code", err)
	}
	return c, nil
}

// ConsumeAuthCode marks an unused, live code used at now with one
// conditional UPDATE: exactly one of many concurrent callers gets it.
// Otherwise it returns ErrNotFound, or the code with ErrConsumed (checked
// first, so a replay is always seen as one) or ErrExpired.
func (s *Store) ConsumeAuthCode(ctx context.Context, hash []byte, now time.Time) (*keypad.AuthCode, error) {
	var c *keypad.AuthCode
	err := s.retry(ctx, func() (err error) {
		c, err = scanAuthCode(s.w.QueryRowContext(ctx, `UPDATE auth_codes SET used_at = $2
		WHERE hash = $1 AND used_at IS NULL AND (expires_at IS NULL OR expires_at > $2)
		RETURNING `+authCodeCols, hash, dbTime(now)))
		return err
	})
	if err == nil {
		return c, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("consume authorization code: %w", dbErr(err))
	}
	// The UPDATE that beat this one has committed, so a fresh read sees it.
	c, err = scanAuthCode(s.db.QueryRowContext(ctx, `SELECT `+authCodeCols+` FROM auth_codes WHERE hash = $1`, hash))
	if err != nil {
		return nil, readErr("consume authorization code", err)
	}
	if !c.UsedAt.IsZero() {
		return c, fmt.Errorf("consume authorization code: %w", keypad.ErrConsumed)
	}
	return c, fmt.Errorf("consume authorization code: %w", keypad.ErrExpired)
}
