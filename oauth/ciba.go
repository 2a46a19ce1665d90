package oauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/identifier"
	"github.com/keypadauth/keypad/notify"
	"github.com/keypadauth/keypad/token"
)

// OpenID Connect Client-Initiated Backchannel Authentication (CIBA Core
// 1.0) on top of the OTP flow: a client that knows only a hint about a
// person (what they tell it: a phone number, an email or account number,
// a service address; or an ID token keypad issued them) asks keypad to
// reach them. keypad finds the person with the OTP flow's lookup (same
// normalisation, ambiguity and decoy rules), texts or emails them through
// the OTP flow's durable queue and limits a link to an approval page, and
// the client polls the token endpoint with the CIBA grant, or is pinged
// (cibaping.go) and then fetches the tokens. This file holds the
// configuration and the backchannel authentication endpoint;
// cibagrant.go the token endpoint's side; cibaapprove.go the page's.

// Paths of the CIBA flow (DESIGN.md, wire surface).
const (
	PathBCAuthorize = "/oauth2/bc-authorize"
	// PathCIBAApproval is the hosted approval page the message links to,
	// with the link's token in the query (?t=): paths are logged, queries
	// are not.
	PathCIBAApproval = "/ciba"
)

// CIBA error codes (CIBA Core §13, §11).
const (
	CodeUnknownUserID         = "unknown_user_id"
	CodeInvalidBindingMessage = "invalid_binding_message"
	CodeMissingUserCode       = "missing_user_code"
	CodeInvalidUserCode       = "invalid_user_code"
)

// Defaults and limits of CIBAConfig and of the request's parameters.
const (
	DefaultCIBARequestLifetime = 10 * time.Minute
	DefaultCIBAInterval        = 5 * time.Second
	// MinCIBARequestedExpiry is the shortest requested_expiry: a person
	// needs time to read a text and open a link.
	MinCIBARequestedExpiry = time.Minute
	// MaxCIBABindingMessage is the longest binding_message, in
	// characters: it must fit in one SMS beside the client and the link,
	// and be read at a glance on both screens.
	MaxCIBABindingMessage = 20
	// maxNotificationToken bounds client_notification_token.
	maxNotificationToken = 1024
	// cibaLinkBytes is the entropy of the approval link's token (128
	// bits; it is short-lived, single-use and stored by hash).
	cibaLinkBytes = 16
)

// CIBABounds returns the allowed values of CIBAConfig's fields; Validate
// checks against it and package config names its keys with it.
func CIBABounds() (lifetime, interval DurationRange) {
	return DurationRange{time.Minute, time.Hour}, DurationRange{time.Second, time.Minute}
}

// CIBAConfig configures backchannel authentication. The zero value of
// every field means its default. It needs the OTP flow (Config.OTP),
// whose lookup, delivery queue and limits it uses.
type CIBAConfig struct {
	// RequestLifetime is how long a request waits for the person
	// (expires_in; default 10m, 1m to 1h); requested_expiry may ask for
	// less, never more.
	RequestLifetime time.Duration
	// Interval is the least wait between two polls (default 5s; whole
	// seconds, 1s to 60s); each early poll adds 5s (slow_down).
	Interval time.Duration
	// IDTokenTTL is the lifetime of the ID tokens (default 1h).
	IDTokenTTL time.Duration
}

func (c CIBAConfig) withDefaults() CIBAConfig {
	if c.RequestLifetime == 0 {
		c.RequestLifetime = DefaultCIBARequestLifetime
	}
	if c.Interval == 0 {
		c.Interval = DefaultCIBAInterval
	}
	if c.IDTokenTTL == 0 {
		c.IDTokenTTL = DefaultIDTokenTTL
	}
	return c
}

