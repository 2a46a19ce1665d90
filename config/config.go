// Package config is keypad's one typed configuration: a Config struct with
// defaults (Default) and rules (Validate), filled from four layers in a
// fixed order of precedence:
//
//	defaults < YAML file (--config) < KEYPAD_* environment < command-line flags
//
// Every setting is one row of a single table (keys.go) that names its YAML
// key, its environment variable and its flag, and parses its text. The same
// parser serves all three sources, so "30d" means the same thing in a file,
// in KEYPAD_REFRESH_TTL and in --refresh-ttl, and an error always names the
// key and what it accepts. To add a setting, add a field here, its default
// in Default, its rule in Validate and its row in keys.go; nested YAML
// sections (`smtp:` with `host:`) become dotted keys ("smtp.host"),
// KEYPAD_SMTP_HOST and --smtp-host.
package config

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/oauth"
	"github.com/keypadauth/keypad/token"
	"golang.org/x/text/language"
)

// Bounds on lifetimes. An access token is a bearer credential that
// resource servers may accept without asking keypad (JWT), so it must not
// live long; below a minute clients would spend their time refreshing.
const (
	MinAccessTTL = time.Minute
	// MaxAccessTTL is the token package's cap on JWT access tokens: the
	// server default applies to clients of either format.
	MaxAccessTTL  = token.MaxJWTAccessTTL
	MinRefreshTTL = time.Hour
	// MaxRefreshTTL is the token package's cap (thirty years): refresh
	// tokens may outlive the devices they sit in (DESIGN.md story 3), and
	// typos like 1000000d are caught.
	MaxRefreshTTL = token.MaxRefreshTTL
)

// Config is everything keypad reads at start-up. The zero value is not
// useful; start from Default.
type Config struct {
	// Addr is the TCP address to listen on (host:port; port 0 picks one).
	Addr string
	// MetricsAddr is the admin listener that serves /metrics, apart from
	// the public one: counters of real deliveries would otherwise tell a
	// watcher which identifiers belong to customers. "" means the default
	// (see MetricsListenAddr); "off" serves no metrics.
	MetricsAddr string
	// PProf serves Go's profiler (net/http/pprof, /debug/pprof/) on the
	// admin listener, which must then be on loopback: a profile shows the
	// process's memory and a CPU profile costs CPU while it runs, so it is
	// off by default and never reachable from the network.
	PProf bool
	// Issuer is the public base URL of this server: the "iss" claim and the
	// prefix of every endpoint in the metadata. Empty means "http://" +
	// Addr (see IssuerURL).
	Issuer string
	// DB selects the store: sqlite:PATH or postgres://...
	DB string
	// LogLevel is debug, info, warn or error.
	LogLevel string
	// LogFormat is text (for people) or json (for log collectors).
	LogFormat string
	// AccessTTL and RefreshTTL are the token lifetimes for clients that do
	// not set their own.
	AccessTTL  time.Duration
	RefreshTTL time.Duration
	// SecretFile holds the server secret that seals private signing keys.
	// Empty means next to the SQLite database (see SecretPath).
	SecretFile string
	// Secret is the server secret itself, from KEYPAD_SECRET only: it never
	// comes from a file of settings or a flag (flags show up in ps), and it
	// prints as [redacted].
	Secret Secret
	// AutoMigrate makes serve apply pending migrations instead of refusing
	// to start on an old schema.
	AutoMigrate bool
	// Dev is development mode, for conveniences that must never run in
	// production (such as the dev outbox of the OTP flow, which keeps
	// one-time codes for reading instead of sending them). It relaxes no
	// security check of this package.
	Dev bool
	// ClientCacheTTL, when positive, lets each instance keep client records
	// this long instead of reading them for every token request (30s by
	// default). Every client change empties every instance's cache within
	// the store's change bound (docs/scale-out.md); the TTL only bounds a
	// missed notification. Zero turns the cache off.
	ClientCacheTTL time.Duration
	// ClientJWKSAllowPrivate lets a private_key_jwt client's jwks_uri
	// reach loopback and private addresses. Off, keypad never fetches
	// from them: whoever registers a client would otherwise make the
	// server probe its own network (SSRF).
	ClientJWKSAllowPrivate bool
	// SAMLClockSkew is how far a SAML identity provider's clock may be off
	// from keypad's when the saml2-bearer grant checks an assertion's
	// times (oauth.SAML2BearerConfig.Skew).
	SAMLClockSkew time.Duration
	// SAMLAllowSHA1 accepts SAML assertions signed with SHA-1, which the
	// saml2-bearer grant refuses by default.
	SAMLAllowSHA1 bool
	// DPoPNonce makes every DPoP proof carry a nonce the server gave out
	// (RFC 9449 §8), which bounds a proof's use to minutes even if the
	// client's clock is wrong; clients then make one extra request per
	// nonce period. Every instance derives the same nonces from the
	// server secret.
	DPoPNonce bool
	// ShutdownTimeout bounds how long a graceful shutdown waits for
	// in-flight requests.
	ShutdownTimeout time.Duration
	// AdminPublic serves the management interfaces (the admin API and
	// SCIM) on the public listener too, not only on the admin listener
	// (metrics_addr, loopback by default). They always require an access
	// token with an admin scope.
	AdminPublic bool
	// DefaultLanguage is the BCP 47 tag of the language pages, texts and
	// emails use when neither the person nor the request says another.
	DefaultLanguage string
	// TimeZone is the IANA zone in which pages and messages show times;
	// TimeLocation is it loaded.
	TimeZone     string
	TimeLocation *time.Location
	// LanguagesDir is the operator's directory of page catalogues
	// (<tag>.json, package i18n): languages to add, or messages of
	// keypad's own to replace. Empty: keypad's own catalogues only.
	LanguagesDir string

	// Device, Web, OTP and CIBA configure the device flow, the hosted
	// pages, the OTP flow and backchannel authentication (flows.go);
	// SMTP, Twilio and Webhook the channels that deliver one-time codes
	// (delivery.go).
	Device  DeviceSettings
	Web     WebSettings
	OTP     OTPSettings
	CIBA    CIBASettings
	SMTP    SMTPSettings
	Twilio  TwilioSettings
	Webhook WebhookSettings
	// Registration configures dynamic client registration
	// (registration.go).
	Registration RegistrationSettings

	// typed holds each setting's text as Load read it, by key, so that
	// Validate's messages say a duration in the unit the person used.
	typed map[string]string
}

