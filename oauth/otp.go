package oauth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/identifier"
	"github.com/keypadauth/keypad/notify"
	"github.com/keypadauth/keypad/ratelimit"
	"github.com/keypadauth/keypad/token"
	"github.com/keypadauth/keypad/usercode"
)

// The OTP flow ("reversed device flow", DESIGN.md "OTP flow on the wire"):
// a client that knows only what a person tells it (an address, a phone
// number, an email, an account number) looks the person up, has keypad
// send them a one-time code over a masked channel, and trades the code the
// person types for tokens. This file holds the configuration, the wiring
// and the Go API the hosted pages use for "sign in with a code";
// otplookup.go, otpsend.go and otpgrant.go hold the three steps and
// otplimits.go the counters that bound them.

// Paths of the OTP flow's endpoints (DESIGN.md, wire surface).
const (
	PathOTPLookup = "/oauth2/otp/lookup"
	PathOTPSend   = "/oauth2/otp/send"
)

// Purposes of an OTP session (keypad.OTPSession.Purpose): a session made
// for one purpose is useless for the other.
const (
	// OTPPurposeToken sessions are redeemed at the token endpoint by the
	// client that looked the person up.
	OTPPurposeToken = "token"
	// OTPPurposeLogin sessions sign a person in on keypad's own pages
	// (OTPStart, OTPSend, OTPVerify); no client is involved.
	OTPPurposeLogin = "login"
	// OTPPurposeCIBA sessions carry a CIBA request's message (ciba.go):
	// their code is never shown and never redeemed.
	OTPPurposeCIBA = "ciba"
)

// Defaults of OTPConfig (DESIGN.md, security policy).
const (
	DefaultOTPCodeLength          = 6
	DefaultOTPCodeLifetime        = 10 * time.Minute
	DefaultOTPSessionLifetime     = 10 * time.Minute
	DefaultOTPMaxAttempts         = 5
	DefaultOTPResendAfter         = 30 * time.Second
	DefaultOTPMaxSends            = 3
	DefaultOTPDailyPerDestination = 10
	DefaultOTPDailyPerClient      = 1000
	DefaultOTPMaxPersonFailures   = 100
	DefaultOTPPersonFailureWindow = 30 * 24 * time.Hour
	DefaultOTPPersonCooldown      = time.Hour
	DefaultOTPLookupMax           = 60
	DefaultOTPLookupWindow        = time.Minute
	DefaultOTPRegion              = "US"
	DefaultOTPLoginName           = "keypad"
)

// DefaultOTPSMSCountries are the countries texts go to unless configured
// otherwise: texts elsewhere cost more and are what SMS pumping fraud
// aims at.
var DefaultOTPSMSCountries = []string{"US", "CA"}

// OTPRanges are the allowed values of OTPConfig's bounded fields.
type OTPRanges struct {
	CodeLength, MaxAttempts, MaxSends, DailyPerDestination, DailyPerClient,
	MaxPersonFailures, LookupMax IntRange
	CodeLifetime, SessionLifetime, ResendAfter, PersonFailureWindow,
	PersonCooldown, LookupWindow DurationRange
}

// OTPBounds returns the safe range around each OTP default (DESIGN.md,
// security policy). It is the one statement of these bounds: Validate
// checks against it, and so does package config, naming its keys.
func OTPBounds() OTPRanges {
	return OTPRanges{
		// NIST SP 800-63B §5.1.3: at least 6 digits, valid at most 10
		// minutes; the message templates take at most 10 characters.
		CodeLength:          IntRange{6, 10},
		CodeLifetime:        DurationRange{time.Minute, 10 * time.Minute},
		SessionLifetime:     DurationRange{time.Minute, time.Hour},
		MaxAttempts:         IntRange{1, 10},
		ResendAfter:         DurationRange{10 * time.Second, 10 * time.Minute},
		MaxSends:            IntRange{1, 10},
		DailyPerDestination: IntRange{1, 100},
		DailyPerClient:      IntRange{1, 1_000_000},
		MaxPersonFailures:   IntRange{1, 100}, // NIST SP 800-63B §5.2.2
		PersonFailureWindow: DurationRange{time.Hour, 365 * 24 * time.Hour},
		PersonCooldown:      DurationRange{time.Minute, 7 * 24 * time.Hour},
		LookupMax:           IntRange{1, 100_000},
		LookupWindow:        DurationRange{time.Second, 24 * time.Hour},
	}
}

