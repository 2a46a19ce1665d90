package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/keypadauth/keypad"
)

const keyCols = `id, algorithm, private_sealed, public_key, created_at, retired_at`

func scanKey(r scanner) (*keypad.SigningKey, error) {
	var k keypad.SigningKey
	if err := r.Scan(&k.ID, &k.Algorithm, &k.PrivateSealed, &k.Public, tm(&k.CreatedAt), tm(&k.RetiredAt)); err != nil {
		return nil, err
	}
	return &k, nil
}

// CreateKey stores a signing key; ErrConflict if the kid exists.
func (s *Store) CreateKey(ctx context.Context, k *keypad.SigningKey) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO signing_keys (`+keyCols+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		k.ID, k.Algorithm, dbBytes(k.PrivateSealed), dbBytes(k.Public), dbTime(k.CreatedAt), dbTime(k.RetiredAt))
	if err != nil {
		return insertErr(fmt.Sprintf("create key %q", k.ID), err)
	}
	return nil
}

// ListKeys returns every key, newest first.
func (s *Store) ListKeys(ctx context.Context) ([]*keypad.SigningKey, error) {
	return list(ctx, s.db, "list keys", scanKey,
		`SELECT `+keyCols+` FROM signing_keys ORDER BY created_at DESC, id DESC`)
}

// RetireKey marks a key retired at at; ErrNotFound if there is none.
func (s *Store) RetireKey(ctx context.Context, id string, at time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE signing_keys SET retired_at = $2 WHERE id = $1`, id, dbTime(at))
	return mustAffect(fmt.Sprintf("retire key %q", id), res, err)
}

// DeleteKey removes a key; ErrNotFound if there is none.
func (s *Store) DeleteKey(ctx context.Context, id string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM signing_keys WHERE id = $1`, id)
	return mustAffect(fmt.Sprintf("delete key %q", id), res, err)
}
