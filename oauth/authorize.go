package oauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/token"
)

// Paths of the authorization code flow's endpoints (DESIGN.md, wire
// surface).
const (
	PathAuthorize = "/oauth2/authorize"
	PathUserinfo  = "/oauth2/userinfo"
)

// Error codes of the authorization endpoint beyond RFC 6749: OpenID
// Connect Core §3.1.2.6 and RFC 8707 §2.
const (
	CodeLoginRequired          = "login_required"
	CodeConsentRequired        = "consent_required"
	CodeRequestNotSupported    = "request_not_supported"
	CodeRequestURINotSupported = "request_uri_not_supported"
	CodeInvalidTarget          = "invalid_target"
)

// Lifetimes and bounds of the authorization code flow.
const (
	// DefaultCodeLifetime is how long an authorization code can be
	// exchanged: long enough for a redirect and a token request, short
	// enough that a leaked code is soon worthless (RFC 6749 §4.1.2).
	DefaultCodeLifetime = 60 * time.Second
	maxCodeLifetime     = 10 * time.Minute
	// DefaultIDTokenTTL is how long an ID token is valid.
	DefaultIDTokenTTL = time.Hour
	// maxParamLen bounds state and nonce, which travel through the
	// browser session.
	maxParamLen = 2048
)

// AuthCodeConfig configures the authorization code flow. The zero value
// of every field means its default.
type AuthCodeConfig struct {
	// CodeLifetime is how long a code can be exchanged (default 60s, at
	// most 10m).
	CodeLifetime time.Duration
	// IDTokenTTL is the lifetime of ID tokens (default 1h, at most 24h).
	IDTokenTTL time.Duration
	// PKCEOptionalForConfidential lets confidential clients leave out
	// PKCE. Public clients always need it; by default everyone does (RFC
	// 9700 §2.1.1).
	PKCEOptionalForConfidential bool
	// Resources, when not empty, are the only resource indicators (RFC
	// 8707) a request may name; otherwise any absolute URI is accepted
	// and becomes the token's aud.
	Resources []string
}

// Validate reports a setting out of bounds.
func (c AuthCodeConfig) Validate() error {
	switch {
	case c.CodeLifetime < 0 || c.CodeLifetime > maxCodeLifetime:
		return fmt.Errorf("authorization code: code lifetime %s is out of range; use up to %s (RFC 6749 section 4.1.2)", c.CodeLifetime, maxCodeLifetime)
	case c.IDTokenTTL < 0 || c.IDTokenTTL > token.MaxJWTAccessTTL:
		return fmt.Errorf("authorization code: ID token lifetime %s is out of range; use up to %s", c.IDTokenTTL, token.MaxJWTAccessTTL)
	}
	for _, r := range c.Resources {
		if !validResource(r) {
			return fmt.Errorf("authorization code: resource %q must be an absolute URI without a fragment (RFC 8707 section 2)", r)
		}
	}
	return nil
}

func (c AuthCodeConfig) withDefaults() AuthCodeConfig {
	if c.CodeLifetime == 0 {
		c.CodeLifetime = DefaultCodeLifetime
	}
	if c.IDTokenTTL == 0 {
		c.IDTokenTTL = DefaultIDTokenTTL
	}
	return c
}

// Interaction is the person's side of an authorization request: signing
// in, consent, and error pages. Package web implements it; it calls back
// ApproveAuthorization or AuthorizationErrorRedirect when the person is
// done.
type Interaction interface {
	// StartAuthorization takes over a valid request (its client and
	// redirect URI checked, every parameter parsed) and answers the
	// browser: a sign-in page, consent, or straight back to the client.
	StartAuthorization(w http.ResponseWriter, r *http.Request, req *AuthorizationRequest)
	// AuthorizationErrorPage tells the person about a request that cannot
	// be answered to the client, because its client or redirect URI is
	// not valid (RFC 6749 §4.1.2.1).
	AuthorizationErrorPage(w http.ResponseWriter, r *http.Request, e *Error)
}