// OTPConfig configures the OTP flow. The zero value of every field means
// its default.
type OTPConfig struct {
	// CodeLength is the number of digits of a code (default 6; 6 to 10).
	CodeLength int
	// CodeLifetime is how long a sent code can be redeemed (default and
	// at most 10m, NIST SP 800-63B; at least 1m).
	CodeLifetime time.Duration
	// SessionLifetime is how long an otp_session waits for its first send
	// (default 10m; 1m to 1h). Each send extends it to the code's expiry.
	SessionLifetime time.Duration
	// MaxAttempts is how many wrong codes void a session (default 5; 1 to
	// 10).
	MaxAttempts int
	// ResendAfter is the wait between two sends of one session (default
	// 30s; whole seconds from 10s to 10m).
	ResendAfter time.Duration
	// MaxSends is how many codes one session may send (default 3; 1 to
	// 10).
	MaxSends int
	// DailyPerDestination caps the codes sent to one phone number or email
	// address in 24 hours (default 10; 1 to 100).
	DailyPerDestination int
	// DailyPerClient caps the codes one client has sent in 24 hours
	// (default 1000; 1 to 1,000,000): a stolen client secret, or a client
	// abused by SMS pumping, costs at most this much a day. Sign-in codes
	// from the hosted pages share one such cap.
	DailyPerClient int
	// SMSCountries are the ISO 3166-1 regions texts may go to (nil means
	// DefaultOTPSMSCountries; an empty, non-nil list turns SMS off). A
	// person's phone elsewhere is not offered.
	SMSCountries []string
	// MaxPersonFailures is how many wrong codes in a row (across sessions)
	// put a person in a cool-down (default and at most 100, NIST SP
	// 800-63B §5.2.2).
	MaxPersonFailures int
	// PersonFailureWindow is how long wrong codes are remembered towards
	// MaxPersonFailures (default 30 days; 1h to 365 days). A right code
	// forgets them at once.
	PersonFailureWindow time.Duration
	// PersonCooldown is how long a person who reached MaxPersonFailures can
	// neither receive nor redeem codes (default 1h; 1m to 7 days).
	PersonCooldown time.Duration
	// LookupLimit bounds lookups per client (for sign-in, per IP address):
	// default 60 a minute; Max 1 to 100,000, Window 1s to 24h.
	LookupLimit ratelimit.Limit
	// Region is the ISO 3166-1 region assumed for phone numbers typed
	// without a country code (default "US"); decoy numbers are of this
	// region too.
	Region string
	// LoginName is who sign-in messages say the code is for ("123456 is
	// your code to sign in to keypad"); default "keypad".
	LoginName string
	// ClientIPHeader names the header a trusted reverse proxy sets with
	// the client address (see ratelimit.ClientIP); empty uses RemoteAddr.
	ClientIPHeader string
}

// DefaultOTPConfig is the OTP flow's configuration when nothing is set:
// every field at its default. Package config starts from it.
func DefaultOTPConfig() OTPConfig {
	c := OTPConfig{}.withDefaults()
	c.SMSCountries = slices.Clone(c.SMSCountries)
	return c
}

// withDefaults returns c with zero fields set to their defaults.
func (c OTPConfig) withDefaults() OTPConfig {
	setInt := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	setDur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	setInt(&c.CodeLength, DefaultOTPCodeLength)
	setDur(&c.CodeLifetime, DefaultOTPCodeLifetime)
	setDur(&c.SessionLifetime, DefaultOTPSessionLifetime)
	setInt(&c.MaxAttempts, DefaultOTPMaxAttempts)
	setDur(&c.ResendAfter, DefaultOTPResendAfter)
	setInt(&c.MaxSends, DefaultOTPMaxSends)
	setInt(&c.DailyPerDestination, DefaultOTPDailyPerDestination)
	setInt(&c.DailyPerClient, DefaultOTPDailyPerClient)
	if c.SMSCountries == nil {
		c.SMSCountries = DefaultOTPSMSCountries
	}
	setInt(&c.MaxPersonFailures, DefaultOTPMaxPersonFailures)
	setDur(&c.PersonFailureWindow, DefaultOTPPersonFailureWindow)
	setDur(&c.PersonCooldown, DefaultOTPPersonCooldown)
	if c.LookupLimit.Max == 0 {
		c.LookupLimit.Max = DefaultOTPLookupMax
	}
	setDur(&c.LookupLimit.Window, DefaultOTPLookupWindow)
	if c.Region == "" {
		c.Region = DefaultOTPRegion
	}
	c.Region = strings.ToUpper(c.Region)
	if c.LoginName == "" {
		c.LoginName = DefaultOTPLoginName
	}
	return c
}

