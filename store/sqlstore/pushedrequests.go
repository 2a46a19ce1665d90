package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/keypadauth/keypad"
)

const pushedCols = `hash, client_id, params, created_at, expires_at, used_at`

func scanPushed(r scanner) (*keypad.PushedRequest, error) {
	var p keypad.PushedRequest
	if err := r.Scan(&p.Hash, &p.ClientID, &p.Params, tm(&p.CreatedAt), tm(&p.ExpiresAt), tm(&p.UsedAt)); err != nil {
		return nil, err
	}
	return &p, nil
}

// CreatePushedRequest stores a pushed authorization request; ErrConflict
// if the hash exists.
func (s *Store) CreatePushedRequest(ctx context.Context, p *keypad.PushedRequest) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO pushed_requests (`+pushedCols+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		p.Hash, p.ClientID, p.Params, dbTime(p.CreatedAt), dbTime(p.ExpiresAt), dbTime(p.UsedAt))
	if err != nil {
		return insertErr("create pushed request", err)
	}
	return nil
}

// ConsumePushedRequest marks an unused, live pushed request used at now
// with one conditional UPDATE, so exactly one of many concurrent callers
// gets it; otherwise ErrNotFound, or the request with ErrConsumed
// (checked first) or ErrExpired.
func (s *Store) ConsumePushedRequest(ctx context.Context, hash []byte, now time.Time) (*keypad.PushedRequest, error) {
	var p *keypad.PushedRequest
	err := s.retry(ctx, func() (err error) {
		p, err = scanPushed(s.w.QueryRowContext(ctx, `UPDATE pushed_requests SET used_at = $2
		WHERE hash = $1 AND used_at IS NULL AND expires_at > $2
		RETURNING `+pushedCols, hash, dbTime(now)))
		return err
	})
	if err == nil {
		return p, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("consume pushed request: %w", dbErr(err))
	}
	p, err = scanPushed(s.w.QueryRowContext(ctx, `SELECT `+pushedCols+` FROM pushed_requests WHERE hash = $1`, hash))
	if err != nil {
		return nil, readErr("consume pushed request", err)
	}
	if !p.UsedAt.IsZero() {
		return p, fmt.Errorf("consume pushed request: %w", keypad.ErrConsumed)
	}
	return p, fmt.Errorf("consume pushed request: %w", keypad.ErrExpired)
}
