package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
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
// there, changed) from ErrNotFound.
func mustAffectIf(ctx context.Context, tx *sql.Tx, what, table, id string, res sql.Result, err error) error {
	err = mustAffect(what, res, err)
	if !errors.Is(err, keypad.ErrNotFound) {
		return err
	}
	var one int
	switch err := tx.QueryRowContext(ctx, `SELECT 1 FROM `+table+` WHERE id = $1`, id).Scan(&one); {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%s: %w", what, keypad.ErrNotFound)
	case err != nil:
		return fmt.Errorf("%s: %w", what, dbErr(err))
	}
	return fmt.Errorf("%s: %w", what, keypad.ErrStale)
}