// Validate reports the first setting out of bounds, saying what is
// accepted; zero fields stand for their defaults and pass.
func (c OTPConfig) Validate() error {
	d := c.withDefaults()
	bounds := OTPBounds()
	type intBound struct {
		name string
		v    int
		r    IntRange
	}
	for _, b := range []intBound{
		{"code length", d.CodeLength, bounds.CodeLength},
		{"max attempts", d.MaxAttempts, bounds.MaxAttempts},
		{"max sends", d.MaxSends, bounds.MaxSends},
		{"daily sends per destination", d.DailyPerDestination, bounds.DailyPerDestination},
		{"daily sends per client", d.DailyPerClient, bounds.DailyPerClient},
		{"max consecutive failures per person", d.MaxPersonFailures, bounds.MaxPersonFailures},
		{"lookup limit", int(d.LookupLimit.Max), bounds.LookupMax},
	} {
		if !b.r.Contains(b.v) {
			return fmt.Errorf("otp flow: %s %d is out of range; use %d to %d", b.name, b.v, b.r.Min, b.r.Max)
		}
	}
	type durBound struct {
		name string
		v    time.Duration
		r    DurationRange
	}
	for _, b := range []durBound{
		{"code lifetime", d.CodeLifetime, bounds.CodeLifetime},
		{"session lifetime", d.SessionLifetime, bounds.SessionLifetime},
		{"resend wait", d.ResendAfter, bounds.ResendAfter},
		{"person failure window", d.PersonFailureWindow, bounds.PersonFailureWindow},
		{"person cool-down", d.PersonCooldown, bounds.PersonCooldown},
		{"lookup limit window", d.LookupLimit.Window, bounds.LookupWindow},
	} {
		if !b.r.Contains(b.v) {
			return fmt.Errorf("otp flow: %s %s is out of range; use %s to %s", b.name, b.v, b.r.Min, b.r.Max)
		}
	}
	if d.ResendAfter%time.Second != 0 {
		return fmt.Errorf("otp flow: resend wait %s must be whole seconds (the wire carries seconds)", d.ResendAfter)
	}
	if d.ResendAfter >= d.CodeLifetime {
		return fmt.Errorf("otp flow: resend wait %s is not shorter than the code lifetime %s; a person could never ask for a second code in time", d.ResendAfter, d.CodeLifetime)
	}
	if !knownRegion(d.Region) {
		return fmt.Errorf("otp flow: region %q is not an ISO 3166-1 region keypad knows; use two letters such as US or GB", c.Region)
	}
	for _, r := range d.SMSCountries {
		if !knownRegion(strings.ToUpper(r)) {
			return fmt.Errorf("otp flow: SMS country %q is not an ISO 3166-1 region keypad knows; use two letters such as US or CA", r)
		}
	}
	if strings.TrimSpace(d.LoginName) == "" {
		return errors.New("otp flow: login name is blank; set the name sign-in messages show, e.g. your site's name")
	}
	return nil
}

func knownRegion(r string) bool {
	return len(r) == 2 && phonenumbers.GetCountryCodeForRegion(r) != 0
}

