package oauth

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/metrics"
	"github.com/keypadauth/keypad/ratelimit"
	"github.com/keypadauth/keypad/token"
)

// Paths of the endpoints this package serves (DESIGN.md, wire surface).
const (
	PathToken         = "/oauth2/token"
	PathIntrospect    = "/oauth2/introspect"
	PathRevoke        = "/oauth2/revoke"
	PathJWKS          = "/.well-known/jwks.json"
	PathASMetadata    = "/.well-known/oauth-authorization-server"
	PathOIDCDiscovery = "/.well-known/openid-configuration"
)

// Config is the protocol configuration: the issuer, the default
// lifetimes and the flows the server offers. A nil flow is off; client
// credentials are always on. The server is built from it once, by New,
// and does not change afterwards.
type Config struct {
	// Issuer is the issuer URL (RFC 8414 §2): https, or http for
	// localhost; endpoint URLs are built from it. The server itself
	// serves paths at the root, so a reverse proxy must strip any path
	// the issuer has.
	Issuer string
	// AccessTTL and RefreshTTL are the default token lifetimes. Zero means
	// the token package's defaults.
	AccessTTL  time.Duration
	RefreshTTL time.Duration
	// ClientCacheTTL, when positive, caches client records this long, so
	// the token endpoint need not read the store for every request. The
	// owner of the Server empties the cache when the store reports a
	// client change (ForgetClients), so the TTL only bounds how long a
	// missed report could leave a deleted client or a rotated secret
	// working. Zero disables the cache.
	ClientCacheTTL time.Duration
	// ClientJWKS bounds the fetching of private_key_jwt clients' jwks_uri.
	ClientJWKS JWKSFetchConfig

	// Device turns on the device flow (RFC 8628; device.go).
	Device *DeviceConfig
	// AuthorizationCode turns on the authorization code flow with PKCE
	// and OpenID Connect, refresh tokens and userinfo (authorize.go); it
	// needs Deps.Pages.
	AuthorizationCode *AuthCodeConfig
	// Password turns on the password grant for the clients registered
	// with it, and refresh tokens (password.go); it needs Deps.Limiter.
	Password *PasswordConfig
	// JWTBearer turns on the JWT bearer grant for the clients registered
	// with it and with assertion keys (assertion.go).
	JWTBearer *JWTBearerConfig
	// SAML2Bearer turns on the SAML 2.0 bearer grant (RFC 7522) for the
	// clients registered with it and with trusted IdPs.
	SAML2Bearer *SAML2BearerConfig
	// Refresh turns on refresh tokens on their own, for a server offering
	// only the device or OTP flow; AuthorizationCode and Password imply it.
	Refresh bool
	// OTP turns on the OTP flow (otp.go); it needs Deps.OTP.
	OTP *OTPConfig
	// CIBA turns on OpenID Connect backchannel authentication (ciba.go);
	// it needs OTP, whose lookup, delivery queue and limits it uses.
	CIBA *CIBAConfig
	// DPoP bounds the DPoP proofs (RFC 9449) every grant accepts
	// (dpop.go); the zero value is usable.
	DPoP DPoPConfig
	// Registration turns on dynamic client registration (RFC 7591,
	// RFC 7592; register.go), closed unless it says open.
	Registration *RegistrationConfig
}

// Validate checks the configuration and says what to fix.
func (c *Config) Validate() error {
	u, err := url.Parse(c.Issuer)
	if err != nil || c.Issuer == "" {
		return fmt.Errorf("issuer %q is not a URL: set it to the server's public base URL, e.g. https://auth.example.com", c.Issuer)
	}
	local := u.Hostname() == "localhost" || u.Hostname() == "127.0.0.1" || u.Hostname() == "::1"
	switch {
	case u.Scheme != "https" && !(u.Scheme == "http" && local):
		return fmt.Errorf("issuer %q must use https (http is allowed for localhost only)", c.Issuer)
	case u.Host == "":
		return fmt.Errorf("issuer %q has no host", c.Issuer)
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return fmt.Errorf("issuer %q must not have a query, fragment or user info (RFC 8414 section 2)", c.Issuer)
	case c.AccessTTL < 0 || c.RefreshTTL < 0 || c.ClientCacheTTL < 0:
		return errors.New("token lifetimes and the client cache TTL must not be negative")
	}
	return c.DPoP.Validate()
}