// Validate reports the first setting out of bounds.
func (c CIBAConfig) Validate() error {
	d := c.withDefaults()
	life, iv := CIBABounds()
	switch {
	case !life.Contains(d.RequestLifetime):
		return fmt.Errorf("ciba: request lifetime %s is out of range; use %s to %s", d.RequestLifetime, life.Min, life.Max)
	case !iv.Contains(d.Interval) || d.Interval%time.Second != 0:
		return fmt.Errorf("ciba: poll interval %s is out of range; use whole seconds from %s to %s", d.Interval, iv.Min, iv.Max)
	case d.IDTokenTTL < time.Minute || d.IDTokenTTL > 24*time.Hour:
		return fmt.Errorf("ciba: id token lifetime %s is out of range; use 1m to 24h", d.IDTokenTTL)
	}
	return nil
}

// cibaStore is the CIBA flow's: its requests, the people an id_token_hint
// names, the grant an approval makes and the audit log. The lookup and
// the messages go through the OTP flow and its store.
type cibaStore interface {
	CreateCIBARequest(ctx context.Context, r *keypad.CIBARequest) error
	GetCIBARequest(ctx context.Context, hash []byte) (*keypad.CIBARequest, error)
	GetCIBARequestByLink(ctx context.Context, linkHash []byte) (*keypad.CIBARequest, error)
	UpdateCIBARequest(ctx context.Context, hash []byte, fn func(*keypad.CIBARequest) error) (*keypad.CIBARequest, error)
	ListCIBAPingsDue(ctx context.Context, now time.Time, limit int) ([]*keypad.CIBARequest, error)
	GetSubject(ctx context.Context, id string) (*keypad.Subject, error)
	GetOTPSession(ctx context.Context, hash []byte) (*keypad.OTPSession, error)
	CreateOTPSession(ctx context.Context, s *keypad.OTPSession) error
	GetGrant(ctx context.Context, id string) (*keypad.Grant, error)
	CreateGrant(ctx context.Context, g *keypad.Grant) error
	RevokeGrant(ctx context.Context, id string, now time.Time) error
	AddAuditEvent(ctx context.Context, e *keypad.AuditEvent) error
}

// cibaFlow is backchannel authentication on one Server; it is also the
// grant handler of keypad.GrantCIBA.
type cibaFlow struct {
	s      *Server
	otp    *otpFlow
	store  cibaStore
	cfg    CIBAConfig
	sealer *token.Sealer
	pinger *cibaPinger
}

// installCIBA turns on CIBA (Config.CIBA): it serves POST
// /oauth2/bc-authorize, accepts grant_type urn:openid:params:grant-type:ciba
// and announces the endpoint and the modes in the metadata.
func (s *Server) installCIBA(cfg CIBAConfig, deps Deps) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	f, err := s.otp()
	if err != nil {
		return errors.New("ciba: needs the OTP flow (Config.OTP), which finds and reaches the person")
	}
	c := &cibaFlow{s: s, otp: f, store: s.store, cfg: cfg.withDefaults(), sealer: deps.OTP.Sealer}
	c.pinger = newCIBAPinger(c, deps.CIBAHTTPClient)
	s.handle("POST "+PathBCAuthorize, http.HandlerFunc(c.handleAuthorize))
	s.registerGrant(keypad.GrantCIBA, c)
	s.setMetadata("backchannel_authentication_endpoint", s.Endpoint(PathBCAuthorize))
	s.setMetadata("backchannel_token_delivery_modes_supported", []string{keypad.CIBAModePoll, keypad.CIBAModePing})
	s.setMetadata("backchannel_user_code_parameter_supported", false)
	return nil
}

// ErrCIBADisabled is returned by the Go API when Config.CIBA was not set.
var ErrCIBADisabled = errors.New("oauth: CIBA is not enabled: set Config.CIBA")

func (s *Server) ciba() (*cibaFlow, error) {
	c, ok := s.grant(keypad.GrantCIBA).(*cibaFlow)
	if !ok {
		return nil, ErrCIBADisabled
	}
	return c, nil
}

// CIBAResponse is the answer of the backchannel authentication endpoint
// (CIBA Core §7.3).
type CIBAResponse struct {
	AuthReqID string
	ExpiresIn time.Duration
	Interval  time.Duration
}

// MarshalJSON writes the CIBA Core §7.3 member names.
func (r *CIBAResponse) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		AuthReqID string `json:"auth_req_id"`
		ExpiresIn int64  `json:"expires_in"`
		Interval  int64  `json:"interval"`
	}{r.AuthReqID, otpSeconds(r.ExpiresIn), otpSeconds(r.Interval)})
}