// OTPDeps are the OTP flow's collaborators besides the Server's own.
type OTPDeps struct {
	// Router delivers the codes; required, with at least one channel. Only
	// channels it Has are offered.
	Router *notify.Router
	// Templates render the messages (notify.DefaultTemplates() when nil).
	Templates *notify.Templates
	// Key is a secret of at least 32 bytes, stable across restarts and the
	// same on every instance, e.g. Sealer.DeriveKey("otp"). It makes the
	// decoy hints of unknown identifiers, the counter keys of destinations
	// and the hashes of codes (which have too few bits for a plain hash); changing it
	// changes every decoy and voids the codes in flight.
	Key []byte
	// Sealer seals the queued messages (they hold the codes) under the
	// server secret; required. The same secret on every instance lets any
	// instance's worker deliver them.
	Sealer *token.Sealer
}

// otpFlow is the OTP flow on one Server. It is also the grant handler of
// keypad.GrantOTP, which is how the Go API finds it.
type otpFlow struct {
	s         *Server
	store     otpStore
	cfg       OTPConfig
	router    *notify.Router
	tmpl      *notify.Templates
	norm      identifier.Normalizer
	key       []byte
	countries map[string]bool
	decoys    decoyModels
	queue     *otpQueue
	// decoyE164 is a number of Region that decoy sends check instead of a
	// destination, to do the same work as a real send.
	decoyE164 string
}

// installOTPFlow turns on the OTP flow (Config.OTP): it serves POST /oauth2/otp/lookup
// and POST /oauth2/otp/send, accepts grant_type
// urn:keypad:params:oauth:grant-type:otp at the token endpoint, and
// announces otp_lookup_endpoint and otp_send_endpoint in the metadata. It
// also enables the Go API for sign-in with a code (OTPStart, OTPSend,
// OTPVerify).
func (s *Server) installOTPFlow(cfg OTPConfig, deps OTPDeps) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	switch {
	case deps.Router == nil || (!deps.Router.Has(notify.ChannelSMS) && !deps.Router.Has(notify.ChannelEmail)):
		return errors.New("otp flow: no delivery channel: configure an SMS or email sender (or the dev outbox)")
	case len(deps.Key) < 32:
		return fmt.Errorf("otp flow: key has %d bytes, want at least 32 (derive it from the server secret)", len(deps.Key))
	case deps.Sealer == nil:
		return errors.New("otp flow: no sealer for the send queue: pass the server's token.Sealer")
	}
	f := &otpFlow{
		s:         s,
		store:     s.store,
		cfg:       cfg.withDefaults(),
		router:    deps.Router,
		tmpl:      deps.Templates,
		key:       append([]byte(nil), deps.Key...),
		countries: map[string]bool{},
	}
	f.norm = identifier.Normalizer{DefaultRegion: f.cfg.Region}
	if ex := phonenumbers.GetExampleNumberForType(f.cfg.Region, phonenumbers.MOBILE); ex != nil {
		f.decoyE164 = phonenumbers.Format(ex, phonenumbers.E164)
	}
	if f.tmpl == nil {
		f.tmpl = notify.DefaultTemplates()
	}
	q, err := newOTPQueue(f, deps.Sealer)
	if err != nil {
		return err
	}
	f.queue = q
	for _, r := range f.cfg.SMSCountries {
		f.countries[strings.ToUpper(r)] = true
	}
	s.handle("POST "+PathOTPLookup, http.HandlerFunc(f.handleLookup))
	s.handle("POST "+PathOTPSend, http.HandlerFunc(f.handleSend))
	s.registerGrant(keypad.GrantOTP, f)
	s.setMetadata("otp_lookup_endpoint", s.Endpoint(PathOTPLookup))
	s.setMetadata("otp_send_endpoint", s.Endpoint(PathOTPSend))
	return nil
}

// ErrOTPDisabled is returned by the Go API when Config.OTP was not set.
var ErrOTPDisabled = errors.New("oauth: the OTP flow is not enabled: set Config.OTP")

// otp returns the server's OTP flow.
func (s *Server) otp() (*otpFlow, error) {
	f, ok := s.grant(keypad.GrantOTP).(*otpFlow)
	if !ok {
		return nil, ErrOTPDisabled
	}
	return f, nil
}

// OTPChannelHint is a delivery channel as a client sees it: an ID to send
// to and a masked hint to show ("(•••) •••-4821").
type OTPChannelHint struct {
	ID   string `json:"id"`
	Type string `json:"type"` // "sms" or "email"
	Hint string `json:"hint"`
}

