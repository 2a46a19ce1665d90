package keypad

import (
	"context"
	"time"
)

// SubjectModifier changes a person in one read-modify-write, for callers
// that must not lose a concurrent change (SCIM's If-Match) and for
// disabling a person, which must end what they hold in the same step.
type SubjectModifier interface {
	// ModifySubject reads the subject, calls fn on it and stores what fn
	// left (identifiers included), in one transaction that holds the
	// subject's row, so that racing callers see each other's writes one
	// after the other. When the stored result is Disabled, every grant of
	// the subject and every token issued for it are revoked at now, and
	// their browser sessions, authorization codes and OTP sessions are
	// deleted, in the same transaction: a disabled person holds nothing.
	// fn must not change the ID and must not use the store.
	//
	// Returns ErrNotFound if there is no such subject, ErrConflict if the
	// new username or external ID is another subject's, and fn's error
	// unchanged (nothing written) if fn fails.
	ModifySubject(ctx context.Context, id string, now time.Time, fn func(*Subject) error) (*Subject, error)
}