// AuthorizationRequest is a validated authorization request (RFC 6749
// §4.1.1, OpenID Connect Core §3.1.2.1). It holds no secret, so the
// pages may keep it in the browser session while the person signs in.
type AuthorizationRequest struct {
	ClientID string `json:"client_id"`
	// RedirectURI is where the response goes; RedirectURIGiven says the
	// request named it (then the token request must repeat it, §4.1.3).
	RedirectURI      string   `json:"redirect_uri"`
	RedirectURIGiven bool     `json:"redirect_uri_given,omitempty"`
	Scopes           []string `json:"scope,omitempty"`
	State            string   `json:"state,omitempty"`
	Nonce            string   `json:"nonce,omitempty"`
	// CodeChallenge and CodeChallengeMethod are PKCE's (RFC 7636).
	CodeChallenge       string `json:"code_challenge,omitempty"`
	CodeChallengeMethod string `json:"code_challenge_method,omitempty"`
	// Resources are the RFC 8707 resource indicators: the access token's
	// audience.
	Resources []string `json:"resource,omitempty"`
	// Prompt holds the OIDC prompt values (none, login, consent,
	// select_account).
	Prompt []string `json:"prompt,omitempty"`
	// MaxAge is the OIDC max_age in seconds, or -1 when not given.
	MaxAge     int64     `json:"max_age"`
	ReceivedAt time.Time `json:"received_at"`
	// UILocales is OIDC's ui_locales (Core §3.1.2.1): the person's
	// languages for the pages, space-separated BCP 47 tags, best first.
	// The pages use the first they speak; the others are ignored, never
	// an error.
	UILocales string `json:"ui_locales,omitempty"`
}

// HasPrompt reports whether the request carries prompt value p.
func (r *AuthorizationRequest) HasPrompt(p string) bool { return slices.Contains(r.Prompt, p) }

// NeedsLogin reports whether a person who signed in at authTime must sign
// in again before this request is answered: always for prompt=login or
// select_account, and when max_age has passed since authTime. The pages
// call it only for a session whose sign-in predates the request.
func (r *AuthorizationRequest) NeedsLogin(authTime, now time.Time) bool {
	if r.HasPrompt("login") || r.HasPrompt("select_account") {
		return true
	}
	return r.MaxAge >= 0 && now.Sub(authTime) > time.Duration(r.MaxAge)*time.Second
}

// Approval is the outcome of the pages: who approved, and how and when
// they signed in (for the ID token's auth_time and amr).
type Approval struct {
	Subject  string
	AuthTime time.Time
	AMR      []string
}

// ErrAuthorizationGone means a pending authorization request can no longer
// be answered: its client was deleted or changed (grant types, redirect
// URIs) while the person was signing in.
var ErrAuthorizationGone = errors.New("oauth: the client of this authorization request was removed or changed")

// authCodeFlow is the authorization code grant (RFC 6749 §4.1) on one
// Server. It is registered as the authorization_code grant handler, which
// is also how ApproveAuthorization finds it.
type authCodeFlow struct {
	s     *Server
	store authCodeStore
	cfg   AuthCodeConfig
	pages Interaction
}

