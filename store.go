package keypad

import (
	"context"
	"time"
)

// Store is everything keypad keeps. Backends (store/sqlite,
// store/postgres) implement it and pass the one conformance suite in
// store/storetest. Each flow adds a small interface of its own here.
type Store interface {
	ClientStore
	ScopeStore
	SubjectStore
	SubjectModifier
	GrantStore
	TokenStore
	KeyStore
	CounterStore
	AuditStore
	DeviceStore
	SessionStore
	AuthCodeStore
	OTPStore
	OTPQueueStore
	CIBAStore
	OutboxStore
	IdPStore
	DPoPStore
	PushedRequestStore
	ConditionalStore
	IdempotencyStore
	AuditQueryStore
	ImportJobStore
	RegistrationStore

	// PurgeExpired deletes every record whose lifetime ended before now
	// (tokens, codes, sessions, revoked jtis, stale counters) and returns
	// how many went.
	PurgeExpired(ctx context.Context, now time.Time) (int, error)

	// Ping reports whether the store is reachable (readiness).
	Ping(ctx context.Context) error
	// Close releases the store's resources.
	Close() error
}
