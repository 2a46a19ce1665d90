// Package web serves keypad's hosted pages: the device flow's code entry
// (RFC 8628 §3.3), sign-in, consent, the QR code a device can show, the
// person's side of the authorization code flow (authorize.go) and "my
// devices" (devices.go).
//
// The pages are rendered on the server from embedded html/template files
// and work without JavaScript. Every response carries a strict Content
// Security Policy (no inline script, no framing), no referrer and no
// caching; every form is guarded by http.CrossOriginProtection.
//
// A person's progress through a flow lives in a server-side session
// (keypad.SessionStore); the browser holds only a random kp_ss_ cookie.
// Where to go after sign-in is a name kept in the session, never a URL
// taken from the query, so the pages cannot be made into an open redirect.
//
// Code entry is the guessable part of the device flow: package ratelimit
// counts wrong codes per session, per IP and globally, and a wrong code
// only ever reads "not valid or expired".
//
// Ownership: package oauth owns every flow's state (device requests,
// grants, subjects, tokens). The pages read it through Store, a
// read-only view, and change it only by asking oauth: Flows (approve or
// deny a device, check a password, revoke a grant), Authorizer (the
// authorization code flow) and CodeSignIn (sign-in codes). What the pages
// write themselves is their own: browser sessions and audit events.
// store_test.go fails if Store gains a method that writes flow state.
package web

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/i18n"
	"github.com/keypadauth/keypad/metrics"
	"github.com/keypadauth/keypad/oauth"
	"github.com/keypadauth/keypad/ratelimit"
	"github.com/keypadauth/keypad/usercode"
)

// Config is the pages' configuration. The zero value of every field but
// Issuer is replaced by a default.
type Config struct {
	// Issuer is the server's public URL. The pages' links and the QR code
	// are built from it; an https issuer makes the session cookie Secure.
	Issuer string
	// SiteName is shown in page titles and headings (default "keypad").
	SiteName string
	// SessionTTL is how long a browser session lasts (default 1 hour).
	SessionTTL time.Duration
	// UserCode is the user-code format the device endpoint hands out; it
	// must match, or typed codes will not normalise (default
	// usercode.DefaultConfig()).
	UserCode usercode.Config
	// ClientIPHeader names the header a trusted reverse proxy sets with
	// the client address (see ratelimit.ClientIP); empty uses RemoteAddr.
	ClientIPHeader string
	// FormRate and FormBurst throttle form posts per client IP in memory,
	// before any store-backed limit (defaults 1 per second, burst 10).
	FormRate  float64
	FormBurst int
	// QRScale is the PNG QR code's pixels per module (default 8).
	QRScale int
	// TrustedOrigins are other origins allowed to post the forms (see
	// http.CrossOriginProtection.AddTrustedOrigin); usually none.
	TrustedOrigins []string
	// TimeLocation is the zone the pages show times in (default UTC).
	TimeLocation *time.Location
}

// Deps are the Handler's collaborators. Store, Flows and Limiter are
// required; the others have defaults (a discarding logger, no metrics,
// time.Now, crypto/rand).
type Deps struct {
	// Store is read-only but for the pages' own sessions and audit
	// events (store.go).
	Store Store
	// Flows changes flow state for the person (*oauth.Actions).
	Flows   Flows
	Logger  *slog.Logger
	Metrics *metrics.Metrics
	Limiter *ratelimit.Limiter
	Now     func() time.Time
	Rand    io.Reader
	// Authorizer answers authorization code requests (the *oauth.Server
	// built with Config.AuthorizationCode); nil when that flow is off.
	Authorizer Authorizer
	// CodeSignIn sends sign-in codes (the *oauth.Server); /login offers
	// "send me a code" only while its OTP flow is enabled.
	CodeSignIn CodeSignIn
	// CIBA answers CIBA requests from the approval page their message
	// links to (the *oauth.Server); nil when CIBA is off.
	CIBA CIBAApprover
	// UserCodeKey is the key device user codes are hashed under
	// (usercode.Hash); the same as oauth.DeviceConfig.UserCodeKey.
	// Required.
	UserCodeKey []byte
	// DeviceKey signs the device cookie (logindevice.go). Instances
	// behind one load balancer must share it (the server derives it from
	// its secret); nil draws a random key, good for this instance only.
	DeviceKey []byte
	// Languages are the languages the pages speak, the default first
	// (lang.go); nil is keypad's own catalogues with English the default.
	Languages *i18n.Bundle
}

