package oauth

import (
	"context"
	"time"

	"github.com/keypadauth/keypad"
)

// The store each flow uses, declared by the flow (fosite's habit): a
// reader sees at a glance what a flow can read and change, and a flow
// cannot reach for a method it does not list. keypad.Store satisfies
// every one; the Server hands each flow its store at construction.
// TestFlowsUseTheirStore holds each flow's files to its interface.

// deviceStore is the device flow's (device.go, devicecode.go): device
// authorizations, and the grant an approval made.
type deviceStore interface {
	CreateDeviceAuthorization(ctx context.Context, d *keypad.DeviceAuthorization) error
	GetDeviceAuthorization(ctx context.Context, deviceCodeHash []byte) (*keypad.DeviceAuthorization, error)
	UpdateDeviceAuthorization(ctx context.Context, deviceCodeHash []byte, fn func(*keypad.DeviceAuthorization) error) (*keypad.DeviceAuthorization, error)
	GetGrant(ctx context.Context, id string) (*keypad.Grant, error)
}

// otpStore is the OTP flow's (otp*.go): people to look up, sessions, the
// send queue, the counters that bound it, scopes to describe, the grant a
// code makes, and the audit log.
type otpStore interface {
	FindSubjects(ctx context.Context, id keypad.Identifier) ([]*keypad.Subject, error)
	ListSubjects(ctx context.Context, after string, limit int) ([]*keypad.Subject, error)
	CreateOTPSession(ctx context.Context, s *keypad.OTPSession) error
	GetOTPSession(ctx context.Context, hash []byte) (*keypad.OTPSession, error)
	UpdateOTPSession(ctx context.Context, hash []byte, fn func(*keypad.OTPSession) error) (*keypad.OTPSession, error)
	EnqueueOTPSend(ctx context.Context, hash []byte, fn func(*keypad.OTPSession) error, send *keypad.OTPSend) (*keypad.OTPSession, error)
	ClaimOTPSends(ctx context.Context, worker string, now time.Time, lease time.Duration, limit int) ([]*keypad.OTPSend, error)
	SettleOTPSend(ctx context.Context, s *keypad.OTPSend, worker string) error
	GetScope(ctx context.Context, name string) (*keypad.Scope, error)
	CreateGrant(ctx context.Context, g *keypad.Grant) error
	Hit(ctx context.Context, key string, window time.Duration, now time.Time) (int64, error)
	Unhit(ctx context.Context, key string, window time.Duration, chargedAt time.Time) error
	Count(ctx context.Context, key string, now time.Time) (int64, error)
	ResetCounter(ctx context.Context, key string) error
	AddAuditEvent(ctx context.Context, e *keypad.AuditEvent) error
}

// authCodeStore is the authorization code flow's (authorize.go,
// authcode.go): codes, the grants they make or extend, and the audit log.
type authCodeStore interface {
	CreateAuthCode(ctx context.Context, c *keypad.AuthCode) error
	GetAuthCode(ctx context.Context, hash []byte) (*keypad.AuthCode, error)
	ConsumeAuthCode(ctx context.Context, hash []byte, now time.Time) (*keypad.AuthCode, error)
	CreatePushedRequest(ctx context.Context, p *keypad.PushedRequest) error
	ConsumePushedRequest(ctx context.Context, hash []byte, now time.Time) (*keypad.PushedRequest, error)
	CreateGrant(ctx context.Context, g *keypad.Grant) error
	GetGrant(ctx context.Context, id string) (*keypad.Grant, error)
	ListGrants(ctx context.Context, subject, clientID string) ([]*keypad.Grant, error)
	RevokeGrant(ctx context.Context, id string, now time.Time) error
	AddAuditEvent(ctx context.Context, e *keypad.AuditEvent) error
}

// refreshStore is the refresh token grant's (refresh.go): tokens and
// their families, the person they are for (a disabled one gets nothing),
// and the grant they belong to.
type refreshStore interface {
	GetToken(ctx context.Context, hash []byte) (*keypad.Token, error)
	ConsumeToken(ctx context.Context, hash []byte, now time.Time) (*keypad.Token, error)
	RevokeFamily(ctx context.Context, familyID string, now time.Time) (int, error)
	GetSubject(ctx context.Context, id string) (*keypad.Subject, error)
	GetGrant(ctx context.Context, id string) (*keypad.Grant, error)
	TouchGrant(ctx context.Context, id string, now time.Time) error
	RevokeGrant(ctx context.Context, id string, now time.Time) error
}

// passwordStore is the password grant's (password.go): the grant a
// sign-in makes. The password check itself reads people through
// passwordCheckStore (password.go), which the sign-in page shares.
type passwordStore interface {
	CreateGrant(ctx context.Context, g *keypad.Grant) error
}

// jwtBearerStore is the JWT bearer grant's (assertion.go): the counters
// that refuse a replayed assertion.
type jwtBearerStore interface {
	Hit(ctx context.Context, key string, window time.Duration, now time.Time) (int64, error)
}

// clientCredentialsStore is the client credentials grant's
// (clientcreds.go): nothing; the client is authenticated by the Server
// and the token minted by the token issuer.
type clientCredentialsStore interface{}

// keypad.Store satisfies every flow's store.
var (
	_ deviceStore            = keypad.Store(nil)
	_ otpStore               = keypad.Store(nil)
	_ authCodeStore          = keypad.Store(nil)
	_ refreshStore           = keypad.Store(nil)
	_ passwordStore          = keypad.Store(nil)
	_ jwtBearerStore         = keypad.Store(nil)
	_ clientCredentialsStore = keypad.Store(nil)
)

// registrationStore is dynamic client registration's (register*.go):
// clients with their registrations, the initial access tokens that
// authorise them, the scope catalogue a registration asks from, and the
// counter that limits open registrations.
type registrationStore interface {
	RegisterClient(ctx context.Context, c *keypad.Client, r *keypad.ClientRegistration, initialToken []byte, now time.Time) error
	GetClientRegistration(ctx context.Context, clientID string) (*keypad.ClientRegistration, error)
	UpdateRegisteredClient(ctx context.Context, c *keypad.Client, r *keypad.ClientRegistration) error
	GetClient(ctx context.Context, id string) (*keypad.Client, error)
	DeleteClient(ctx context.Context, id string) error
	ListScopes(ctx context.Context) ([]*keypad.Scope, error)
	CreateInitialAccessToken(ctx context.Context, t *keypad.InitialAccessToken) error
	Hit(ctx context.Context, key string, window time.Duration, now time.Time) (int64, error)
}

var _ registrationStore = keypad.Store(nil)

// samlBearerStore is the SAML 2.0 bearer grant's (saml*.go): the trusted
// IdPs, the people an assertion may name, the counters that refuse a
// replayed assertion, and the grant a refresh token hangs off.
type samlBearerStore interface {
	GetIdPByEntityID(ctx context.Context, entityID string) (*keypad.IdP, error)
	GetSubject(ctx context.Context, id string) (*keypad.Subject, error)
	GetSubjectByUsername(ctx context.Context, username string) (*keypad.Subject, error)
	GetSubjectByExternalID(ctx context.Context, externalID string) (*keypad.Subject, error)
	FindSubjects(ctx context.Context, id keypad.Identifier) ([]*keypad.Subject, error)
	Hit(ctx context.Context, key string, window time.Duration, now time.Time) (int64, error)
	CreateGrant(ctx context.Context, g *keypad.Grant) error
}