// Secret is a value that must never reach a log or a terminal. Its String
// and GoString hide it, so printing a Config with %v or %#v, or logging it,
// shows [redacted] instead.
type Secret string

// String hides the secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString hides the secret from %#v.
func (s Secret) GoString() string { return fmt.Sprintf("%q", s.String()) }

// LogValue hides the secret from log/slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// DefaultClientCacheTTL is client_cache_ttl's default: the safety net
// behind the change notifications that empty the cache (see
// docs/scale-out.md).
const DefaultClientCacheTTL = 30 * time.Second

// Default returns the configuration keypad runs with when nothing is set:
// an embedded SQLite database in the working directory, served on
// loopback only.
func Default() Config {
	return Config{
		Addr:            "127.0.0.1:8080",
		DB:              "sqlite:keypad.db",
		LogLevel:        "info",
		LogFormat:       "text",
		AccessTTL:       time.Hour,
		RefreshTTL:      30 * 24 * time.Hour,
		ShutdownTimeout: 30 * time.Second,
		DefaultLanguage: "en",
		TimeZone:        "UTC",
		TimeLocation:    time.UTC,
		ClientCacheTTL:  DefaultClientCacheTTL,
		SAMLClockSkew:   oauth.DefaultSAMLSkew,
		Device:          defaultDevice(),
		Web:             defaultWeb(),
		OTP:             defaultOTP(),
		CIBA:            defaultCIBA(),
	}
}

