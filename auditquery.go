package keypad

import (
	"context"
	"time"
)

// AuditQuery selects audit events: every condition set must hold. The
// zero value selects every event.
type AuditQuery struct {
	// From and Until bound the events' time: From <= Time < Until; a
	// zero bound is open.
	From, Until time.Time
	// Type, ClientID and Subject, when set, must equal the event's.
	Type, ClientID, Subject string
	// Before continues a listing: only events that come after it in the
	// order (older, or as old with a smaller ID). Nil starts at the
	// newest.
	Before *AuditEvent
	// Limit caps the events returned; 0 means no cap.
	Limit int
}

// AuditQueryStore searches the audit log.
type AuditQueryStore interface {
	// QueryAuditEvents returns the events q selects, newest first (at the
	// same time, the later added first): the order of ListAuditEvents, so
	// the last event of a page, as q.Before, continues it.
	QueryAuditEvents(ctx context.Context, q AuditQuery) ([]*AuditEvent, error)
}
