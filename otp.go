package keypad

import (
	"context"
	"time"
)

// OTPStatus is where an OTP session stands.
type OTPStatus string

const (
	OTPPending  OTPStatus = "pending"  // waiting for a code to be sent or typed
	OTPVoid     OTPStatus = "void"     // too many wrong codes; unusable
	OTPConsumed OTPStatus = "consumed" // the code was redeemed, once
)

// OTPChannel is a way to reach the person: a masked hint is all a client
// ever sees of it.
type OTPChannel struct {
	ID   string `json:"id"`
	Type string `json:"type"` // "sms" or "email"
	Hint string `json:"hint"`
	// Destination is the E.164 number or the email address; never sent to
	// the client. Empty for decoy channels.
	Destination string `json:"destination,omitempty"`
	// Key is, for a decoy channel, the destination it pretends to be (a
	// made-up one, or the real one of the person whose hints a decoy
	// shows): the daily caps and cool-downs count it, as they count a
	// person's, so they do not tell decoys apart. Nothing is sent to it.
	// Empty for real channels, which are counted by Destination.
	Key string `json:"key,omitempty"`
}

// OTPSession is one run of the OTP flow (DESIGN.md, "OTP flow on the
// wire"): the client holds the otp_session handle (stored by hash), the
// person receives the code (stored by hash, newest only).
type OTPSession struct {
	Hash     []byte
	ClientID string
	Scopes   []string
	// Subject is the person found by the lookup; empty for a decoy
	// session (unknown identifier), to which nothing is ever sent.
	Subject  string
	Decoy    bool
	Channels []OTPChannel
	// Purpose is "token" for the OTP grant or "login" for sign-in with a
	// code on the hosted pages.
	Purpose string
	// Language is the person's preferred language as the message
	// templates have it (a BCP 47 tag), copied at lookup; empty when they
	// have none or one keypad cannot write. It wins over UILanguage.
	Language string
	// UILanguage is the first language of the lookup's ui_locales the
	// templates have; empty when none.
	UILanguage     string
	CodeHash       []byte
	CodeExpiresAt  time.Time
	LastSentAt     time.Time
	Sends          int
	FailedAttempts int
	Status         OTPStatus
	CreatedAt      time.Time
	ExpiresAt      time.Time
}

// OTPStore keeps OTP sessions.
type OTPStore interface {
	// CreateOTPSession stores a session. Returns ErrConflict if the hash
	// exists.
	CreateOTPSession(ctx context.Context, s *OTPSession) error
	// GetOTPSession returns a session by hash, or ErrNotFound.
	GetOTPSession(ctx context.Context, hash []byte) (*OTPSession, error)
	// UpdateOTPSession atomically applies fn to a stored session, like
	// UpdateDeviceAuthorization.
	UpdateOTPSession(ctx context.Context, hash []byte, fn func(*OTPSession) error) (*OTPSession, error)
}

// OutboxMessage is a message the dev outbox "delivered": in --dev mode
// keypad stores messages instead of sending them, so a person trying keypad
// can read them. Never used in production.
type OutboxMessage struct {
	ID      int64
	Time    time.Time
	Channel string // "sms" or "email"
	To      string
	Subject string
	Body    string
}

// OutboxStore keeps the dev outbox.
type OutboxStore interface {
	// AddOutboxMessage appends a message and sets its ID.
	AddOutboxMessage(ctx context.Context, m *OutboxMessage) error
	// ListOutboxMessages returns the newest messages first, at most limit.
	ListOutboxMessages(ctx context.Context, limit int) ([]*OutboxMessage, error)
}
