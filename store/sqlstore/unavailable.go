package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/keypadauth/keypad"
)

// SQLite primary result codes (the low byte of an extended code) that
// mean the database cannot serve now, whatever the statement.
const (
	sqliteBusy     = 5  // SQLITE_BUSY: another connection holds the lock
	sqliteLocked   = 6  // SQLITE_LOCKED
	sqliteReadOnly = 8  // SQLITE_READONLY: read-only file or directory
	sqliteIOErr    = 10 // SQLITE_IOERR
	sqliteFull     = 13 // SQLITE_FULL: disk full
	sqliteCantOpen = 14 // SQLITE_CANTOPEN
)

// pgUnavailableClasses are the SQLSTATE classes and codes of a server
// that cannot serve now: connection exceptions (08), insufficient
// resources such as a full disk (53), operator intervention such as
// pg_terminate_backend or a shutdown (57), a system error (58), a
// read-only transaction (25006, default_transaction_read_only or a hot
// standby) and a database that accepts no connections (55000 while
// connecting).
var (
	pgUnavailableClasses = []string{"08", "53", "57", "58"}
	pgUnavailableCodes   = []string{"25006", "55000"}
)

// errDBClosed is database/sql's own error for a closed *sql.DB, found by
// identity rather than by its text: database/sql does not export it.
var errDBClosed = func() error {
	db := sql.OpenDB(nopConnector{})
	db.Close()
	return db.PingContext(context.Background())
}()

type nopConnector struct{}

func (nopConnector) Connect(context.Context) (driver.Conn, error) { return nil, driver.ErrBadConn }
func (nopConnector) Driver() driver.Driver                        { return nil }

// isUnavailable reports whether err means the database cannot serve
// right now (down, unreachable, closed, read-only, full or busy) rather
// than that this statement is wrong. Errors are recognised by type and
// code, never by text.
func isUnavailable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false // the caller hung up; the database may be fine
	}
	if errors.Is(err, errDBClosed) || errors.Is(err, sql.ErrConnDone) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var se sqliteError
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqliteBusy, sqliteLocked, sqliteReadOnly, sqliteIOErr, sqliteFull, sqliteCantOpen:
			return true
		}
		return false
	}
	if isRetryable(err) {
		// A serialization failure or deadlock that was not (or no longer)
		// retried: nothing was written, and the request may simply be
		// made again.
		return true
	}
	var pe pgError
	if errors.As(err, &pe) {
		state := pe.SQLState()
		for _, c := range pgUnavailableCodes {
			if state == c {
				return true
			}
		}
		for _, c := range pgUnavailableClasses {
			if len(state) == 5 && state[:2] == c {
				return true
			}
		}
	}
	return false
}

// unavailableError marks a database error as keypad.ErrUnavailable while
// keeping the driver's error (and its message, for the log) in the chain.
type unavailableError struct{ err error }

func (e *unavailableError) Error() string { return e.err.Error() }
func (e *unavailableError) Unwrap() error { return e.err }

// Is makes errors.Is(err, keypad.ErrUnavailable) true.
func (e *unavailableError) Is(target error) bool { return target == keypad.ErrUnavailable }

// dbErr returns err marked as keypad.ErrUnavailable when the database
// cannot serve, and err unchanged otherwise. Every error that leaves the
// store passes here, so the layers above recognise an outage by
// errors.Is alone.
func dbErr(err error) error {
	if err == nil || errors.Is(err, keypad.ErrUnavailable) || !isUnavailable(err) {
		return err
	}
	return &unavailableError{err}
}
