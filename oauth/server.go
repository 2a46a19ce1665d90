// Package oauth is keypad's OAuth 2.0 protocol core: the token endpoint
// and its grants, client authentication, introspection, revocation and
// metadata. One file per endpoint or grant, each naming the RFC section it
// implements.
//
// A grant is added by writing one file with a GrantHandler and one line in
// installBuiltins; an endpoint of a later flow registers itself with
// Handle and announces itself in the metadata with SetMetadata. Every
// error leaves through the one table in errors.go.
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
	"sync"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/metrics"
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

// Config is the protocol configuration.
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
	// the token endpoint need not read the store for every request. A
	// deleted client or a rotated secret then still works on this
	// instance for up to that long (and at once on the instance that made
	// the change, which calls ForgetClient). Zero disables the cache.
	ClientCacheTTL time.Duration
	// ClientJWKS bounds the fetching of private_key_jwt clients' jwks_uri.
	ClientJWKS JWKSFetchConfig
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
	return nil
}

// Deps are the server's collaborators.
type Deps struct {
	Store   keypad.Store
	Issuer  *token.Issuer
	Logger  *slog.Logger     // slog.Default() when nil
	Metrics *metrics.Metrics // may be nil
	Now     func() time.Time // time.Now when nil
	Rand    io.Reader        // crypto/rand.Reader when nil; safe for concurrent use
}

// Server serves the OAuth endpoints.
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

	mu     sync.RWMutex
	grants map[string]GrantHandler
	order  []string // grant types in registration order, for the metadata
	routes []route
	meta   map[string]any
}

type route struct {
	pattern string
	h       http.Handler
}

// New returns a server with the built-in grants installed. It completes
// Deps.Issuer where that leaves fields unset: the issuer URL, the default
// lifetimes from Config, the store as its GrantStore and the client cache
// as its Clients, so that introspection sees revoked grants and deleted
// clients. An Issuer
// whose URL differs from Config.Issuer is refused.
func New(cfg Config, deps Deps) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Store == nil || deps.Issuer == nil {
		return nil, errors.New("oauth: Store and Issuer are required")
	}
	s := &Server{
		cfg:     cfg,
		issuer:  strings.TrimSuffix(cfg.Issuer, "/"),
		store:   deps.Store,
		tokens:  deps.Issuer,
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
	s.installBuiltins()
	return s, nil
}

// installBuiltins registers the grants and endpoints of this package. A new
// grant adds its one line here.
func (s *Server) installBuiltins() {
	s.RegisterGrant(keypad.GrantClientCredentials, GrantFunc(s.clientCredentials))
}

// RegisterGrant makes the token endpoint serve grantType with h and lists
// it in grant_types_supported. Registering a type again replaces its
// handler. Call it before Register.
func (s *Server) RegisterGrant(grantType string, h GrantHandler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.grants[grantType]; !ok {
		s.order = append(s.order, grantType)
	}
	s.grants[grantType] = h
}

// Handle adds an endpoint of a later flow (pattern as for
// http.ServeMux.Handle, with its method, e.g. "POST
// /oauth2/device_authorization"). Register puts it on the mux. Call it
// before Register.
func (s *Server) Handle(pattern string, h http.Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.routes = append(s.routes, route{pattern, h})
}

// SetMetadata sets a member of the authorization server metadata (RFC 8414
// §2), e.g. "device_authorization_endpoint" to Endpoint(...), or
// "code_challenge_methods_supported". Members the server computes itself
// (grant types, endpoints of this package, scopes) cannot be overridden.
func (s *Server) SetMetadata(name string, value any) {
	s.mu.Lock()
	defer s.mu.Unlock()
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
	s.mu.RLock()
	routes = append(routes, s.routes...)
	s.mu.RUnlock()
	registerWithCORS(mux, routes)
}

// grantTypes returns the registered grant types in registration order.
func (s *Server) grantTypes() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.order)
}

func (s *Server) grant(grantType string) GrantHandler {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.grants[grantType]
}