// installAuthorizationCode turns on the authorization code flow with
// PKCE and OpenID Connect (Config.AuthorizationCode): GET and POST
// /oauth2/authorize (the person's side goes to the pages newPages builds
// with this server, see Deps.Pages), grant types authorization_code and
// refresh_token at the token endpoint, GET and POST /oauth2/userinfo, and
// the matching metadata.
func (s *Server) installAuthorizationCode(cfg AuthCodeConfig, newPages func(*Server) (Interaction, error)) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if newPages == nil {
		return errors.New("authorization code: the pages (sign-in, consent) are required: set Deps.Pages")
	}
	pages, err := newPages(s)
	if err != nil {
		return err
	}
	if pages == nil {
		return errors.New("authorization code: Deps.Pages returned no pages")
	}
	f := &authCodeFlow{s: s, store: s.store, cfg: cfg.withDefaults(), pages: pages}
	s.handle("GET "+PathAuthorize, http.HandlerFunc(f.handleAuthorize))
	s.handle("POST "+PathAuthorize, http.HandlerFunc(f.handleAuthorize))
	s.registerGrant(keypad.GrantAuthorizationCode, f)
	s.installRefresh()
	s.installUserinfo()
	s.setMetadata("authorization_endpoint", s.Endpoint(PathAuthorize))
	s.setMetadata("response_types_supported", []string{"code"})
	s.setMetadata("response_modes_supported", []string{"query"})
	s.setMetadata("code_challenge_methods_supported", []string{PKCES256})
	s.setMetadata("authorization_response_iss_parameter_supported", true)
	s.setMetadata("prompt_values_supported", []string{"none", "login", "consent", "select_account"})
	// Pages that speak several languages say which (OIDC Discovery's
	// ui_locales_supported); ui_locales itself is passed on to them.
	if l, ok := pages.(interface{ UILocales() []string }); ok {
		s.setMetadata("ui_locales_supported", l.UILocales())
	}
	s.setMetadata("subject_types_supported", []string{"public"})
	s.setMetadata("id_token_signing_alg_values_supported", []string{keypad.AlgRS256, keypad.AlgES256})
	s.setMetadata("claims_supported", claimsSupported)
	s.setMetadata("claims_parameter_supported", false)
	// Request objects by value (jar.go), and request_uri only as the PAR
	// endpoint gives it out: none by reference to a client's server.
	s.setMetadata("request_parameter_supported", true)
	s.setMetadata("request_object_signing_alg_values_supported", requestObjectAlgs)
	s.setMetadata("request_uri_parameter_supported", false)
	f.installPAR()
	return nil
}

// authCode returns the flow, or an error when it was not enabled.
func (s *Server) authCode() (*authCodeFlow, error) {
	f, ok := s.grant(keypad.GrantAuthorizationCode).(*authCodeFlow)
	if !ok {
		return nil, errors.New("oauth: the authorization code flow is not enabled (set Config.AuthorizationCode)")
	}
	return f, nil
}

// authorizeFailure is an invalid request: redirected to the client when
// to is set, else shown to the person (RFC 6749 §4.1.2.1).
type authorizeFailure struct {
	e     *Error
	to    string
	state string
}

// handleAuthorize is the authorization endpoint (RFC 6749 §3.1, §4.1.1;
// OpenID Connect Core §3.1.2.1 asks for GET and POST).
func (f *authCodeFlow) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	req, fail := f.parse(w, r)
	if fail == nil {
		f.s.metrics.Event("authcode", "started")
		f.pages.StartAuthorization(w, r, req)
		return
	}
	f.s.metrics.Event("authcode", "refused")
	if fail.to == "" {
		f.pages.AuthorizationErrorPage(w, r, fail.e)
		return
	}
	http.Redirect(w, r, f.s.errorRedirect(fail.to, fail.state, fail.e), http.StatusSeeOther)
}