// Deps are the server's collaborators. Those of a flow are required
// only when Config turns the flow on.
type Deps struct {
	Store keypad.Store
	// Issuer mints the tokens. New works on a copy, completed where the
	// caller left fields unset (see New); the caller's is not changed.
	Issuer  *token.Issuer
	Logger  *slog.Logger     // slog.Default() when nil
	Metrics *metrics.Metrics // may be nil
	Now     func() time.Time // time.Now when nil
	Rand    io.Reader        // crypto/rand.Reader when nil; safe for concurrent use

	// Pages builds the person's side of the authorization code flow
	// (sign-in, consent), usually the *web.Handler. It is called once,
	// inside New, with the server being built, because the pages in turn
	// use that server as their Authorizer and CodeSignIn; they may keep
	// it but must not call it before New has returned. This is the one
	// place where oauth and its pages are tied together.
	Pages func(*Server) (Interaction, error)
	// Limiter counts failed passwords for the password grant; the sign-in
	// page must use the same one, so failures on either count together.
	Limiter *ratelimit.Limiter
	// OTP are the OTP flow's collaborators.
	OTP OTPDeps
	// CIBAHTTPClient sends CIBA pings to clients' notification endpoints
	// (a client with a 10s timeout that follows no redirect when nil).
	CIBAHTTPClient *http.Client
}

// Server serves the OAuth endpoints. It is immutable once New returns:
// its grants, endpoints and metadata are fixed by Config.
type Server struct {
	cfg     Config
	issuer  string // Config.Issuer without a trailing slash
	store   keypad.Store
	tokens  *token.Issuer
	log     *slog.Logger
	metrics *metrics.Metrics
	now     func() time.Time
	rand    io.Reader
	clients *clientCache
	jwks    jwksFetcher // clients' published keys (jwksfetch.go)
	reg     *registration

	// Set by installBuiltins inside New, read-only afterwards.
	grants map[string]GrantHandler
	order  []string // grant types in registration order, for the metadata
	routes []route
	meta   map[string]any
}

type route struct {
	pattern string
	h       http.Handler
}

// New returns a server offering the flows Config turns on. It mints
// tokens with a copy of Deps.Issuer, completed where that leaves fields
// unset: the issuer URL, the default lifetimes from Config, the store as
// its GrantStore and the client cache as its Clients, so that
// introspection sees revoked grants and deleted clients; Tokens returns
// that copy. An Issuer whose URL differs from Config.Issuer is refused.
func New(cfg Config, deps Deps) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Store == nil || deps.Issuer == nil {
		return nil, errors.New("oauth: Store and Issuer are required")
	}
	tokens := *deps.Issuer
	s := &Server{
		cfg:     cfg,
		issuer:  strings.TrimSuffix(cfg.Issuer, "/"),
		store:   deps.Store,
		tokens:  &tokens,
		log:     deps.Logger,
		metrics: deps.Metrics,
		now:     deps.Now,
		rand:    deps.Rand,
		grants:  map[string]GrantHandler{},
		meta:    map[string]any{},
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	switch iss := s.tokens.Issuer; {
	case iss == "":
		s.tokens.Issuer = s.issuer
	case strings.TrimSuffix(iss, "/") != s.issuer:
		return nil, fmt.Errorf("oauth: the token issuer says iss=%q but the server's issuer is %q", iss, cfg.Issuer)
	}
	if s.tokens.Grants == nil {
		s.tokens.Grants = deps.Store
	}
	s.clients = newClientCache(deps.Store, cfg.ClientCacheTTL, s.now)
	if s.tokens.Clients == nil {
		s.tokens.Clients = s.clients
	}
	if s.tokens.DefaultAccessTTL == 0 {
		s.tokens.DefaultAccessTTL = cfg.AccessTTL
	}
	if s.tokens.DefaultRefreshTTL == 0 {
		s.tokens.DefaultRefreshTTL = cfg.RefreshTTL
	}
	if err := s.installBuiltins(cfg, deps); err != nil {
		return nil, err
	}
	return s, nil
}

// Tokens is the token issuer the server mints with: Deps.Issuer as New
// completed it.
func (s *Server) Tokens() *token.Issuer { return s.tokens }

