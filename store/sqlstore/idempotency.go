package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/keypadauth/keypad"
)

const idempotencyCols = `key_hash, request_hash, status, header, body, created_at, expires_at`

func scanIdempotency(r scanner) (*keypad.IdempotencyRecord, error) {
	var rec keypad.IdempotencyRecord
	err := r.Scan(&rec.KeyHash, &rec.RequestHash, &rec.Status, js(&rec.Header), &rec.Body,
		tm(&rec.CreatedAt), tm(&rec.ExpiresAt))
	if err != nil {
		return nil, err
	}
	return &rec, nil
}

// ClaimIdempotencyKey stores an in-progress record unless a live one
// holds the key: then it returns that one with ErrConflict. An expired
// record is replaced in the same transaction.
func (s *Store) ClaimIdempotencyKey(ctx context.Context, r *keypad.IdempotencyRecord, now time.Time) (*keypad.IdempotencyRecord, error) {
	var held *keypad.IdempotencyRecord
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		held = nil
		if _, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE key_hash = $1 AND expires_at <= $2`,
			r.KeyHash, now.UnixMicro()); err != nil {
			return fmt.Errorf("claim idempotency key: drop the expired one: %w", dbErr(err))
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys (`+idempotencyCols+`)
			VALUES ($1, $2, 0, $3, NULL, $4, $5) ON CONFLICT (key_hash) DO NOTHING`,
			r.KeyHash, r.RequestHash, dbJSON(map[string]string{}), dbTime(r.CreatedAt), r.ExpiresAt.UnixMicro())
		if err := mustAffect("claim idempotency key", res, err); !errors.Is(err, keypad.ErrNotFound) {
			return err
		}
		held, err = scanIdempotency(tx.QueryRowContext(ctx, `SELECT `+idempotencyCols+` FROM idempotency_keys WHERE key_hash = $1`, r.KeyHash))
		if err != nil {
			return readErr("claim idempotency key: read the holder", err)
		}
		return nil
	})
	switch {
	case err != nil:
		return nil, err
	case held != nil:
		return held, fmt.Errorf("claim idempotency key: %w", keypad.ErrConflict)
	}
	return nil, nil
}

// CompleteIdempotencyKey records a claimed key's answer; ErrNotFound if
// the claim is gone.
func (s *Store) CompleteIdempotencyKey(ctx context.Context, keyHash []byte, status int, header map[string]string, body []byte) error {
	res, err := s.exec(ctx, `UPDATE idempotency_keys SET status = $2, header = $3, body = $4 WHERE key_hash = $1`,
		keyHash, status, dbJSON(header), body)
	return mustAffect("complete idempotency key", res, err)
}

// ReleaseIdempotencyKey deletes a claim; a missing one is no error.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, keyHash []byte) error {
	if _, err := s.exec(ctx, `DELETE FROM idempotency_keys WHERE key_hash = $1`, keyHash); err != nil {
		return fmt.Errorf("release idempotency key: %w", dbErr(err))
	}
	return nil
}