// parse validates a request in the order §4.1.2.1 asks: first the client
// and the redirect URI, whose errors must not be redirected, then the rest,
// whose errors go back to the client.
func (f *authCodeFlow) parse(w http.ResponseWriter, r *http.Request) (*AuthorizationRequest, *authorizeFailure) {
	page := func(e *Error) *authorizeFailure { return &authorizeFailure{e: e} }
	v, e := authorizeParams(w, r)
	if e != nil {
		return nil, page(e)
	}
	pushed := v.Has("request_uri")
	switch {
	case pushed && v.Has("request"):
		return nil, page(InvalidRequest("send either request or request_uri, not both"))
	case pushed:
		if v, e = f.pushedParams(r, v); e != nil {
			return nil, page(e)
		}
	case v.Has("request"):
		if v, e = f.signedParams(r, v); e != nil {
			return nil, page(e)
		}
	}
	for _, name := range []string{"client_id", "redirect_uri"} {
		if len(v[name]) > 1 {
			return nil, page(InvalidRequest("parameter '%s' is repeated; send it once", name))
		}
	}
	clientID := v.Get("client_id")
	if clientID == "" {
		return nil, page(InvalidRequest("client_id is missing"))
	}
	client, err := f.s.client(r.Context(), clientID)
	if errors.Is(err, keypad.ErrNotFound) {
		return nil, page(InvalidRequest("client_id '%s' is not a registered client", clientID))
	}
	if err != nil {
		return nil, page(f.s.wireError(r, err))
	}
	to, why := resolveRedirectURI(client, v.Get("redirect_uri"))
	if to == "" {
		return nil, page(InvalidRequest("%s", why))
	}

	state := v.Get("state")
	if len(state) > maxParamLen {
		return nil, &authorizeFailure{e: InvalidRequest("state is longer than %d characters", maxParamLen), to: to}
	}
	if !pushed && client.Options.PARRequired() {
		return nil, &authorizeFailure{e: InvalidRequest("this client must push its authorization requests to %s (RFC 9126) and send only client_id and request_uri here", f.s.Endpoint(PathPAR)), to: to, state: state}
	}
	req, e := f.parseRest(client, v)
	if e != nil {
		return nil, &authorizeFailure{e: e, to: to, state: state}
	}
	req.ClientID, req.RedirectURI, req.RedirectURIGiven = client.ID, to, v.Has("redirect_uri")
	req.State, req.ReceivedAt = state, f.s.now()
	if hasScope(req.Scopes, "openid") && !req.RedirectURIGiven {
		return nil, &authorizeFailure{e: InvalidRequest("redirect_uri is required with scope openid (OpenID Connect Core section 3.1.2.1)"), to: to, state: state}
	}
	return req, nil
}

// parseRest checks everything but the client and redirect URI.
func (f *authCodeFlow) parseRest(client *keypad.Client, v url.Values) (*AuthorizationRequest, *Error) {
	for _, name := range slices.Sorted(maps.Keys(v)) {
		if len(v[name]) > 1 && name != "resource" {
			return nil, InvalidRequest("parameter '%s' is repeated; send it once", name)
		}
	}
	switch {
	case v.Has("request"):
		return nil, NewError(CodeRequestNotSupported, "a request object cannot be nested in another or pushed inside the parameters of one")
	case v.Has("request_uri"):
		return nil, NewError(CodeRequestURINotSupported, "request_uri is taken only alone with client_id, as %s gave it out", PathPAR)
	}
	if rm := v.Get("response_mode"); rm != "" && rm != "query" {
		return nil, InvalidRequest("response_mode '%s' is not supported; responses come in the query (response_mode=query)", rm)
	}
	switch rt := v.Get("response_type"); rt {
	case "code":
	case "":
		return nil, InvalidRequest("response_type is missing; use response_type=code")
	default:
		return nil, NewError(CodeUnsupportedResponseType, "response_type '%s' is not supported; keypad issues authorization codes only (response_type=code), the implicit and hybrid flows are not offered (RFC 9700 section 2.1.2)", rt)
	}
	if !client.AllowsGrant(keypad.GrantAuthorizationCode) {
		return nil, UnauthorizedClient("this client is not registered for the authorization code flow (grant_type '%s')", keypad.GrantAuthorizationCode)
	}
	scopes, err := requestableScopes(keypad.ParseScope(v.Get("scope")), client.Scopes)
	if err != nil {
		e, _ := AsError(err)
		return nil, e
	}
	req := &AuthorizationRequest{Scopes: scopes, Nonce: v.Get("nonce"), MaxAge: -1}
	if len(req.Nonce) > maxParamLen {
		return nil, InvalidRequest("nonce is longer than %d characters", maxParamLen)
	}
	if req.UILocales = v.Get("ui_locales"); len(req.UILocales) > maxParamLen {
		return nil, InvalidRequest("ui_locales is longer than %d characters", maxParamLen)
	}

	challenge := v.Get("code_challenge")
	method, e := checkChallenge(challenge, v.Get("code_challenge_method"), client.Options.AllowPlainPKCE)
	if e != nil {
		return nil, e
	}
	if challenge == "" && (client.Public || client.Options.FAPI2() || !f.cfg.PKCEOptionalForConfidential) {
		return nil, InvalidRequest("code_challenge is required: send PKCE with code_challenge_method=S256 (RFC 7636)")
	}
	req.CodeChallenge, req.CodeChallengeMethod = challenge, method

	if req.Prompt, e = parsePrompt(v.Get("prompt")); e != nil {
		return nil, e
	}
	if s := v.Get("max_age"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return nil, InvalidRequest("max_age must be a whole number of seconds, 0 or more")
		}
		req.MaxAge = n
	}
	if req.Resources, e = f.s.parseResources(v["resource"]); e != nil {
		return nil, e
	}
	if e = clientAudiences(client, req.Resources); e != nil {
		return nil, e
	}
	return req, nil
}

