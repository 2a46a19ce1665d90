package keypad

import (
	"context"
	"fmt"
	"time"
)

// CIBA token delivery modes (CIBA Core §5). Push is not offered.
const (
	CIBAModePoll = "poll"
	CIBAModePing = "ping"
)

// CIBAOptions are a client's backchannel authentication settings,
// registered with it (CIBA Core §4).
type CIBAOptions struct {
	// DeliveryMode is CIBAModePoll (also when empty) or CIBAModePing.
	DeliveryMode string `json:"backchannel_token_delivery_mode,omitempty"`
	// NotificationEndpoint is where a ping client is told that a request
	// was decided: https, or http to a loopback address in development.
	// Required with ping.
	NotificationEndpoint string `json:"backchannel_client_notification_endpoint,omitempty"`
	// UserCodeParameter: the client would send a user_code the person
	// set up (CIBA Core §7.1). keypad keeps no such codes yet, so
	// Validate refuses it, saying so.
	UserCodeParameter bool `json:"backchannel_user_code_parameter,omitempty"`
	// RequireSignIn makes the approval page ask the person to sign in (as
	// the person the request is for) before Approve counts: holding the
	// phone or inbox then is not enough.
	RequireSignIn bool `json:"backchannel_require_sign_in,omitempty"`
	// RequireBindingCode makes the person type, on the approval page, the
	// binding code the client shows (a binding_message of 4 to 8 digits,
	// which the message and the page then never show): approving proves
	// the person sees the client's screen, not only that they hold the
	// phone or inbox.
	RequireBindingCode bool `json:"backchannel_require_binding_code,omitempty"`
}

// Mode is the delivery mode, poll when none was registered.
func (o CIBAOptions) Mode() string {
	if o.DeliveryMode == "" {
		return CIBAModePoll
	}
	return o.DeliveryMode
}

// Validate checks the delivery mode and its notification endpoint.
func (o CIBAOptions) Validate() error {
	if o.UserCodeParameter {
		return &ValidationError{Field: "backchannel_user_code_parameter", Message: "is not offered: keypad keeps no CIBA user codes (backchannel_user_code_parameter_supported is false); register the client without it"}
	}
	switch o.DeliveryMode {
	case "", CIBAModePoll:
		if o.NotificationEndpoint != "" {
			return &ValidationError{Field: "backchannel_client_notification_endpoint", Message: "is only used in ping mode; register --backchannel-token-delivery-mode ping or drop the endpoint"}
		}
	case CIBAModePing:
		if o.NotificationEndpoint == "" {
			return &ValidationError{Field: "backchannel_client_notification_endpoint", Message: "is required in ping mode: the URL keypad POSTs {\"auth_req_id\":…} to when the person has decided"}
		}
		if err := CheckJWKSURI(o.NotificationEndpoint); err != nil {
			return &ValidationError{Field: "backchannel_client_notification_endpoint", Message: fmt.Sprintf("%q %v", o.NotificationEndpoint, err)}
		}
	default:
		return &ValidationError{Field: "backchannel_token_delivery_mode", Message: fmt.Sprintf("%q: use poll or ping (push is not offered)", o.DeliveryMode)}
	}
	return nil
}

// CIBAStatus is where a backchannel authentication request stands.
type CIBAStatus string

// The states of a CIBARequest: pending until the person decides, then
// approved or denied; approved becomes consumed when the tokens are
// issued, once.
const (
	CIBAPending  CIBAStatus = "pending"
	CIBAApproved CIBAStatus = "approved"
	CIBADenied   CIBAStatus = "denied"
	CIBAConsumed CIBAStatus = "consumed"
)

// CIBA ping states: none (poll mode, or not decided yet), due (to be
// sent at PingDueAt), done (the client's endpoint accepted it) or failed
// (given up).
const (
	CIBAPingNone   = ""
	CIBAPingDue    = "due"
	CIBAPingDone   = "done"
	CIBAPingFailed = "failed"
)

// CIBARequest is one backchannel authentication request (CIBA Core
// §7): the client holds the auth_req_id (stored by hash), the person
// holds a link to the approval page (stored by hash).
type CIBARequest struct {
	Hash     []byte // SecretHash of the auth_req_id
	LinkHash []byte // SecretHash of the approval link's token
	ClientID string
	// Subject is the person the hint found; empty for a decoy (an unknown
	// hint), which no one can ever approve.
	Subject string
	Decoy   bool
	Scopes  []string
	// BindingMessage is shown to the person and by the client.
	BindingMessage string
	// OTPSession is the hash of the OTP session the message went out
	// under (the delivery queue's and the limits' handle).
	OTPSession []byte
	Mode       string // CIBAModePoll or CIBAModePing
	// NotificationToken holds the client_notification_token and the
	// auth_req_id (ping mode), sealed under the server secret: keypad
	// needs both back to send the ping.
	NotificationToken []byte
	Status            CIBAStatus
	// Interval is the least wait between two polls, raised by slow_down.
	Interval   time.Duration
	LastPollAt time.Time
	GrantID    string // the grant an approval made
	AuthTime   time.Time
	// Ping delivery (ping mode): state, next try and tries so far.
	PingStatus   string
	PingDueAt    time.Time
	PingAttempts int
	CreatedAt    time.Time
	ExpiresAt    time.Time
}

// CIBAStore keeps backchannel authentication requests.
type CIBAStore interface {
	// CreateCIBARequest stores a request. Returns ErrConflict if its hash
	// or link hash exists.
	CreateCIBARequest(ctx context.Context, r *CIBARequest) error
	// GetCIBARequest returns a request by the hash of its auth_req_id, or
	// ErrNotFound.
	GetCIBARequest(ctx context.Context, hash []byte) (*CIBARequest, error)
	// GetCIBARequestByLink returns a request by the hash of its link
	// token, or ErrNotFound.
	GetCIBARequestByLink(ctx context.Context, linkHash []byte) (*CIBARequest, error)
	// UpdateCIBARequest atomically applies fn to a stored request, like
	// UpdateDeviceAuthorization: ErrNotFound if missing; fn's error is
	// returned unchanged and nothing is written.
	UpdateCIBARequest(ctx context.Context, hash []byte, fn func(*CIBARequest) error) (*CIBARequest, error)
	// ListCIBAPingsDue returns up to limit requests whose ping is due at
	// now, oldest first.
	ListCIBAPingsDue(ctx context.Context, now time.Time, limit int) ([]*CIBARequest, error)
}
