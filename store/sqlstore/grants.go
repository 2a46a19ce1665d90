package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/keypadauth/keypad"
)

const grantCols = `id, subject, client_id, scopes, device_name, flow, created_at, last_used_at, revoked_at`

func scanGrant(r scanner) (*keypad.Grant, error) {
	var g keypad.Grant
	err := r.Scan(&g.ID, &g.Subject, &g.ClientID, js(&g.Scopes), &g.DeviceName, &g.Flow,
		tm(&g.CreatedAt), tm(&g.LastUsedAt), tm(&g.RevokedAt))
	if err != nil {
		return nil, err
	}
	return &g, nil
}

// CreateGrant stores a grant; ErrConflict if the ID exists.
func (s *Store) CreateGrant(ctx context.Context, g *keypad.Grant) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO grants (`+grantCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		g.ID, g.Subject, g.ClientID, dbJSON(g.Scopes), g.DeviceName, g.Flow,
		dbTime(g.CreatedAt), dbTime(g.LastUsedAt), dbTime(g.RevokedAt))
	if err != nil {
		return insertErr(fmt.Sprintf("create grant %q", g.ID), err)
	}
	return nil
}

// GetGrant returns a grant, or ErrNotFound.
func (s *Store) GetGrant(ctx context.Context, id string) (*keypad.Grant, error) {
	g, err := scanGrant(s.readRow(ctx, `SELECT `+grantCols+` FROM grants WHERE id = $1`, id))
	if err != nil {
		return nil, readErr(fmt.Sprintf("get grant %q", id), err)
	}
	return g, nil
}

// ListGrants returns a subject's grants (a client's when subject is empty),
// newest first, revoked ones included. With both set, only the subject's
// grants to that client.
func (s *Store) ListGrants(ctx context.Context, subject, clientID string) ([]*keypad.Grant, error) {
	q := `SELECT ` + grantCols + ` FROM grants WHERE `
	var args []any
	switch {
	case subject != "" && clientID != "":
		q += `subject = $1 AND client_id = $2`
		args = []any{subject, clientID}
	case subject != "":
		q += `subject = $1`
		args = []any{subject}
	default:
		q += `client_id = $1`
		args = []any{clientID}
	}
	q += ` ORDER BY created_at DESC, id DESC`
	return list(ctx, s.db, "list grants", scanGrant, q, args...)
}

// TouchGrant records a use of the grant at now; ErrNotFound if there is
// none.
func (s *Store) TouchGrant(ctx context.Context, id string, now time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE grants SET last_used_at = $2 WHERE id = $1`, id, dbTime(now))
	return mustAffect(fmt.Sprintf("touch grant %q", id), res, err)
}

// revokeGrantTokens repeats grant_id <> ” so the partial index on
// grant_id applies (TestQueryPlans).
const revokeGrantTokens = `UPDATE tokens SET revoked_at = $2
	WHERE grant_id = $1 AND grant_id <> '' AND revoked_at IS NULL`

// RevokeGrant revokes a grant and every token issued under it, in one
// transaction; ErrNotFound if there is none. A grant revoked before keeps
// its first revocation time.
func (s *Store) RevokeGrant(ctx context.Context, id string, now time.Time) error {
	what := fmt.Sprintf("revoke grant %q", id)
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE grants SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1`, id, dbTime(now))
		if err := mustAffect(what, res, err); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, revokeGrantTokens, id, dbTime(now)); err != nil {
			return fmt.Errorf("%s: revoke its tokens: %w", what, dbErr(err))
		}
		return nil
	})
}