// handleAuthorize is POST /oauth2/bc-authorize (CIBA Core §7).
func (c *cibaFlow) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	resp, err := c.authorizeHTTP(w, r)
	if err != nil {
		c.s.writeError(w, r, err)
		return
	}
	noStore(w.Header())
	writeJSON(w, http.StatusOK, resp)
}

// cibaParams is a parsed, checked authentication request (§7.1).
type cibaParams struct {
	client      *keypad.Client
	scopes      []string
	loginHint   string
	idTokenSub  string // the subject of a verified id_token_hint
	binding     string
	lifetime    time.Duration
	notifyToken string
	ip          string
	// uiLocales are the request's ui_locales (OIDC): the languages the
	// client would like the person's message in, if the person has none.
	uiLocales string
}

func (c *cibaFlow) authorizeHTTP(w http.ResponseWriter, r *http.Request) (*CIBAResponse, error) {
	form, err := parseForm(w, r)
	if err != nil {
		return nil, err
	}
	client, _, err := c.s.authenticateClient(r, form)
	if err != nil {
		return nil, err
	}
	if !client.AllowsGrant(keypad.GrantCIBA) {
		return nil, UnauthorizedClient("this client is not registered for CIBA (grant_type '%s')", keypad.GrantCIBA)
	}
	p, err := c.parse(r.Context(), client, form)
	if err != nil {
		return nil, err
	}
	p.ip = c.otp.clientIP(r)
	return c.start(r.Context(), p)
}

// parse checks the request's parameters (CIBA Core §7.1) in the order a
// developer fixes them.
func (c *cibaFlow) parse(ctx context.Context, client *keypad.Client, form url.Values) (*cibaParams, error) {
	p := &cibaParams{client: client, lifetime: c.cfg.RequestLifetime, uiLocales: form.Get("ui_locales")}
	if form.Get("request") != "" {
		return nil, InvalidRequest("signed authentication requests (request) are not supported; send the parameters in the form")
	}
	requested := keypad.ParseScope(form.Get("scope"))
	if !hasScope(requested, "openid") {
		return nil, InvalidScope("scope must include openid (CIBA Core section 7.1)")
	}
	scopes, err := checkScopes(requested, client.Scopes)
	if err != nil {
		return nil, err
	}
	p.scopes = scopes
	hints := 0
	for _, k := range []string{"login_hint", "login_hint_token", "id_token_hint"} {
		if form.Get(k) != "" {
			hints++
		}
	}
	switch {
	case hints != 1:
		return nil, InvalidRequest("send exactly one of login_hint (the person's phone number, email address, account number or service address) or id_token_hint (an ID token keypad issued to this client)")
	case form.Get("login_hint_token") != "":
		return nil, InvalidRequest("login_hint_token is not supported here; send login_hint (phone number, email address, account number or service address) or id_token_hint")
	case form.Get("id_token_hint") != "":
		if p.idTokenSub, err = c.idTokenHint(ctx, client, form.Get("id_token_hint")); err != nil {
			return nil, err
		}
	default:
		p.loginHint = form.Get("login_hint")
	}
	if p.binding, err = bindingMessage(form.Get("binding_message")); err != nil {
		return nil, err
	}
	if client.Options.CIBA.RequireBindingCode && !bindingCode.MatchString(p.binding) {
		return nil, NewError(CodeInvalidBindingMessage, "this client is registered to have the person type its code: binding_message must be 4 to 8 digits, shown on the client's screen and never sent to the person")
	}
	if v := form.Get("requested_expiry"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || time.Duration(n)*time.Second < MinCIBARequestedExpiry || time.Duration(n)*time.Second > c.cfg.RequestLifetime {
			return nil, InvalidRequest("requested_expiry must be whole seconds from %d to %d", otpSeconds(MinCIBARequestedExpiry), otpSeconds(c.cfg.RequestLifetime))
		}
		p.lifetime = time.Duration(n) * time.Second
	}
	if client.Options.CIBA.UserCodeParameter || form.Get("user_code") != "" {
		return nil, InvalidRequest("user_code is not supported here (backchannel_user_code_parameter_supported is false); leave it out")
	}
	if client.Options.CIBA.Mode() == keypad.CIBAModePing {
		tok := form.Get("client_notification_token")
		if tok == "" {
			return nil, InvalidRequest("client_notification_token is required: this client is registered for ping mode")
		}
		if len(tok) > maxNotificationToken || strings.ContainsFunc(tok, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
			return nil, InvalidRequest("client_notification_token must be at most %d printable ASCII characters without spaces (a bearer token)", maxNotificationToken)
		}
		p.notifyToken = tok
	}
	return p, nil
}

