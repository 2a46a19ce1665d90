package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/keypadauth/keypad"
)

const clientCols = `id, name, description, secret_hash, is_public, grant_types, scopes,
	redirect_uris, token_format, access_ttl, refresh_ttl, options, created_at, updated_at, descriptions`

// insertClient and updateClientSQL take clientArgs, in clientCols' order.
const (
	insertClient = `INSERT INTO clients (` + clientCols + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`
	updateClientSQL = `UPDATE clients SET name = $2, description = $3,
		secret_hash = $4, is_public = $5, grant_types = $6, scopes = $7, redirect_uris = $8,
		token_format = $9, access_ttl = $10, refresh_ttl = $11, options = $12,
		created_at = $13, updated_at = $14, descriptions = $15 WHERE id = $1`
)

// clientArgs are a client's column values in clientCols' order.
func clientArgs(c *keypad.Client) []any {
	return []any{c.ID, c.Name, c.Description, dbBytes(c.SecretHash), c.Public,
		dbJSON(c.GrantTypes), dbJSON(c.Scopes), dbJSON(c.RedirectURIs), string(c.TokenFormat),
		int64(c.AccessTTL), int64(c.RefreshTTL), dbJSON(c.Options), dbTime(c.CreatedAt), dbTime(c.UpdatedAt),
		dbDescriptions(c.Descriptions)}
}

func scanClient(r scanner) (*keypad.Client, error) {
	var c keypad.Client
	var format string
	var access, refresh int64
	err := r.Scan(&c.ID, &c.Name, &c.Description, &c.SecretHash, &c.Public,
		js(&c.GrantTypes), js(&c.Scopes), js(&c.RedirectURIs), &format,
		&access, &refresh, js(&c.Options), tm(&c.CreatedAt), tm(&c.UpdatedAt), js(&c.Descriptions))
	if err != nil {
		return nil, err
	}
	c.Descriptions = noDescriptions(c.Descriptions)
	c.TokenFormat = keypad.TokenFormat(format)
	c.AccessTTL, c.RefreshTTL = time.Duration(access), time.Duration(refresh)
	return &c, nil
}

// CreateClient stores a new client; ErrConflict if the ID is taken.
func (s *Store) CreateClient(ctx context.Context, c *keypad.Client) error {
	what := fmt.Sprintf("create client %q", c.ID)
	return s.execChange(ctx, keypad.ChangeClients, func(_ sql.Result, err error) error {
		if err != nil {
			return insertErr(what, err)
		}
		return nil
	}, insertClient, clientArgs(c)...)
}

// GetClient returns a client, or ErrNotFound.
func (s *Store) GetClient(ctx context.Context, id string) (*keypad.Client, error) {
	c, err := scanClient(s.readRow(ctx, `SELECT `+clientCols+` FROM clients WHERE id = $1`, id))
	if err != nil {
		return nil, readErr(fmt.Sprintf("get client %q", id), err)
	}
	return c, nil
}

// ListClients returns every client ordered by ID.
func (s *Store) ListClients(ctx context.Context) ([]*keypad.Client, error) {
	return list(ctx, s.db, "list clients", scanClient, `SELECT `+clientCols+` FROM clients ORDER BY id`)
}

// UpdateClient replaces a stored client; ErrNotFound if there is none.
func (s *Store) UpdateClient(ctx context.Context, c *keypad.Client) error {
	return s.updateClient(ctx, c, nil)
}

// updateClient replaces a stored client, when read is set only if its
// updated_at is still *read (the condition is the UPDATE's own, see
// ConditionalStore); ErrNotFound, ErrStale.
func (s *Store) updateClient(ctx context.Context, c *keypad.Client, read *time.Time) error {
	what := fmt.Sprintf("update client %q", c.ID)
	cond, args := versionCond(read, clientArgs(c))
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, updateClientSQL+cond, args...)
		if err := mustAffectIf(ctx, tx, what, "clients", c.ID, res, err); err != nil {
			return err
		}
		return s.bump(ctx, tx, keypad.ChangeClients)
	})
}

// DeleteClient removes a client with its grants, tokens and pending codes,
// device authorizations and OTP sessions; ErrNotFound if there is none.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	return s.deleteClient(ctx, id, nil)
}

// deleteClient is DeleteClient, when read is set only if the client's
// updated_at is still *read; ErrNotFound, ErrStale.
func (s *Store) deleteClient(ctx context.Context, id string, read *time.Time) error {
	cond, args := versionCond(read, []any{id})
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM clients WHERE id = $1`+cond, args...)
		if err := mustAffectIf(ctx, tx, fmt.Sprintf("delete client %q", id), "clients", id, res, err); err != nil {
			return err
		}
		for _, table := range []string{"tokens", "grants", "auth_codes", "device_authorizations", "otp_sessions", "client_registrations"} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE client_id = $1`, id); err != nil {
				return fmt.Errorf("delete client %q: delete its %s: %w", id, table, dbErr(err))
			}
		}
		return s.bump(ctx, tx, keypad.ChangeClients)
	})
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// list runs a query and scans every row.
func list[T any](ctx context.Context, q querier, what string, scan func(scanner) (*T, error), query string, args ...any) ([]*T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, dbErr(err))
	}
	defer rows.Close()
	var out []*T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, dbErr(err))
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, dbErr(err))
	}
	return out, nil
}