// installBuiltins registers the grants and endpoints Config turns on, in
// the order grant_types_supported lists them. A new grant adds its one
// line here (and its field in Config).
func (s *Server) installBuiltins(cfg Config, deps Deps) error {
	s.registerGrant(keypad.GrantClientCredentials, GrantFunc(s.clientCredentials))
	s.installDPoP()
	installs := []struct {
		flow    string // the Config field, for FlowError
		on      bool
		install func() error
	}{
		{"Device", cfg.Device != nil, func() error { return s.installDeviceFlow(*cfg.Device) }},
		{"AuthorizationCode", cfg.AuthorizationCode != nil, func() error { return s.installAuthorizationCode(*cfg.AuthorizationCode, deps.Pages) }},
		{"Password", cfg.Password != nil, func() error { return s.installPasswordGrant(*cfg.Password, deps.Limiter) }},
		{"JWTBearer", cfg.JWTBearer != nil, func() error { return s.installJWTBearerGrant(*cfg.JWTBearer) }},
		{"SAML2Bearer", cfg.SAML2Bearer != nil, func() error { return s.installSAML2BearerGrant(*cfg.SAML2Bearer) }},
		{"Refresh", cfg.Refresh, func() error { s.installRefresh(); return nil }},
		{"OTP", cfg.OTP != nil, func() error { return s.installOTPFlow(*cfg.OTP, deps.OTP) }},
		{"CIBA", cfg.CIBA != nil, func() error { return s.installCIBA(*cfg.CIBA, deps) }},
		{"Registration", cfg.Registration != nil, func() error { return s.installRegistration(*cfg.Registration) }},
	}
	for _, in := range installs {
		if !in.on {
			continue
		}
		if err := in.install(); err != nil {
			return &FlowError{Flow: in.flow, Err: err}
		}
	}
	return nil
}

// FlowError is a flow's refusal, in New, of its configuration or its
// collaborators. Flow names the Config field ("Device", "OTP", ...), so
// that a caller can point at the settings it built that field from.
type FlowError struct {
	Flow string
	Err  error
}

func (e *FlowError) Error() string { return e.Err.Error() }
func (e *FlowError) Unwrap() error { return e.Err }

// registerGrant makes the token endpoint serve grantType with h and lists
// it in grant_types_supported. Registering a type again replaces its
// handler. Only installBuiltins's flows call it, inside New.
func (s *Server) registerGrant(grantType string, h GrantHandler) {
	if _, ok := s.grants[grantType]; !ok {
		s.order = append(s.order, grantType)
	}
	s.grants[grantType] = h
}

// handle adds an endpoint of a flow (pattern as for
// http.ServeMux.Handle, with its method, e.g. "POST
// /oauth2/device_authorization"). Register puts it on the mux.
func (s *Server) handle(pattern string, h http.Handler) {
	s.routes = append(s.routes, route{pattern, h})
}

// setMetadata sets a member of the authorization server metadata (RFC
// 8414 §2), e.g. "device_authorization_endpoint" to Endpoint(...), or
// "code_challenge_methods_supported". Members the server computes itself
// (grant types, endpoints of this package, scopes) cannot be overridden.
func (s *Server) setMetadata(name string, value any) {
	s.meta[name] = value
}

// Endpoint returns the absolute URL of path on this server.
func (s *Server) Endpoint(path string) string { return s.issuer + path }

// Register puts every endpoint on mux. Patterns carry their method, so the
// mux itself answers 405 to a wrong one.
func (s *Server) Register(mux *http.ServeMux) {
	routes := []route{
		{"POST " + PathToken, http.HandlerFunc(s.handleToken)},
		{"POST " + PathIntrospect, http.HandlerFunc(s.handleIntrospect)},
		{"POST " + PathRevoke, http.HandlerFunc(s.handleRevoke)},
		{"GET " + PathASMetadata, http.HandlerFunc(s.handleMetadata)},
		{"GET " + PathOIDCDiscovery, http.HandlerFunc(s.handleMetadata)},
		{"GET " + PathJWKS, http.HandlerFunc(s.handleJWKS)},
	}
	routes = append(routes, s.routes...)
	registerWithCORS(mux, routes)
}

// grantTypes returns the registered grant types in registration order.
func (s *Server) grantTypes() []string {
	return slices.Clone(s.order)
}

func (s *Server) grant(grantType string) GrantHandler {
	return s.grants[grantType]
}