// bindingMessage checks binding_message: short, and plain letters, digits,
// spaces and common punctuation, so it reads the same on the client's
// screen, in a text and on the approval page.
func bindingMessage(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	bad := func() (string, error) {
		return "", NewError(CodeInvalidBindingMessage, "binding_message must be 1 to %d letters, digits, spaces or - . , : # ! ?, such as a 4-digit number the client also shows", MaxCIBABindingMessage)
	}
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxCIBABindingMessage || strings.TrimSpace(s) == "" {
		return bad()
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune(" -.,:#!?", r):
		default:
			return bad()
		}
	}
	return strings.Join(strings.Fields(s), " "), nil
}

// idTokenHint verifies an ID token keypad issued to client (its
// signature with keypad's keys, its issuer and audience; it may have
// expired, CIBA Core §7.1) and returns its subject.
func (c *cibaFlow) idTokenHint(ctx context.Context, client *keypad.Client, tok string) (string, error) {
	var claims idTokenClaims
	if err := c.s.tokens.Keys.Verify(ctx, tok, typIDToken, &claims); err != nil {
		return "", InvalidRequest("id_token_hint is not an ID token signed by this server; send one keypad issued to this client, or a login_hint")
	}
	if claims.Issuer != c.s.issuer || claims.Audience != client.ID || claims.Subject == "" {
		return "", InvalidRequest("id_token_hint was not issued by this server to this client; send one that was, or a login_hint")
	}
	return claims.Subject, nil
}

// start finds the person, stores the request and queues the message.
// An unknown hint takes the same path with a decoy OTP session: the
// same answer, the same store work, and a queued row no worker sends.
func (c *cibaFlow) start(ctx context.Context, p *cibaParams) (*CIBAResponse, error) {
	now := c.s.now()
	ch, err := c.session(ctx, p)
	if err != nil {
		return nil, err
	}
	otpHash := keypad.SecretHash(ch.Session)
	o, err := c.store.GetOTPSession(ctx, otpHash)
	if err != nil {
		return nil, fmt.Errorf("ciba: read otp session: %w", err)
	}
	reqID, err := token.NewSecret(c.s.rand, keypad.PrefixCIBARequest)
	if err != nil {
		return nil, fmt.Errorf("ciba: %w", err)
	}
	var lb [cibaLinkBytes]byte
	if _, err := c.s.rand.Read(lb[:]); err != nil {
		return nil, fmt.Errorf("ciba: link token: %w", err)
	}
	link := base64.RawURLEncoding.EncodeToString(lb[:])
	req := &keypad.CIBARequest{
		Hash: keypad.SecretHash(reqID), LinkHash: keypad.SecretHash(link),
		ClientID: p.client.ID, Subject: o.Subject, Decoy: o.Decoy, Scopes: p.scopes,
		BindingMessage: p.binding, OTPSession: otpHash, Mode: p.client.Options.CIBA.Mode(),
		Status: keypad.CIBAPending, Interval: c.cfg.Interval,
		CreatedAt: now, ExpiresAt: now.Add(p.lifetime),
	}
	if p.notifyToken != "" {
		// The ping names the auth_req_id, of which only the hash is
		// kept in clear: both travel sealed.
		pt, _ := json.Marshal(cibaPingSecrets{Token: p.notifyToken, AuthReqID: reqID})
		req.NotificationToken, err = c.sealer.Seal(pt, cibaTokenAD(req.Hash))
		clear(pt)
		if err != nil {
			return nil, fmt.Errorf("ciba: seal notification token: %w", err)
		}
	}
	if err := c.store.CreateCIBARequest(ctx, req); err != nil {
		return nil, fmt.Errorf("ciba: store request: %w", err)
	}
	render := func(ctx context.Context, o *keypad.OTPSession, och keypad.OTPChannel) (notify.Message, error) {
		return c.message(ctx, p, o, och, link, req.ExpiresAt)
	}
	_, err = c.otp.send(ctx, sendRequest{
		client: p.client, purpose: OTPPurposeCIBA, handle: ch.Session,
		channel: preferredChannel(ch.Channels, c.hintChannel(p.loginHint)), ip: p.ip, render: render,
	})
	if err != nil {
		// The request was never answered with its auth_req_id: it can
		// never be polled, and its link was never sent.
		return nil, err
	}
	c.record(ctx, "requested", p.client.ID, o.Subject, p.ip, fmt.Sprintf("mode=%s decoy=%t", req.Mode, o.Decoy))
	return &CIBAResponse{AuthReqID: reqID, ExpiresIn: p.lifetime, Interval: c.cfg.Interval}, nil
}