// authorizeParams reads the parameters: the query of a GET, the form body
// of a POST. Malformed escapes are refused rather than dropped.
func authorizeParams(w http.ResponseWriter, r *http.Request) (url.Values, *Error) {
	raw := r.URL.RawQuery
	if r.Method == http.MethodPost {
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "application/x-www-form-urlencoded" {
			return nil, InvalidRequest("a POST to the authorization endpoint must be application/x-www-form-urlencoded")
		}
		b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFormBytes))
		if err != nil {
			return nil, InvalidRequest("cannot read the request body (limit %d bytes)", maxFormBytes)
		}
		raw = string(b)
	}
	v, err := url.ParseQuery(raw)
	if err != nil {
		return nil, InvalidRequest("the request parameters are not validly encoded: %v", err)
	}
	return v, nil
}

// parsePrompt reads OIDC's prompt (Core §3.1.2.1): none must stand alone.
func parsePrompt(s string) ([]string, *Error) {
	p := keypad.ParseScope(s)
	for _, v := range p {
		switch v {
		case "none", "login", "consent", "select_account":
		default:
			return nil, InvalidRequest("prompt '%s' is not supported; use none, login, consent or select_account", v)
		}
	}
	if slices.Contains(p, "none") && len(p) > 1 {
		return nil, InvalidRequest("prompt=none cannot be combined with other prompt values")
	}
	return p, nil
}

func validResource(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.IsAbs() && u.Fragment == "" && !strings.Contains(s, "#")
}