// Handler serves the hosted pages. Create it with New and mount it with
// Register.
type Handler struct {
	cfg     Config
	store   Store
	flows   Flows
	log     *slog.Logger
	metrics *metrics.Metrics
	limiter *ratelimit.Limiter
	authz   Authorizer
	codes   CodeSignIn
	ciba    CIBAApprover
	// userCodeKey keys the hash of device user codes.
	userCodeKey []byte
	buckets     *ratelimit.Buckets
	now         func() time.Time
	rand        io.Reader
	pages       map[string]pageTemplate
	csrf        *http.CrossOriginProtection
	issuer      string // without a trailing slash
	basePath    string // the issuer's path, "" for a bare host
	secure      bool
	// deviceKey signs the device cookie.
	deviceKey []byte
	langs     *i18n.Bundle
}

// New checks cfg, fills in defaults and parses the templates.
func New(cfg Config, deps Deps) (*Handler, error) {
	if deps.Store == nil || deps.Flows == nil {
		return nil, errors.New("web: a store and flows (oauth.Actions) are required")
	}
	if deps.Limiter == nil {
		return nil, errors.New("web: a limiter is required (sign-in and code entry limits)")
	}
	if err := usercode.CheckKey("web", deps.UserCodeKey); err != nil {
		return nil, err
	}
	u, err := url.Parse(cfg.Issuer)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("web: issuer %q must be an absolute http(s) URL", cfg.Issuer)
	}
	if cfg.SiteName == "" {
		cfg.SiteName = "keypad"
	}
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = time.Hour
	}
	if cfg.SessionTTL < time.Minute {
		return nil, fmt.Errorf("web: session TTL %s is too short to sign in (at least 1m)", cfg.SessionTTL)
	}
	if cfg.UserCode == (usercode.Config{}) {
		cfg.UserCode = usercode.DefaultConfig()
	}
	if err := cfg.UserCode.Validate(); err != nil {
		return nil, fmt.Errorf("web: user code: %w", err)
	}
	if cfg.FormRate == 0 {
		cfg.FormRate = 1
	}
	if cfg.FormBurst == 0 {
		cfg.FormBurst = 10
	}
	if cfg.QRScale == 0 {
		cfg.QRScale = 8
	}
	if cfg.TimeLocation == nil {
		cfg.TimeLocation = time.UTC
	}
	h := &Handler{
		cfg:         cfg,
		store:       deps.Store,
		flows:       deps.Flows,
		log:         deps.Logger,
		metrics:     deps.Metrics,
		limiter:     deps.Limiter,
		authz:       deps.Authorizer,
		codes:       deps.CodeSignIn,
		ciba:        deps.CIBA,
		userCodeKey: append([]byte(nil), deps.UserCodeKey...),
		now:         deps.Now,
		rand:        deps.Rand,
		issuer:      strings.TrimSuffix(cfg.Issuer, "/"),
		basePath:    strings.TrimSuffix(u.Path, "/"),
		secure:      u.Scheme == "https",
		langs:       deps.Languages,
	}
	if h.langs == nil {
		h.langs = i18n.MustLoad("en")
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.rand == nil {
		h.rand = rand.Reader
	}
	h.deviceKey = deps.DeviceKey
	if len(h.deviceKey) == 0 {
		h.deviceKey = make([]byte, 32)
		if _, err := io.ReadFull(h.rand, h.deviceKey); err != nil {
			return nil, fmt.Errorf("web: draw device cookie key: %w", err)
		}
	}
	h.buckets = ratelimit.NewBuckets(cfg.FormRate, cfg.FormBurst, h.now)
	if h.pages, err = parsePages(); err != nil {
		return nil, err
	}
	h.csrf = http.NewCrossOriginProtection()
	for _, o := range cfg.TrustedOrigins {
		if err := h.csrf.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("web: trusted origin: %w", err)
		}
	}
	h.csrf.SetDenyHandler(http.HandlerFunc(h.crossOrigin))
	return h, nil
}

