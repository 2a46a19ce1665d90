package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/keypadauth/keypad"
)

// Driver error codes keypad reacts to. They are recognised by code, never
// by message text.
const (
	sqliteConstraintPrimaryKey = 1555 // SQLITE_CONSTRAINT_PRIMARYKEY
	sqliteConstraintUnique     = 2067 // SQLITE_CONSTRAINT_UNIQUE

	pgUniqueViolation      = "23505"
	pgSerializationFailure = "40001"
	pgDeadlockDetected     = "40P01"
)

// sqliteError is implemented by modernc.org/sqlite's *Error; pgError by
// pgx's *pgconn.PgError. Matching on methods keeps this package free of
// driver imports.
type (
	sqliteError interface{ Code() int }
	pgError     interface{ SQLState() string }
)

// isUnique reports whether err is a unique or primary key violation.
func isUnique(err error) bool {
	var se sqliteError
	if errors.As(err, &se) {
		c := se.Code()
		return c == sqliteConstraintUnique || c == sqliteConstraintPrimaryKey
	}
	var pe pgError
	if errors.As(err, &pe) {
		return pe.SQLState() == pgUniqueViolation
	}
	return false
}

// isRetryable reports whether a transaction failed only because it raced
// another one and may simply run again.
func isRetryable(err error) bool {
	var pe pgError
	if errors.As(err, &pe) {
		s := pe.SQLState()
		return s == pgSerializationFailure || s == pgDeadlockDetected
	}
	return false
}

// insertErr turns the error of an INSERT into ErrConflict when it broke a
// unique key.
func insertErr(what string, err error) error {
	if isUnique(err) {
		return fmt.Errorf("%s: %w", what, keypad.ErrConflict)
	}
	return fmt.Errorf("%s: %w", what, dbErr(err))
}

// readErr turns sql.ErrNoRows into ErrNotFound.
func readErr(what string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, keypad.ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, dbErr(err))
}

// mustAffect returns ErrNotFound when an UPDATE or DELETE matched no row.
func mustAffect(what string, res sql.Result, err error) error {
	if err != nil {
		if isUnique(err) {
			return fmt.Errorf("%s: %w", what, keypad.ErrConflict)
		}
		return fmt.Errorf("%s: %w", what, dbErr(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", what, dbErr(err))
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, keypad.ErrNotFound)
	}
	return nil
}