// ApproveAuthorization answers an authorization request the person
// approved (or had approved before): it stores a fresh single-use code
// (kp_ac_, kept only as its hash) and returns the URL to send the browser
// to, carrying code, state and iss (RFC 6749 §4.1.2, RFC 9207). The grant
// that "my devices" lists is created when the code is exchanged, under
// the ID the code carries. It returns ErrAuthorizationGone when the client
// changed meanwhile.
func (s *Server) ApproveAuthorization(ctx context.Context, req *AuthorizationRequest, a Approval) (string, error) {
	f, err := s.authCode()
	if err != nil {
		return "", err
	}
	if a.Subject == "" {
		return "", errors.New("oauth: approve authorization: no subject")
	}
	client, err := s.client(ctx, req.ClientID)
	if errors.Is(err, keypad.ErrNotFound) {
		return "", ErrAuthorizationGone
	}
	if err != nil {
		return "", fmt.Errorf("approve authorization: %w", err)
	}
	if to, _ := resolveRedirectURI(client, redirectParam(req)); to != req.RedirectURI || !client.AllowsGrant(keypad.GrantAuthorizationCode) {
		return "", ErrAuthorizationGone
	}
	code, err := token.NewSecret(s.rand, keypad.PrefixAuthCode)
	if err != nil {
		return "", fmt.Errorf("approve authorization: %w", err)
	}
	grantID, err := s.drawGrantID()
	if err != nil {
		return "", fmt.Errorf("approve authorization: %w", err)
	}
	now := s.now()
	err = f.store.CreateAuthCode(ctx, &keypad.AuthCode{
		Hash:                keypad.SecretHash(code),
		ClientID:            client.ID,
		Subject:             a.Subject,
		Scopes:              req.Scopes,
		Audience:            req.Resources,
		RedirectURI:         redirectParam(req),
		CodeChallenge:       req.CodeChallenge,
		CodeChallengeMethod: req.CodeChallengeMethod,
		Nonce:               req.Nonce,
		AuthTime:            a.AuthTime,
		AMR:                 a.AMR,
		GrantID:             grantID,
		CreatedAt:           now,
		ExpiresAt:           now.Add(codeLifetime(client, f.cfg.CodeLifetime)),
	})
	if err != nil {
		return "", fmt.Errorf("approve authorization: %w", err)
	}
	s.metrics.Event("authcode", "approved")
	params := url.Values{"code": {code}, "iss": {s.issuer}}
	if req.State != "" {
		params.Set("state", req.State)
	}
	return withParams(req.RedirectURI, params), nil
}

// codeLifetime is the configured code lifetime, at most 60 s for a FAPI
// 2.0 client (FAPI 2.0 Security Profile §5.3.2.1).
func codeLifetime(c *keypad.Client, configured time.Duration) time.Duration {
	if c.Options.FAPI2() {
		return min(configured, DefaultCodeLifetime)
	}
	return configured
}

// redirectParam is the redirect_uri as the request gave it ("" if it
// gave none): what the token request must repeat.
func redirectParam(req *AuthorizationRequest) string {
	if req.RedirectURIGiven {
		return req.RedirectURI
	}
	return ""
}

// AuthorizationErrorRedirect returns the URL that tells the client its
// request failed with e (RFC 6749 §4.1.2.1): access_denied when the person
// said no, login_required or consent_required for prompt=none.
func (s *Server) AuthorizationErrorRedirect(req *AuthorizationRequest, e *Error) string {
	return s.errorRedirect(req.RedirectURI, req.State, e)
}

func (s *Server) errorRedirect(to, state string, e *Error) string {
	params := url.Values{"error": {e.Code}, "iss": {s.issuer}}
	if e.Description != "" {
		params.Set("error_description", wireText(e.Description))
	}
	if state != "" {
		params.Set("state", state)
	}
	return withParams(to, params)
}

// ConsentRemembered reports whether subject already agreed to give the
// client everything req asks for: an active grant from an earlier consent
// (authorization code or device flow, not the password grant, where no
// one was asked) covers every requested scope, as exact strings. It is
// false for prompt=consent and for clients that always ask.
func (s *Server) ConsentRemembered(ctx context.Context, req *AuthorizationRequest, subject string) (bool, error) {
	if req.HasPrompt("consent") {
		return false, nil
	}
	client, err := s.client(ctx, req.ClientID)
	if err != nil {
		return false, fmt.Errorf("consent: %w", err)
	}
	if client.Options.AlwaysConsent {
		return false, nil
	}
	grants, err := s.store.ListGrants(ctx, subject, client.ID)
	if err != nil {
		return false, fmt.Errorf("consent: %w", err)
	}
	for _, g := range grants {
		if !g.RevokedAt.IsZero() || g.Subject != subject || g.ClientID != client.ID {
			continue
		}
		if g.Flow != keypad.GrantAuthorizationCode && g.Flow != keypad.GrantDeviceCode {
			continue
		}
		covered := true
		for _, sc := range req.Scopes {
			covered = covered && slices.Contains(g.Scopes, sc)
		}
		if covered {
			return true, nil
		}
	}
	return false, nil
}
