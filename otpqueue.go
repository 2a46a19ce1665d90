package keypad

import (
	"context"
	"time"
)

// OTPSendStatus is where a queued OTP message stands.
type OTPSendStatus string

const (
	OTPSendQueued OTPSendStatus = "queued" // waiting for a worker, or for its next try
	OTPSendSent   OTPSendStatus = "sent"   // the provider accepted it
	OTPSendFailed OTPSendStatus = "failed" // given up; its charges were taken back
	// OTPSendDecoy marks the row a decoy send writes so that its store work
	// matches a real send's: it holds no message and is never claimed.
	OTPSendDecoy OTPSendStatus = "decoy"
)

// OTPSend is one code message waiting in the durable send queue. The
// send endpoint only queues it, so that answering takes the same time
// whether a message goes out or not (a decoy queues nothing); a worker on
// any instance delivers it. The message holds the code, so it is stored
// only sealed under the server secret, and dropped once settled.
type OTPSend struct {
	ID          int64
	SessionHash []byte
	Channel     string // "sms" or "email"
	// Sealed is the rendered message, encrypted and bound to the session;
	// nil once the send is settled (sent or failed).
	Sealed []byte
	// ClientID and Subject say whose send it is, for the audit log.
	ClientID string
	Subject  string
	// Charges are the daily-cap counters the send was charged to at
	// ChargedAt; they are taken back only if the send fails for good.
	Charges   []string
	ChargedAt time.Time
	Status    OTPSendStatus
	Attempts  int
	LastError string
	CreatedAt time.Time
	// DueAt is when the next try may start; GiveUpAt is when retrying
	// stops.
	DueAt    time.Time
	GiveUpAt time.Time
	// ClaimedBy names the worker delivering it until ClaimedUntil; a
	// lapsed claim may be taken by another worker.
	ClaimedBy    string
	ClaimedUntil time.Time
	// ExpiresAt is when the record goes (PurgeExpired).
	ExpiresAt time.Time
}

// OTPQueueStore keeps the durable queue of OTP messages.
type OTPQueueStore interface {
	// EnqueueOTPSend atomically applies fn to a stored session, like
	// UpdateOTPSession, and when fn succeeds and send is not nil queues
	// send in the same transaction (setting its ID): a code is in force
	// exactly when its message is queued. ErrNotFound if the session does
	// not exist; fn's error is returned unchanged.
	EnqueueOTPSend(ctx context.Context, hash []byte, fn func(*OTPSession) error, send *OTPSend) (*OTPSession, error)
	// ClaimOTPSends claims at most limit queued sends that are due at now
	// and not claimed (or whose claim lapsed), for worker until now+lease,
	// and returns them. Concurrent claims, on one database from any number
	// of instances, never return the same send while its claim holds.
	ClaimOTPSends(ctx context.Context, worker string, now time.Time, lease time.Duration, limit int) ([]*OTPSend, error)
	// SettleOTPSend stores the outcome of a send worker claimed: Status,
	// Attempts, LastError, DueAt and Sealed (a settled send keeps no
	// message), and releases the claim. ErrNotFound if the send is gone
	// or worker no longer holds its claim.
	SettleOTPSend(ctx context.Context, s *OTPSend, worker string) error
	// GetOTPSend returns a send by ID, or ErrNotFound.
	GetOTPSend(ctx context.Context, id int64) (*OTPSend, error)
}
