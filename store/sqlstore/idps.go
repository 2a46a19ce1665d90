package sqlstore

import (
	"context"
	"fmt"

	"github.com/keypadauth/keypad"
)

const idpCols = `id, name, entity_id, certificates, name_id_map, created_at, updated_at`

func scanIdP(r scanner) (*keypad.IdP, error) {
	var p keypad.IdP
	if err := r.Scan(&p.ID, &p.Name, &p.EntityID, js(&p.Certificates), &p.NameIDMap, tm(&p.CreatedAt), tm(&p.UpdatedAt)); err != nil {
		return nil, err
	}
	return &p, nil
}

// CreateIdP stores a new IdP; ErrConflict if its ID or entity ID is taken.
func (s *Store) CreateIdP(ctx context.Context, p *keypad.IdP) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO saml_idps (`+idpCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		p.ID, p.Name, p.EntityID, dbJSON(p.Certificates), p.NameIDMap, dbTime(p.CreatedAt), dbTime(p.UpdatedAt))
	if err != nil {
		return insertErr(fmt.Sprintf("create idp %q", p.ID), err)
	}
	return nil
}

// GetIdP returns an IdP by ID, or ErrNotFound.
func (s *Store) GetIdP(ctx context.Context, id string) (*keypad.IdP, error) {
	p, err := scanIdP(s.readRow(ctx, `SELECT `+idpCols+` FROM saml_idps WHERE id = $1`, id))
	if err != nil {
		return nil, readErr(fmt.Sprintf("get idp %q", id), err)
	}
	return p, nil
}

// GetIdPByEntityID returns the IdP with that entity ID, or ErrNotFound.
func (s *Store) GetIdPByEntityID(ctx context.Context, entityID string) (*keypad.IdP, error) {
	p, err := scanIdP(s.readRow(ctx, `SELECT `+idpCols+` FROM saml_idps WHERE entity_id = $1`, entityID))
	if err != nil {
		return nil, readErr("get idp by entity id", err)
	}
	return p, nil
}

// ListIdPs returns every IdP ordered by ID.
func (s *Store) ListIdPs(ctx context.Context) ([]*keypad.IdP, error) {
	return list(ctx, s.db, "list idps", scanIdP, `SELECT `+idpCols+` FROM saml_idps ORDER BY id`)
}

// UpdateIdP replaces a stored IdP; ErrNotFound if there is none,
// ErrConflict if its entity ID is another's.
func (s *Store) UpdateIdP(ctx context.Context, p *keypad.IdP) error {
	res, err := s.w.ExecContext(ctx, `UPDATE saml_idps SET name = $2, entity_id = $3, certificates = $4,
		name_id_map = $5, created_at = $6, updated_at = $7 WHERE id = $1`,
		p.ID, p.Name, p.EntityID, dbJSON(p.Certificates), p.NameIDMap, dbTime(p.CreatedAt), dbTime(p.UpdatedAt))
	return mustAffect(fmt.Sprintf("update idp %q", p.ID), res, err)
}

// DeleteIdP removes an IdP, or returns ErrNotFound.
func (s *Store) DeleteIdP(ctx context.Context, id string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM saml_idps WHERE id = $1`, id)
	return mustAffect(fmt.Sprintf("delete idp %q", id), res, err)
}
