package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/keypadauth/keypad"
)

// subject_identifiers has no index by subject (migration 13 dropped it):
// on a million people it was a third of an import's index work. A
// person's rows are found by their keys instead, which subjects.identifiers
// (written in the same transaction as the rows, by every writer) lists.

// storedIdentifiers reads the identifiers subject id has indexed, locking
// its row on PostgreSQL so that no other writer changes them before the
// transaction ends. ErrNotFound if there is no such subject.
func (s *Store) storedIdentifiers(ctx context.Context, tx *sql.Tx, id string) ([]keypad.Identifier, error) {
	var ids []keypad.Identifier
	err := tx.QueryRowContext(ctx, `SELECT identifiers FROM subjects WHERE id = $1`+s.d.forUpdate, id).Scan(jsonCol{&ids})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, keypad.ErrNotFound
	}
	return ids, err
}

// dropIdentifierRows deletes the index rows of the given subjects'
// identifiers, as few statements as the parameter limit allows.
func dropIdentifierRows(ctx context.Context, tx *sql.Tx, d *Dialect, rows []identRow) error {
	per := maxParams / 3
	for len(rows) > 0 {
		n := min(per, len(rows))
		var q strings.Builder
		q.WriteString(`DELETE FROM subject_identifiers WHERE (type, value, subject_id) IN (VALUES `)
		args := make([]any, 0, 3*n)
		for i, r := range rows[:n] {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(" + d.params(3, len(args)+1) + ")")
			args = append(args, r.typ, r.value, r.id)
		}
		q.WriteString(")")
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("drop identifiers: %w", dbErr(err))
		}
		rows = rows[n:]
	}
	return nil
}

// identRows are the index rows of subject id's identifiers.
func identRows(id string, ids []keypad.Identifier) []identRow {
	rows := make([]identRow, len(ids))
	for i, ident := range ids {
		rows[i] = identRow{string(ident.Type), ident.Value, id}
	}
	return rows
}
