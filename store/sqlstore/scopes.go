package sqlstore

import (
	"context"
	"fmt"

	"github.com/keypadauth/keypad"
)

func scanScope(r scanner) (*keypad.Scope, error) {
	var sc keypad.Scope
	if err := r.Scan(&sc.Name, &sc.Description, js(&sc.Descriptions)); err != nil {
		return nil, err
	}
	sc.Descriptions = noDescriptions(sc.Descriptions)
	return &sc, nil
}

// PutScope creates or replaces a scope.
func (s *Store) PutScope(ctx context.Context, sc *keypad.Scope) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO scopes (name, description, descriptions) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET description = excluded.description, descriptions = excluded.descriptions`,
		sc.Name, sc.Description, dbDescriptions(sc.Descriptions))
	if err != nil {
		return fmt.Errorf("put scope %q: %w", sc.Name, dbErr(err))
	}
	return nil
}

// GetScope returns a scope, or ErrNotFound.
func (s *Store) GetScope(ctx context.Context, name string) (*keypad.Scope, error) {
	sc, err := scanScope(s.db.QueryRowContext(ctx, `SELECT name, description, descriptions FROM scopes WHERE name = $1`, name))
	if err != nil {
		return nil, readErr(fmt.Sprintf("get scope %q", name), err)
	}
	return sc, nil
}

// ListScopes returns the catalogue ordered by name.
func (s *Store) ListScopes(ctx context.Context) ([]*keypad.Scope, error) {
	return list(ctx, s.db, "list scopes", scanScope, `SELECT name, description, descriptions FROM scopes ORDER BY name`)
}

// DeleteScope removes a scope, or returns ErrNotFound.
func (s *Store) DeleteScope(ctx context.Context, name string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM scopes WHERE name = $1`, name)
	return mustAffect(fmt.Sprintf("delete scope %q", name), res, err)
}