// cibaPingSecrets are what a ping needs and the store keeps sealed.
type cibaPingSecrets struct {
	Token     string `json:"t"`
	AuthReqID string `json:"id"`
}

// cibaTokenAD binds a sealed client_notification_token to its request.
func cibaTokenAD(hash []byte) []byte {
	return append([]byte("keypad/ciba-notification-token/v1\x00"), hash...)
}

// session starts the OTP session the message goes out under: the OTP
// lookup for a login_hint (its normalisation, ambiguity and decoy rules,
// its limits and audit), the person's own channels for an id_token_hint.
// The lookup's answers become CIBA's: ambiguous is invalid_request
// saying what else to send, unknown (for clients that chose explicit
// answers) unknown_user_id.
func (c *cibaFlow) session(ctx context.Context, p *cibaParams) (*OTPChallenge, error) {
	if p.idTokenSub != "" {
		return c.subjectSession(ctx, p)
	}
	ch, err := c.otp.lookup(ctx, lookupRequest{
		client: p.client, identifier: p.loginHint, scopes: p.scopes, ip: p.ip, purpose: OTPPurposeCIBA,
		uiLocales: p.uiLocales,
	})
	var e *Error
	if errors.As(err, &e) {
		switch e.Code {
		case CodeAmbiguousIdentifier:
			out := InvalidRequest("%s; send it as login_hint", e.Description)
			out.Extra = e.Extra
			return nil, out
		case CodeUnknownIdentifier:
			out := NewError(CodeUnknownUserID, "%s", e.Description)
			out.Extra = e.Extra
			return nil, out
		}
	}
	if err != nil {
		return nil, err
	}
	if len(ch.Channels) == 0 {
		return nil, fmt.Errorf("ciba: lookup returned no channel")
	}
	return ch, nil
}

