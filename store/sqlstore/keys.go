package sqlstore

import (
	"context"
	"database/sql"
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
	what := fmt.Sprintf("create key %q", k.ID)
	return s.execChange(ctx, keypad.ChangeKeys, func(_ sql.Result, err error) error {
		if err != nil {
			return insertErr(what, err)
		}
		return nil
	}, `INSERT INTO signing_keys (`+keyCols+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		k.ID, k.Algorithm, dbBytes(k.PrivateSealed), dbBytes(k.Public), dbTime(k.CreatedAt), dbTime(k.RetiredAt))
}

// CreateCurrentKey stores k unless an unretired key of its algorithm
// exists (ErrConflict). The check and the insert run in one transaction
// under a lock (an advisory lock on PostgreSQL, where two READ COMMITTED
// transactions would both see no key; the write lock BEGIN IMMEDIATE takes
// on SQLite), so racing instances create one key between them.
func (s *Store) CreateCurrentKey(ctx context.Context, k *keypad.SigningKey) error {
	what := fmt.Sprintf("create current %s key %q", k.Algorithm, k.ID)
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if s.d.lockKeys != "" {
			if _, err := tx.ExecContext(ctx, s.d.lockKeys); err != nil {
				return fmt.Errorf("%s: lock keys: %w", what, dbErr(err))
			}
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM signing_keys WHERE algorithm = $1 AND retired_at IS NULL`,
			k.Algorithm).Scan(&n); err != nil {
			return fmt.Errorf("%s: %w", what, dbErr(err))
		}
		if n > 0 {
			return fmt.Errorf("%s: a current key exists: %w", what, keypad.ErrConflict)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO signing_keys (`+keyCols+`) VALUES ($1, $2, $3, $4, $5, $6)`,
			k.ID, k.Algorithm, dbBytes(k.PrivateSealed), dbBytes(k.Public), dbTime(k.CreatedAt), dbTime(k.RetiredAt))
		if err != nil {
			return insertErr(what, err)
		}
		return s.bump(ctx, tx, keypad.ChangeKeys)
	})
}

// ListKeys returns every key, newest first.
func (s *Store) ListKeys(ctx context.Context) ([]*keypad.SigningKey, error) {
	return list(ctx, s.db, "list keys", scanKey,
		`SELECT `+keyCols+` FROM signing_keys ORDER BY created_at DESC, id DESC`)
}

// RetireKey marks a key retired at at; ErrNotFound if there is none.
func (s *Store) RetireKey(ctx context.Context, id string, at time.Time) error {
	what := fmt.Sprintf("retire key %q", id)
	return s.execChange(ctx, keypad.ChangeKeys, func(res sql.Result, err error) error { return mustAffect(what, res, err) },
		`UPDATE signing_keys SET retired_at = $2 WHERE id = $1`, id, dbTime(at))
}

// DeleteKey removes a key; ErrNotFound if there is none.
func (s *Store) DeleteKey(ctx context.Context, id string) error {
	what := fmt.Sprintf("delete key %q", id)
	return s.execChange(ctx, keypad.ChangeKeys, func(res sql.Result, err error) error { return mustAffect(what, res, err) },
		`DELETE FROM signing_keys WHERE id = $1`, id)
}