// OTPChallenge is the answer to a lookup: the otp_session handle (a
// secret: only its hash is stored), how long it waits for a send, and the
// channels to offer the person.
type OTPChallenge struct {
	Session   string
	ExpiresIn time.Duration
	Channels  []OTPChannelHint
}

// MarshalJSON writes the lookup answer of DESIGN.md.
func (c *OTPChallenge) MarshalJSON() ([]byte, error) {
	ch := c.Channels
	if ch == nil {
		ch = []OTPChannelHint{}
	}
	return json.Marshal(struct {
		Session   string           `json:"otp_session"`
		ExpiresIn int64            `json:"expires_in"`
		Channels  []OTPChannelHint `json:"channels"`
	}{c.Session, otpSeconds(c.ExpiresIn), ch})
}

// OTPDelivery is the answer to a send: how long the code lives, when the
// next send may come, and how many digits to expect.
type OTPDelivery struct {
	ExpiresIn   time.Duration
	ResendAfter time.Duration
	CodeLength  int
}

// MarshalJSON writes the send answer of DESIGN.md.
func (d *OTPDelivery) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		ExpiresIn   int64 `json:"expires_in"`
		ResendAfter int64 `json:"resend_after"`
		CodeLength  int   `json:"code_length"`
	}{otpSeconds(d.ExpiresIn), otpSeconds(d.ResendAfter), d.CodeLength})
}

func otpSeconds(d time.Duration) int64 { return int64(d / time.Second) }

// OTPStart is step one of "sign in with a code" on the hosted pages: it
// finds the person by what they typed (identifierType may be empty:
// inferred) and returns the session and channels to offer. ip is the
// person's address, for the per-IP lookup limit and the audit log;
// uiLocales the page's language, which the code's text is in unless the
// person stored a preference (as ui_locales does for a kiosk's lookup).
// Unknown identifiers get decoy channels, as for a client without
// ExplicitUnknownIdentifier. Errors are *Error values (AsError): an
// ambiguous identifier is CodeAmbiguousIdentifier, with Extra
// "identifier_types" naming what to ask for; too many lookups is
// CodeTooManyRequests with RetryAfter.
func (s *Server) OTPStart(ctx context.Context, identifier, identifierType, ip, uiLocales string) (*OTPChallenge, error) {
	f, err := s.otp()
	if err != nil {
		return nil, err
	}
	return f.lookup(ctx, lookupRequest{identifier: identifier, identifierType: identifierType, ip: ip, uiLocales: uiLocales})
}

// OTPSend is step two of sign-in with a code: it queues a fresh code for
// the chosen channel of a session from OTPStart (RunOTPQueue delivers
// it). Refusals are *Error values: CodeTooManyRequests (with RetryAfter
// when waiting helps) for the resend wait and the caps,
// CodeInvalidRequest for a channel that cannot be used, CodeExpiredToken
// or CodeInvalidGrant when the session is over.
func (s *Server) OTPSend(ctx context.Context, session, channel, ip string) (*OTPDelivery, error) {
	f, err := s.otp()
	if err != nil {
		return nil, err
	}
	return f.send(ctx, sendRequest{purpose: OTPPurposeLogin, handle: session, channel: channel, ip: ip})
}

// OTPVerify is step three of sign-in with a code: it redeems the code the
// person typed, once, and returns the subject (person) it signs in. A
// wrong code is CodeInvalidGrant with Extra "attempts_remaining"; the last
// allowed wrong code voids the session (CodeAccessDenied); a late one is
// CodeExpiredToken.
func (s *Server) OTPVerify(ctx context.Context, session, code, ip string) (subject string, err error) {
	f, err := s.otp()
	if err != nil {
		return "", err
	}
	o, err := f.redeem(ctx, redeemRequest{purpose: OTPPurposeLogin, handle: session, code: code, ip: ip})
	if err != nil {
		return "", err
	}
	return o.Subject, nil
}

// Answers about a session that cannot be used. They never say whether the
// session belongs to a real person.
var (
	errOTPSessionInvalid = InvalidGrant("the otp_session is not valid; start again with a lookup")
	errOTPSessionUsed    = InvalidGrant("the otp_session was already used; start again with a lookup")
	errOTPSessionExpired = NewError(CodeExpiredToken, "the otp_session expired; start again with a lookup")
	errOTPCodeExpired    = NewError(CodeExpiredToken, "the code expired; send a new one, or start again with a lookup")
	errOTPSessionVoid    = AccessDenied("too many wrong codes: this otp_session is void; start again with a lookup")
)