// subjectSession is the OTP session of a person an id_token_hint named.
// The hint was signed by keypad, so knowing whether the person exists
// tells the client nothing new: a person keypad can no longer reach is
// unknown_user_id.
func (c *cibaFlow) subjectSession(ctx context.Context, p *cibaParams) (*OTPChallenge, error) {
	if err := c.otp.checkLookup(ctx, p.client, p.ip, c.s.now()); err != nil {
		return nil, err
	}
	sub, err := c.store.GetSubject(ctx, p.idTokenSub)
	if errors.Is(err, keypad.ErrNotFound) || (err == nil && sub.Disabled) {
		return nil, NewError(CodeUnknownUserID, "the person the id_token_hint names is no longer known here")
	}
	if err != nil {
		return nil, fmt.Errorf("ciba: read subject: %w", err)
	}
	channels := c.otp.subjectChannels(sub)
	if len(channels) == 0 {
		return nil, NewError(CodeUnknownUserID, "the person the id_token_hint names has no phone number or email address keypad can reach")
	}
	hints := make([]OTPChannelHint, len(channels))
	for i := range channels {
		if channels[i].ID, err = identifier.NewChannelID(c.s.rand); err != nil {
			return nil, fmt.Errorf("ciba: %w", err)
		}
		hints[i] = OTPChannelHint{ID: channels[i].ID, Type: channels[i].Type}
	}
	handle, err := token.NewSecret(c.s.rand, keypad.PrefixOTPSession)
	if err != nil {
		return nil, fmt.Errorf("ciba: %w", err)
	}
	now := c.s.now()
	o := &keypad.OTPSession{
		Hash: keypad.SecretHash(handle), ClientID: p.client.ID, Scopes: p.scopes, Subject: sub.ID,
		Channels: channels, Purpose: OTPPurposeCIBA, Status: keypad.OTPPending,
		CreatedAt: now, ExpiresAt: now.Add(c.otp.cfg.SessionLifetime),
		Language: c.otp.tmpl.Match(sub.PreferredLanguage), UILanguage: c.otp.tmpl.Match(p.uiLocales),
	}
	if err := c.store.CreateOTPSession(ctx, o); err != nil {
		return nil, fmt.Errorf("ciba: store session: %w", err)
	}
	return &OTPChallenge{Session: handle, Channels: hints}, nil
}

// hintChannel is the channel a login_hint names: a phone number is
// reached by text, an email address by email; other hints name none.
func (c *cibaFlow) hintChannel(hint string) string {
	if hint == "" {
		return ""
	}
	id, err := c.otp.norm.Parse(hint, "")
	if err != nil {
		return ""
	}
	switch id.Type {
	case keypad.IdentifierPhone:
		return notify.ChannelSMS
	case keypad.IdentifierEmail:
		return notify.ChannelEmail
	}
	return ""
}

// preferredChannel picks the channel of type want, else the person's
// first (their preferred: identifier.SubjectChannels lists it first).
func preferredChannel(chs []OTPChannelHint, want string) string {
	for _, ch := range chs {
		if ch.Type == want {
			return ch.ID
		}
	}
	return chs[0].ID
}

// message renders the text or email: who asks, for what, the binding
// message and the link, in the session's language (the person's, else
// the request's ui_locales, else the default).
func (c *cibaFlow) message(ctx context.Context, p *cibaParams, o *keypad.OTPSession, ch keypad.OTPChannel, link string, expires time.Time) (notify.Message, error) {
	binding := p.binding
	if p.client.Options.CIBA.RequireBindingCode {
		binding = "" // the person must read it off the client's screen
	}
	name := p.client.Name
	if name == "" {
		name = p.client.ID
	}
	lang := c.otp.messageLanguage(o, "")
	words, err := c.otp.scopeWords(ctx, withoutOpenID(p.scopes), lang)
	if err != nil {
		return notify.Message{}, err
	}
	m, err := c.otp.tmpl.CIBAMessage(ch.Type, ch.Destination, notify.CIBAData{
		ClientName: name, ScopeDescriptions: words, BindingMessage: binding,
		Link: c.s.Endpoint(PathCIBAApproval) + "?t=" + link, ExpiresIn: p.lifetime, ExpiresAt: expires,
		Language: lang,
	})
	if err != nil {
		return notify.Message{}, fmt.Errorf("ciba: render message: %w", err)
	}
	return m, nil
}

// withoutOpenID drops the protocol's own scopes from what a person reads.
func withoutOpenID(scopes []string) []string {
	var out []string
	for _, s := range scopes {
		if s != "openid" && s != "offline_access" {
			out = append(out, s)
		}
	}
	return out
}

// record audits a CIBA event ("ciba.<name>") and counts it.
func (c *cibaFlow) record(ctx context.Context, name, clientID, subject, ip, detail string) {
	c.s.metrics.Event("ciba", name)
	err := c.store.AddAuditEvent(ctx, &keypad.AuditEvent{
		Time: c.s.now(), Type: "ciba." + name, ClientID: clientID, Subject: subject, IP: ip, Detail: detail,
	})
	if err != nil {
		c.s.log.ErrorContext(ctx, "oauth: write ciba audit event", "type", name, "err", err)
	}
}
