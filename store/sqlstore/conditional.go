package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/keypadauth/keypad"
)

// UpdateClientIf replaces a client if its updated_at is still read;
// ErrNotFound, ErrStale.
func (s *Store) UpdateClientIf(ctx context.Context, c *keypad.Client, read time.Time) error {
	return s.updateClient(ctx, c, &read)
}

// DeleteClientIf deletes a client if its updated_at is still read;
// ErrNotFound, ErrStale.
func (s *Store) DeleteClientIf(ctx context.Context, id string, read time.Time) error {
	return s.deleteClient(ctx, id, &read)
}

// UpdateSubjectIf replaces a subject if its updated_at is still read;
// ErrNotFound, ErrStale, ErrConflict.
func (s *Store) UpdateSubjectIf(ctx context.Context, sub *keypad.Subject, read time.Time) error {
	return s.updateSubject(ctx, sub, &read)
}

// DeleteSubjectIf deletes a subject if its updated_at is still read;
// ErrNotFound, ErrStale.
func (s *Store) DeleteSubjectIf(ctx context.Context, id string, read time.Time) error {
	return s.deleteSubject(ctx, id, &read)
}

// versionCond is the WHERE condition of a conditional write (none when
// read is nil), with its argument appended to args.
func versionCond(read *time.Time, args []any) (string, []any) {
	switch {
	case read == nil:
		return "", args
	case read.IsZero():
		return ` AND updated_at IS NULL`, args
	}
	args = append(args, dbTime(*read))
	return ` AND updated_at = $` + strconv.Itoa(len(args)), args
}

// mustAffectIf is mustAffect for a write that may have been conditional:
// when it matched no row, the row with id in table tells ErrStale (it is
// there, changed) from ErrNotFound. table is "name" or "table key" when
// its key column is not id.
func mustAffectIf(ctx context.Context, tx querier, what, table, id string, res sql.Result, err error) error {
	err = mustAffect(what, res, err)
	if !errors.Is(err, keypad.ErrNotFound) {
		return err
	}
	key := "id"
	if t, k, ok := strings.Cut(table, " "); ok {
		table, key = t, k
	}
	rows, err := tx.QueryContext(ctx, `SELECT 1 FROM `+table+` WHERE `+key+` = $1`, id)
	if err != nil {
		return fmt.Errorf("%s: %w", what, dbErr(err))
	}
	found := rows.Next()
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", what, dbErr(err))
	}
	if !found {
		return fmt.Errorf("%s: %w", what, keypad.ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, keypad.ErrStale)
}

// PutScopeIf replaces a scope's description if it is still read;
// ErrNotFound, ErrStale.
func (s *Store) PutScopeIf(ctx context.Context, sc *keypad.Scope, read *keypad.Scope) error {
	what := fmt.Sprintf("put scope %q", sc.Name)
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE scopes SET description = $2, descriptions = $3
			WHERE name = $1 AND description = $4 AND descriptions = $5`,
			sc.Name, sc.Description, dbDescriptions(sc.Descriptions), read.Description, dbDescriptions(read.Descriptions))
		return mustAffectIf(ctx, tx, what, "scopes name", sc.Name, res, err)
	})
}

// DeleteScopeIf removes a scope if its description is still read;
// ErrNotFound, ErrStale.
func (s *Store) DeleteScopeIf(ctx context.Context, read *keypad.Scope) error {
	what := fmt.Sprintf("delete scope %q", read.Name)
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM scopes WHERE name = $1 AND description = $2 AND descriptions = $3`,
			read.Name, read.Description, dbDescriptions(read.Descriptions))
		return mustAffectIf(ctx, tx, what, "scopes name", read.Name, res, err)
	})
}