// Validate checks every setting and returns all problems at once, each a
// *keypad.ValidationError whose Field is the key (as written in the YAML
// file) and whose Message says what is allowed.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, &keypad.ValidationError{Field: key, Message: fmt.Sprintf(format, args...)})
	}

	host, _, addrErr := splitAddr(c.Addr)
	if addrErr != nil {
		bad("addr", "%q is not host:port with a port from 0 to 65535 (e.g. 127.0.0.1:8080)", c.Addr)
	}

	if _, err := language.Parse(c.DefaultLanguage); err != nil || c.DefaultLanguage == "" {
		bad("default_language", "%q is not a language tag: use a BCP 47 tag such as en or es", c.DefaultLanguage)
	}
	if c.TimeLocation == nil {
		bad("time_zone", "%q is not an IANA time zone such as America/Los_Angeles or UTC", c.TimeZone)
	}

	if m := c.MetricsAddr; m != "" && m != MetricsOff {
		if _, _, err := splitAddr(m); err != nil {
			bad("metrics_addr", "%q is not host:port with a port from 0 to 65535 (e.g. 127.0.0.1:9090), or off", m)
		}
	}
	if c.PProf {
		if m := c.MetricsListenAddr(); m == "" {
			bad("pprof", "needs the admin listener: set metrics_addr to a loopback address such as 127.0.0.1:9090, not off")
		} else if h, _, err := splitAddr(m); err == nil && !isLoopback(h) {
			bad("pprof", "serves only on a loopback metrics_addr (127.0.0.1, ::1 or localhost), and metrics_addr is %q: change it, or turn pprof off", m)
		}
	}

	switch {
	case c.Issuer != "":
		if msg := checkIssuer(c.Issuer); msg != "" {
			bad("issuer", "%q %s", c.Issuer, msg)
		}
	case addrErr == nil && !isLoopback(host):
		bad("issuer", "must be set when addr %q listens beyond loopback: set the public https URL clients use, e.g. https://auth.example.com", c.Addr)
	}

	kind, dbErr := dbKind(c.DB)
	if dbErr != "" {
		bad("db", "%q %s", RedactDB(c.DB), dbErr)
	}

	if _, ok := logLevels[c.LogLevel]; !ok {
		bad("log_level", "%q is not one of debug, info, warn, error", c.LogLevel)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad("log_format", "%q is not one of text, json", c.LogFormat)
	}

	v := validator{typed: c.typed}
	v.duration("access_ttl", c.AccessTTL, MinAccessTTL, MaxAccessTTL, false)
	v.duration("refresh_ttl", c.RefreshTTL, MinRefreshTTL, MaxRefreshTTL, false)
	if c.RefreshTTL >= MinRefreshTTL && c.RefreshTTL < c.AccessTTL {
		v.bad("refresh_ttl", "%s is shorter than access_ttl (%s): a refresh token must outlive the access tokens it renews", v.show("refresh_ttl", c.RefreshTTL), v.show("access_ttl", c.AccessTTL))
	}

	if kind == "postgres" && c.SecretFile == "" && c.Secret == "" {
		bad("secret_file", "must be set (or KEYPAD_SECRET) with a PostgreSQL db: every keypad instance sharing the database needs the same secret")
	}

	v.duration("client_cache_ttl", c.ClientCacheTTL, 0, 5*time.Minute, false)
	v.duration("shutdown_timeout", c.ShutdownTimeout, time.Second, 10*time.Minute, false)
	v.duration("saml_clock_skew", c.SAMLClockSkew, time.Second, oauth.MaxSAMLSkew, false)
	v.device(c.Device)
	v.web(c.Web)
	v.otp(c)
	v.ciba(c.CIBA)
	v.registration(c.Registration)
	errs = append(errs, v.errs...)
	if len(errs) == 0 {
		return nil
	}
	return Errors(errs)
}

// Errors are several configuration problems, reported together so that
// one start-up attempt shows them all. They print on one line; errors.As
// reaches each.
type Errors []error

