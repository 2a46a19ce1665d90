package keypad

import (
	"context"
	"errors"
	"time"
)

// ErrStale means a conditional write found the record changed since the
// caller read it (its UpdatedAt is no longer the one the caller saw);
// nothing was written. The admin API answers it 412 Precondition Failed.
var ErrStale = errors.New("changed since it was read")

// ConditionalStore writes clients and people only if they are still as
// the caller read them, as the admin API's If-Match asks. The condition
// is part of the write itself (UPDATE … WHERE updated_at = read), never a
// read before it, so of any number of writers racing from the same
// version exactly one succeeds and the others get ErrStale.
//
// UpdatedAt is the version: a writer sets it with NextUpdatedAt, so each
// successful write changes it.
type ConditionalStore interface {
	// UpdateClientIf replaces the stored client with c's ID if its
	// UpdatedAt is still read. Returns ErrNotFound if there is no such
	// client, ErrStale if it changed.
	UpdateClientIf(ctx context.Context, c *Client, read time.Time) error
	// DeleteClientIf deletes a client as DeleteClient does, if its
	// UpdatedAt is still read. Returns ErrNotFound or ErrStale.
	DeleteClientIf(ctx context.Context, id string, read time.Time) error
	// UpdateSubjectIf replaces a subject (and its identifiers) as
	// UpdateSubject does, if its UpdatedAt is still read. Returns
	// ErrNotFound, ErrStale, or ErrConflict if the new username or
	// external ID is taken.
	UpdateSubjectIf(ctx context.Context, s *Subject, read time.Time) error
	// DeleteSubjectIf deletes a subject as DeleteSubject does, if its
	// UpdatedAt is still read. Returns ErrNotFound or ErrStale.
	DeleteSubjectIf(ctx context.Context, id string, read time.Time) error
	// PutScopeIf replaces an existing scope's descriptions if they are
	// still read's (a scope's version is its descriptions, in every
	// language). Returns ErrNotFound or ErrStale.
	PutScopeIf(ctx context.Context, s *Scope, read *Scope) error
	// DeleteScopeIf removes a scope if its descriptions are still read's.
	// Returns ErrNotFound or ErrStale.
	DeleteScopeIf(ctx context.Context, read *Scope) error
}

// NextUpdatedAt is the UpdatedAt of a record written at now whose
// previous version had prev: now at the stores' microsecond precision,
// but always after prev, so that every write makes a new version even
// when two fall in the same microsecond or the clock stands still.
func NextUpdatedAt(prev, now time.Time) time.Time {
	t := now.UTC().Truncate(time.Microsecond)
	if !t.After(prev) {
		t = prev.UTC().Truncate(time.Microsecond).Add(time.Microsecond)
	}
	return t
}
