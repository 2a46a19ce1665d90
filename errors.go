package keypad

import (
	"errors"
	"fmt"
)

// Sentinel errors returned by Store implementations. Callers test them with
// errors.Is; implementations may wrap them with context.
var (
	// ErrNotFound means the record does not exist (or no longer exists).
	ErrNotFound = errors.New("not found")
	// ErrConflict means a record with the same unique key already exists.
	ErrConflict = errors.New("already exists")
	// ErrConsumed means a single-use record (code, refresh token, OTP) was
	// already used. Exactly one caller ever consumes a record; every other
	// caller sees ErrConsumed.
	ErrConsumed = errors.New("already used")
	// ErrExpired means the record exists but its lifetime is over.
	ErrExpired = errors.New("expired")
	// ErrRevoked means the record was revoked.
	ErrRevoked = errors.New("revoked")
	// ErrUnavailable means the store cannot serve right now: the database
	// is down, unreachable, closed, read-only, full or busy. It says
	// nothing about the request, so callers answer "try again shortly"
	// (503, temporarily_unavailable) rather than blame the caller or
	// report a bug.
	ErrUnavailable = errors.New("store unavailable")
)

// SchemaError reports that the database schema is not the one this binary
// was built for. Start-up refuses to serve on such a database.
type SchemaError struct {
	Have, Want int
}

func (e *SchemaError) Error() string {
	if e.Have < e.Want {
		return fmt.Sprintf("database schema is at version %d, this keypad needs %d: run `keypad migrate` first", e.Have, e.Want)
	}
	return fmt.Sprintf("database schema is at version %d, newer than this keypad understands (%d): upgrade keypad", e.Have, e.Want)
}

// ValidationError reports a value that breaks a domain rule; Field names
// the offending field so the CLI and the API can say which.
type ValidationError struct {
	Field   string
	Message string
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("%s: %s", e.Field, e.Message)
}