// Register mounts the pages on mux. Besides the routes below it registers
// each path without a method, so a wrong method gets a 405 page rather
// than the mux's plain text. NotFound is left to the caller, who owns "/".
func (h *Handler) Register(mux *http.ServeMux) {
	routes := []struct {
		pattern string
		handler http.HandlerFunc
	}{
		{"GET " + oauth.PathDeviceVerification, h.deviceEnter},
		{"POST " + oauth.PathDeviceVerification, h.deviceSubmit},
		{"GET " + oauth.PathDeviceVerification + "/qr", h.deviceQR},
		{"GET /login", h.loginForm},
		{"POST /login", h.loginSubmit},
		{"POST /logout", h.logout},
		{"GET /login/code", h.codeForm},
		{"POST /login/code", h.codeStart},
		{"GET /login/code/send", h.codeChannels},
		{"POST /login/code/send", h.codeSend},
		{"GET /login/code/verify", h.codeVerifyForm},
		{"POST /login/code/verify", h.codeVerify},
		{"GET /consent", h.consentForm},
		{"POST /consent", h.consentSubmit},
		{"GET /authorize/continue", h.authorizeContinue},
		{"GET /account/devices", h.devicesPage},
		{"POST /account/devices", h.devicesSubmit},
		{"GET " + oauth.PathCIBAApproval, h.cibaPage},
		{"POST " + oauth.PathCIBAApproval, h.cibaSubmit},
		{"GET /static/{file}", h.static},
		{"POST /language", h.language},
	}
	allowed := map[string][]string{}
	for _, rt := range routes {
		mux.Handle(rt.pattern, h.wrap(rt.handler))
		method, path, _ := strings.Cut(rt.pattern, " ")
		allowed[path] = append(allowed[path], method)
	}
	for path, methods := range allowed {
		if path == "/static/{file}" {
			continue
		}
		mux.Handle(path, h.wrap(h.methodNotAllowed(methods)))
	}
}

// wrap adds the security headers to every response and refuses
// cross-origin form posts.
func (h *Handler) wrap(next http.Handler) http.Handler {
	return h.csrf.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w.Header())
		next.ServeHTTP(w, withLangMemo(r))
	}))
}

// securityHeaders are the headers of every page, also of those rendered
// for other packages' endpoints (the authorization endpoint).
func securityHeaders(hd http.Header) {
	hd.Set("Content-Security-Policy", contentSecurityPolicy)
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	if hd.Get("Cache-Control") == "" {
		hd.Set("Cache-Control", "no-store")
	}
}

// contentSecurityPolicy allows the pages their own stylesheet and images
// and nothing else: no script at all, no framing, forms only to keypad.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self' data:; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// NotFound renders the 404 page. Mount it on "/" (or wherever the server
// sends unknown paths) to give people a way back instead of plain text.
func (h *Handler) NotFound(w http.ResponseWriter, r *http.Request) {
	h.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.message(w, r, http.StatusNotFound, msgNotFound)
	})).ServeHTTP(w, r)
}

func (h *Handler) methodNotAllowed(methods []string) http.HandlerFunc {
	allow := strings.Join(methods, ", ")
	if strings.Contains(allow, "GET") {
		allow += ", HEAD"
	}
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		h.message(w, r, http.StatusMethodNotAllowed, msgMethod)
	}
}

func (h *Handler) crossOrigin(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", contentSecurityPolicy)
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cache-Control", "no-store")
	h.message(w, r, http.StatusForbidden, msgCrossOrigin)
}

// clientIP is the request's address as the limits count it.
func (h *Handler) clientIP(r *http.Request) string {
	return ratelimit.ClientIP(r, h.cfg.ClientIPHeader)
}

// url joins the base path and a path for links in pages.
func (h *Handler) url(path string) string { return h.basePath + path }

// audit appends an audit event; failing to is logged, never shown.
func (h *Handler) audit(r *http.Request, typ, clientID, subject, detail string) {
	e := &keypad.AuditEvent{
		Time: h.now(), Type: typ, ClientID: clientID, Subject: subject,
		IP: h.clientIP(r), Detail: detail,
	}
	if err := h.store.AddAuditEvent(r.Context(), e); err != nil {
		h.log.ErrorContext(r.Context(), "web: write audit event", "type", typ, "err", err)
	}
}

// internalError logs err and renders the generic failure page.
// A store outage (keypad.ErrUnavailable) is no bug: it answers 503 with
// Retry-After and a page saying to try again shortly.
func (h *Handler) internalError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, keypad.ErrUnavailable) {
		h.log.WarnContext(r.Context(), "web: store unavailable", "path", r.URL.Path, "err", err)
		retryAfter(w, oauth.StoreRetryAfter)
		h.message(w, r, http.StatusServiceUnavailable, msgUnavailable)
		return
	}
	h.log.ErrorContext(r.Context(), "web: request failed", "path", r.URL.Path, "err", err)
	h.message(w, r, http.StatusInternalServerError, msgInternal)
}