func (e Errors) Error() string {
	msgs := make([]string, len(e))
	for i, err := range e {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

// Unwrap returns the problems, for errors.Is and errors.As.
func (e Errors) Unwrap() []error { return e }

var logLevels = map[string]slog.Level{
	"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError,
}

// SlogLevel returns LogLevel as a slog.Level (info for an invalid one;
// Validate reports those).
func (c Config) SlogLevel() slog.Level { return logLevels[c.LogLevel] }

// IssuerURL returns the issuer: Issuer when set, otherwise "http://" + the
// address actually bound (listen, as net.Listener.Addr().String() gives
// it), so that port 0 yields a usable URL.
func (c Config) IssuerURL(listen string) string {
	if c.Issuer != "" {
		return strings.TrimSuffix(c.Issuer, "/")
	}
	if listen == "" {
		listen = c.Addr
	}
	return "http://" + listen
}

// MetricsOff is the metrics_addr that turns the admin listener off.
const MetricsOff = "off"

// DefaultMetricsAddr is where /metrics is served when metrics_addr is not
// set: loopback only, so that only the operator's own scraper reads it.
const DefaultMetricsAddr = "127.0.0.1:9090"

// MetricsListenAddr returns the address of the admin listener, or "" when
// metrics are off. Unset, it is DefaultMetricsAddr, except that a server
// whose addr picks a free port (port 0: tests, several demos at once)
// picks a free metrics port too, so that such servers never fight over
// 9090.
func (c Config) MetricsListenAddr() string {
	switch c.MetricsAddr {
	case MetricsOff:
		return ""
	case "":
		if _, port, err := splitAddr(c.Addr); err == nil && port == "0" {
			return "127.0.0.1:0"
		}
		return DefaultMetricsAddr
	}
	return c.MetricsAddr
}

// IsPostgres reports whether DB selects PostgreSQL.
func (c Config) IsPostgres() bool {
	k, _ := dbKind(c.DB)
	return k == "postgres"
}

// SQLitePath returns the database file of a sqlite: DB, without any
// query parameters, or "" for PostgreSQL.
func (c Config) SQLitePath() string {
	p, ok := strings.CutPrefix(c.DB, "sqlite:")
	if !ok {
		return ""
	}
	p = strings.TrimPrefix(p, "//")
	p, _, _ = strings.Cut(p, "?")
	return p
}

// SecretPath returns where the server secret is kept: SecretFile when set,
// otherwise a .secret file beside the SQLite database (keypad.db →
// keypad.secret), so a data directory holds everything one instance needs.
// It is "" for PostgreSQL without a SecretFile.
func (c Config) SecretPath() string {
	if c.SecretFile != "" {
		return c.SecretFile
	}
	db := c.SQLitePath()
	if db == "" {
		return ""
	}
	return strings.TrimSuffix(db, filepath.Ext(db)) + ".secret"
}

// RedactDB hides the password of a database URL, for messages and logs.
func RedactDB(db string) string {
	u, err := url.Parse(db)
	if err != nil {
		if strings.Contains(db, "@") {
			return "[redacted]"
		}
		return db
	}
	return u.Redacted()
}

// splitAddr splits a listen address and checks its port.
func splitAddr(addr string) (host, port string, err error) {
	host, port, err = net.SplitHostPort(addr)
	if err != nil {
		return "", "", err
	}
	if _, err := net.LookupPort("tcp", port); err != nil || port == "" {
		return "", "", fmt.Errorf("bad port %q", port)
	}
	return host, port, nil
}

// isLoopback reports whether host names this machine only. The empty
// host (":8080") listens on every interface, so it is not loopback.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkIssuer returns what is wrong with an issuer URL, or "".
func checkIssuer(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "":
		return "is not an absolute URL: use e.g. https://auth.example.com"
	case u.Scheme != "http" && u.Scheme != "https":
		return "must use https (or http on loopback)"
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(s, "#"):
		return "must not have a query or fragment (RFC 8414 §2)"
	case u.User != nil:
		return "must not contain user information"
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return "must use https unless the host is loopback (127.0.0.1, ::1, localhost)"
	}
	return ""
}

// dbKind returns "sqlite" or "postgres", or a message saying what is
// wrong.
func dbKind(db string) (kind, msg string) {
	switch {
	case strings.HasPrefix(db, "sqlite:"):
		if strings.TrimPrefix(strings.TrimPrefix(db, "sqlite:"), "//") == "" {
			return "", "names no file: use sqlite:PATH, e.g. sqlite:keypad.db"
		}
		return "sqlite", ""
	case strings.HasPrefix(db, "postgres://"), strings.HasPrefix(db, "postgresql://"):
		u, err := url.Parse(db)
		if err != nil || u.Host == "" {
			return "", "is not a valid PostgreSQL URL: use postgres://USER@HOST:5432/DB"
		}
		return "postgres", ""
	}
	return "", "is not supported: use sqlite:PATH (e.g. sqlite:keypad.db) or postgres://USER@HOST:5432/DB"
}
