package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/keypadauth/keypad"
)

const iatCols = `id, hash, expires_at, max_uses, uses, created_by, created_at`

func scanIAT(r scanner) (*keypad.InitialAccessToken, error) {
	var t keypad.InitialAccessToken
	if err := r.Scan(&t.ID, &t.Hash, tm(&t.ExpiresAt), &t.MaxUses, &t.Uses, &t.CreatedBy, tm(&t.CreatedAt)); err != nil {
		return nil, err
	}
	return &t, nil
}

// CreateInitialAccessToken stores a new initial access token; ErrConflict
// if its ID or hash is taken.
func (s *Store) CreateInitialAccessToken(ctx context.Context, t *keypad.InitialAccessToken) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO initial_access_tokens (`+iatCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		t.ID, t.Hash, dbTime(t.ExpiresAt), t.MaxUses, t.Uses, t.CreatedBy, dbTime(t.CreatedAt))
	if err != nil {
		return insertErr(fmt.Sprintf("create initial access token %q", t.ID), err)
	}
	return nil
}

// ListInitialAccessTokens returns every initial access token, oldest
// first.
func (s *Store) ListInitialAccessTokens(ctx context.Context) ([]*keypad.InitialAccessToken, error) {
	return list(ctx, s.db, "list initial access tokens", scanIAT,
		`SELECT `+iatCols+` FROM initial_access_tokens ORDER BY created_at, id`)
}

// DeleteInitialAccessToken removes one; ErrNotFound if there is none.
func (s *Store) DeleteInitialAccessToken(ctx context.Context, id string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM initial_access_tokens WHERE id = $1`, id)
	return mustAffect(fmt.Sprintf("delete initial access token %q", id), res, err)
}

const regCols = `client_id, token_hash, metadata, created_at, updated_at`

func scanRegistration(r scanner) (*keypad.ClientRegistration, error) {
	var g keypad.ClientRegistration
	if err := r.Scan(&g.ClientID, &g.TokenHash, js(&g.Metadata), tm(&g.CreatedAt), tm(&g.UpdatedAt)); err != nil {
		return nil, err
	}
	return &g, nil
}

// RegisterClient uses the initial access token (when given) with one
// conditional UPDATE and stores the client and its registration, all in
// one transaction: a token used up by a racing registration matches no
// row, so that registration writes nothing.
func (s *Store) RegisterClient(ctx context.Context, c *keypad.Client, r *keypad.ClientRegistration, initialToken []byte, now time.Time) error {
	what := fmt.Sprintf("register client %q", c.ID)
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if initialToken != nil {
			if err := useInitialToken(ctx, tx, initialToken, now); err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
		}
		_, err := tx.ExecContext(ctx, insertClient, clientArgs(c)...)
		if err != nil {
			return insertErr(what, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO client_registrations (`+regCols+`) VALUES ($1, $2, $3, $4, $5)`,
			r.ClientID, r.TokenHash, dbJSON(r.Metadata), dbTime(r.CreatedAt), dbTime(r.UpdatedAt)); err != nil {
			return insertErr(what, err)
		}
		return s.bump(ctx, tx, keypad.ChangeClients)
	})
}

// useInitialToken counts one use of a live token with uses left, or says
// why it cannot: ErrNotFound, ErrExpired or ErrConsumed.
func useInitialToken(ctx context.Context, tx *sql.Tx, hash []byte, now time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE initial_access_tokens SET uses = uses + 1
		WHERE hash = $1 AND expires_at > $2 AND (max_uses = 0 OR uses < max_uses)`, hash, dbTime(now))
	if err := mustAffect("use initial access token", res, err); !errors.Is(err, keypad.ErrNotFound) {
		return err
	}
	t, err := scanIAT(tx.QueryRowContext(ctx, `SELECT `+iatCols+` FROM initial_access_tokens WHERE hash = $1`, hash))
	if err != nil {
		return readErr("use initial access token", err)
	}
	if !now.Before(t.ExpiresAt) {
		return fmt.Errorf("use initial access token %q: %w", t.ID, keypad.ErrExpired)
	}
	return fmt.Errorf("use initial access token %q: %w", t.ID, keypad.ErrConsumed)
}

// GetClientRegistration returns a client's registration, or ErrNotFound.
func (s *Store) GetClientRegistration(ctx context.Context, clientID string) (*keypad.ClientRegistration, error) {
	g, err := scanRegistration(s.db.QueryRowContext(ctx, `SELECT `+regCols+` FROM client_registrations WHERE client_id = $1`, clientID))
	if err != nil {
		return nil, readErr(fmt.Sprintf("get registration of client %q", clientID), err)
	}
	return g, nil
}

// UpdateRegisteredClient replaces a client and its registration in one
// transaction; ErrNotFound if either is missing.
func (s *Store) UpdateRegisteredClient(ctx context.Context, c *keypad.Client, r *keypad.ClientRegistration) error {
	what := fmt.Sprintf("update registered client %q", c.ID)
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE client_registrations SET token_hash = $2, metadata = $3, updated_at = $4
			WHERE client_id = $1`, r.ClientID, r.TokenHash, dbJSON(r.Metadata), dbTime(r.UpdatedAt))
		if err := mustAffect(what, res, err); err != nil {
			return err
		}
		res, err = tx.ExecContext(ctx, updateClientSQL, clientArgs(c)...)
		if err := mustAffect(what, res, err); err != nil {
			return err
		}
		return s.bump(ctx, tx, keypad.ChangeClients)
	})
}