// checkSession says whether o may still be used by clientID ("" for
// sign-in) for purpose at now.
func checkSession(o *keypad.OTPSession, clientID, purpose string, now time.Time) error {
	switch {
	case o.ClientID != clientID || o.Purpose != purpose:
		// Another client's session is as good as unknown.
		return errOTPSessionInvalid
	case o.Status == keypad.OTPConsumed:
		return errOTPSessionUsed
	case o.Status == keypad.OTPVoid:
		return errOTPSessionVoid
	case o.Status != keypad.OTPPending:
		return fmt.Errorf("otp session has unknown status %q", o.Status)
	case !now.Before(o.ExpiresAt):
		return errOTPSessionExpired
	}
	return nil
}

// mac is HMAC-SHA256 under the flow's key over length-prefixed fields, so
// no two field lists collide; label separates its uses.
func (f *otpFlow) mac(label string, fields ...[]byte) []byte {
	m := hmac.New(sha256.New, f.key)
	var n [4]byte
	for _, b := range append([][]byte{[]byte(label)}, fields...) {
		binary.BigEndian.PutUint32(n[:], uint32(len(b)))
		m.Write(n[:])
		m.Write(b)
	}
	return m.Sum(nil)
}

// codeHash is what the store keeps of a code: an HMAC bound to the
// session, because a 6-digit code under a plain hash is read back from a
// database dump in a millisecond.
func (f *otpFlow) codeHash(sessionHash []byte, code string) []byte {
	return f.mac("keypad/otp-code/v1", sessionHash, []byte(code))
}

// normalizeCode turns the typed code into its digits, or answers
// invalid_request without spending an attempt: a code of the wrong shape
// is a typo, not a guess.
func (f *otpFlow) normalizeCode(code string) (string, error) {
	if code == "" {
		return "", InvalidRequest("otp is missing: send the code the person received")
	}
	c, err := usercode.NormalizeDigits(code, f.cfg.CodeLength)
	if err != nil {
		return "", InvalidRequest("otp must be the %d digits the person received", f.cfg.CodeLength)
	}
	return c, nil
}

// otpEvent is one thing that happened, for the audit log and the metrics.
type otpEvent struct {
	name     string // metrics event and audit type "otp.<name>"
	clientID string
	subject  string
	ip       string
	detail   string
}

// record audits e and counts it. Failing to audit is logged, never
// answered: the person's flow goes on.
func (f *otpFlow) record(ctx context.Context, e otpEvent) {
	f.s.metrics.Event("otp", e.name)
	err := f.store.AddAuditEvent(ctx, &keypad.AuditEvent{
		Time: f.s.now(), Type: "otp." + e.name, ClientID: e.clientID,
		Subject: e.subject, IP: e.ip, Detail: e.detail,
	})
	if err != nil {
		f.s.log.ErrorContext(ctx, "oauth: write otp audit event", "type", e.name, "err", err)
	}
}

// clientIP is the request's address as the limits and the audit log see
// it.
func (f *otpFlow) clientIP(r *http.Request) string {
	return ratelimit.ClientIP(r, f.cfg.ClientIPHeader)
}

// authenticate reads the form of an OTP endpoint and authenticates a
// client that may use the OTP grant (sending texts costs money, so every
// step requires it).
func (f *otpFlow) authenticate(w http.ResponseWriter, r *http.Request) (*keypad.Client, map[string]string, error) {
	form, err := parseForm(w, r)
	if err != nil {
		return nil, nil, err
	}
	client, _, err := f.s.authenticateClient(r, form)
	if err != nil {
		return nil, nil, err
	}
	if !client.AllowsGrant(keypad.GrantOTP) {
		return nil, nil, UnauthorizedClient("this client is not registered for the OTP flow (grant_type '%s')", keypad.GrantOTP)
	}
	vals := make(map[string]string, len(form))
	for k := range form {
		vals[k] = form.Get(k)
	}
	return client, vals, nil
}
