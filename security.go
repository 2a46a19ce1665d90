package keypad

import (
	"context"
	"time"
)

// CounterStore keeps security counters (attempts on a code, a session, a
// person, an IP) in the store, so limits hold across keypad instances.
type CounterStore interface {
	// Hit adds one to the fixed-window counter key and returns the count in
	// the current window. A window that ended before now starts again at 1.
	// The increment is atomic: n concurrent hits yield n distinct counts.
	Hit(ctx context.Context, key string, window time.Duration, now time.Time) (int64, error)
	// Count returns the counter's value in its current window (0 if none).
	Count(ctx context.Context, key string, now time.Time) (int64, error)
	// Unhit takes back one hit made at chargedAt with the given window: a
	// charge made ahead of work that then did not happen (a send that the
	// cap refused, a delivery that failed). It touches only the window
	// that held chargedAt (never a later one, which ends after
	// chargedAt+window), never takes the count below zero, and does
	// nothing once that window has ended.
	Unhit(ctx context.Context, key string, window time.Duration, chargedAt time.Time) error
	// ResetCounter deletes a counter (after a success, say).
	ResetCounter(ctx context.Context, key string) error
}

// AuditEvent records a security-relevant event: a rejected code, a revoked
// family, an issued token. It never holds a secret.
type AuditEvent struct {
	ID       int64
	Time     time.Time
	Type     string // e.g. "device.code_rejected", "token.issued"
	ClientID string
	Subject  string
	IP       string
	// Detail is a short, secret-free description.
	Detail string
}

// AuditStore keeps the audit log.
type AuditStore interface {
	// AddAuditEvent appends an event.
	AddAuditEvent(ctx context.Context, e *AuditEvent) error
	// ListAuditEvents returns the newest events first, at most limit.
	ListAuditEvents(ctx context.Context, limit int) ([]*AuditEvent, error)
}
