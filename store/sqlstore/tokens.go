package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/keypadauth/keypad"
)

const tokenCols = `hash, kind, client_id, subject, scopes, audience, grant_id, family_id,
	issued_at, expires_at, used_at, revoked_at, jkt`

func scanToken(r scanner) (*keypad.Token, error) {
	var t keypad.Token
	var kind string
	err := r.Scan(&t.Hash, &kind, &t.ClientID, &t.Subject, js(&t.Scopes), js(&t.Audience),
		&t.GrantID, &t.FamilyID, tm(&t.IssuedAt), tm(&t.ExpiresAt), tm(&t.UsedAt), tm(&t.RevokedAt), &t.JKT)
	if err != nil {
		return nil, err
	}
	t.Kind = keypad.TokenKind(kind)
	return &t, nil
}

// insertToken stores one token record.
const insertToken = `INSERT INTO tokens (` + tokenCols + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`

// CreateToken stores a token record; ErrConflict if the hash exists. It is
// the token endpoint's one write, so it is a single INSERT; on SQLite the
// inserts of concurrent requests share commits (groupCommit).
func (s *Store) CreateToken(ctx context.Context, t *keypad.Token) error {
	args := []any{t.Hash, string(t.Kind), t.ClientID, t.Subject, dbJSON(t.Scopes), dbJSON(t.Audience),
		t.GrantID, t.FamilyID, dbTime(t.IssuedAt), dbTime(t.ExpiresAt), dbTime(t.UsedAt), dbTime(t.RevokedAt), t.JKT}
	var err error
	if s.tokens != nil {
		err = s.tokens.insert(ctx, s, args)
	} else {
		_, err = s.exec(ctx, insertToken, args...)
	}
	if err != nil {
		return insertErr(fmt.Sprintf("create %s token", t.Kind), err)
	}
	return nil
}

// GetToken returns a token record in whatever state, or ErrNotFound.
func (s *Store) GetToken(ctx context.Context, hash []byte) (*keypad.Token, error) {
	t, err := scanToken(s.readRow(ctx, `SELECT `+tokenCols+` FROM tokens WHERE hash = $1`, hash))
	if err != nil {
		return nil, readErr("get token", err)
	}
	return t, nil
}

// ConsumeToken marks an unused, live token used at now with one
// conditional UPDATE, so of many concurrent callers (on any number of
// instances) exactly one wins. When nothing was updated it reads the
// record to say why: ErrNotFound, else the token together with
// ErrConsumed (checked first, so a replay is always seen as one),
// ErrRevoked or ErrExpired.
func (s *Store) ConsumeToken(ctx context.Context, hash []byte, now time.Time) (*keypad.Token, error) {
	var t *keypad.Token
	err := s.retry(ctx, func() (err error) {
		t, err = scanToken(s.w.QueryRowContext(ctx, `UPDATE tokens SET used_at = $2
		WHERE hash = $1 AND used_at IS NULL AND revoked_at IS NULL
		AND (expires_at IS NULL OR expires_at > $2)
		RETURNING `+tokenCols, hash, dbTime(now)))
		return err
	})
	if err == nil {
		return t, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("consume token: %w", dbErr(err))
	}
	// The UPDATE that beat this one has committed, so a fresh read sees it.
	t, err = s.GetToken(ctx, hash)
	if err != nil {
		return nil, fmt.Errorf("consume token: %w", dbErr(err))
	}
	switch {
	case !t.UsedAt.IsZero():
		return t, fmt.Errorf("consume token: %w", keypad.ErrConsumed)
	case !t.RevokedAt.IsZero():
		return t, fmt.Errorf("consume token: %w", keypad.ErrRevoked)
	default:
		return t, fmt.Errorf("consume token: %w", keypad.ErrExpired)
	}
}

// RevokeToken revokes one token; ErrNotFound if there is none. A token
// revoked before keeps its first revocation time.
func (s *Store) RevokeToken(ctx context.Context, hash []byte, now time.Time) error {
	var res sql.Result
	err := s.retry(ctx, func() (err error) {
		res, err = s.w.ExecContext(ctx, `UPDATE tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE hash = $1`,
			hash, dbTime(now))
		return err
	})
	return mustAffect("revoke token", res, err)
}

// revokeFamily repeats family_id <> ” so the partial index on family_id
// applies (TestQueryPlans).
const revokeFamily = `UPDATE tokens SET revoked_at = $2
	WHERE family_id = $1 AND family_id <> '' AND revoked_at IS NULL RETURNING expires_at`

// RevokeFamily revokes every token of a refresh family and returns how
// many of them were active (not revoked, not expired) at now.
func (s *Store) RevokeFamily(ctx context.Context, familyID string, now time.Time) (int, error) {
	if familyID == "" {
		// Tokens outside any family have an empty family_id: that is not a
		// family to revoke wholesale.
		return 0, nil
	}
	active := 0
	err := s.retry(ctx, func() error {
		active = 0
		rows, err := s.w.QueryContext(ctx, revokeFamily, familyID, dbTime(now))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var exp time.Time
			if err := rows.Scan(tm(&exp)); err != nil {
				return err
			}
			if exp.IsZero() || now.Before(exp) {
				active++
			}
		}
		return rows.Err()
	})
	if err != nil {
		return 0, fmt.Errorf("revoke token family: %w", err)
	}
	return active, nil
}

// RevokeJTI records that a JWT is revoked until exp. Revoking it again
// keeps the later expiry.
func (s *Store) RevokeJTI(ctx context.Context, jti string, exp time.Time) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO revoked_jtis (jti, expires_at) VALUES ($1, $2)
		ON CONFLICT (jti) DO UPDATE SET expires_at = CASE
			WHEN revoked_jtis.expires_at IS NULL OR excluded.expires_at IS NULL THEN NULL
			WHEN excluded.expires_at > revoked_jtis.expires_at THEN excluded.expires_at
			ELSE revoked_jtis.expires_at END`, jti, dbTime(exp))
	if err != nil {
		return fmt.Errorf("revoke jti: %w", dbErr(err))
	}
	return nil
}

// JTIRevoked reports whether a JWT's jti is on the revocation list.
func (s *Store) JTIRevoked(ctx context.Context, jti string) (bool, error) {
	var n int
	err := s.readRow(ctx, `SELECT count(*) FROM revoked_jtis WHERE jti = $1`, jti).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("check jti: %w", dbErr(err))
	}
	return n > 0, nil
}
