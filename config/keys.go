package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Key describes one setting: its YAML key, how to read it from text and
// how to show it. Environment variable and flag names derive from Name.
type Key struct {
	// Name is the YAML key; dots separate nested sections ("smtp.host").
	Name string
	// Help is one line for --help and docs/configuration.md.
	Help string
	// Default describes the default for people (some are derived).
	Default string
	// Bool keys take --flag without a value.
	Bool bool
	// EnvOnly keys (secrets) are read from the environment only.
	EnvOnly bool
	// List keys take several values: a YAML sequence, or one string
	// separated by commas in the environment and on the command line.
	List bool
	set  func(c *Config, v string) error
}

// Env is the key's environment variable: KEYPAD_ + NAME, dots and dashes
// as underscores.
func (k Key) Env() string {
	return "KEYPAD_" + strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(k.Name))
}

// Flag is the key's command-line flag name (without dashes): underscores
// and dots become dashes.
func (k Key) Flag() string {
	return strings.NewReplacer(".", "-", "_", "-").Replace(k.Name)
}

// Keys lists every setting, in the order the documentation shows them.
var Keys = slices.Concat(coreKeys, flowKeys, registrationKeys, deliveryKeys)

// coreKeys are the server's own settings.
var coreKeys = []Key{
	{Name: "addr", Default: "127.0.0.1:8080", Help: "address to listen on (host:port; port 0 picks a free one)",
		set: func(c *Config, v string) error { c.Addr = v; return nil }},
	{Name: "issuer", Default: "http:// + addr", Help: "public base URL of this server: https, or http on loopback",
		set: func(c *Config, v string) error { c.Issuer = v; return nil }},
	{Name: "db", Default: "sqlite:keypad.db", Help: "store: sqlite:PATH or postgres://USER@HOST:5432/DB",
		set: func(c *Config, v string) error { c.DB = v; return nil }},
	{Name: "log_level", Default: "info", Help: "log level: debug, info, warn or error",
		set: func(c *Config, v string) error { c.LogLevel = strings.ToLower(v); return nil }},
	{Name: "log_format", Default: "text", Help: "log format: text or json",
		set: func(c *Config, v string) error { c.LogFormat = strings.ToLower(v); return nil }},
	{Name: "access_ttl", Default: "1h", Help: "default access token lifetime (1m to 24h)",
		set: func(c *Config, v string) error { return setDuration(&c.AccessTTL, v) }},
	{Name: "refresh_ttl", Default: "30d", Help: "default refresh token lifetime (1h to 10958d, 30 years)",
		set: func(c *Config, v string) error { return setDuration(&c.RefreshTTL, v) }},
	{Name: "secret_file", Default: "beside the SQLite file (keypad.secret)", Help: "file holding the secret that seals signing keys; created 0600 if missing",
		set: func(c *Config, v string) error { c.SecretFile = v; return nil }},
	{Name: "secret", EnvOnly: true, Help: "the server secret itself (instead of secret_file); never printed",
		set: func(c *Config, v string) error { c.Secret = Secret(v); return nil }},
	{Name: "auto_migrate", Bool: true, Default: "false", Help: "apply pending database migrations at start-up instead of refusing to serve",
		set: func(c *Config, v string) error { return setBool(&c.AutoMigrate, v) }},
	{Name: "dev", Bool: true, Default: "false", Help: "development mode for conveniences that must never run in production (the OTP flow's dev outbox)",
		set: func(c *Config, v string) error { return setBool(&c.Dev, v) }},
	{Name: "client_cache_ttl", Default: "30s", Help: "how long an instance may cache client records (0s to 5m; 0s: no cache); client changes empty every instance's cache at once, this only bounds a missed notification",
		set: func(c *Config, v string) error { return setDuration(&c.ClientCacheTTL, v) }},
	{Name: "client_jwks_allow_private", Bool: true, Default: "false", Help: "let private_key_jwt clients' jwks_uri point at loopback and private addresses (tests, clients on the same private network); off, those are never fetched",
		set: func(c *Config, v string) error { return setBool(&c.ClientJWKSAllowPrivate, v) }},
	{Name: "saml_clock_skew", Default: "1m", Help: "how far a SAML identity provider's clock may be off when the saml2-bearer grant checks an assertion's times (1s to 5m)",
		set: func(c *Config, v string) error { return setDuration(&c.SAMLClockSkew, v) }},
	{Name: "saml_allow_sha1", Bool: true, Default: "false", Help: "accept SAML assertions signed with SHA-1 (refused by default; only for an IdP being retired)",
		set: func(c *Config, v string) error { return setBool(&c.SAMLAllowSHA1, v) }},
	{Name: "dpop_nonce", Bool: true, Default: "false", Help: "require server nonces in DPoP proofs (RFC 9449 section 8): a proof without a current one is answered use_dpop_nonce with a DPoP-Nonce header",
		set: func(c *Config, v string) error { return setBool(&c.DPoPNonce, v) }},
	{Name: "admin_public", Bool: true, Default: "false", Help: "serve the admin API and SCIM on the public listener too, not only on the admin listener (metrics_addr); they always need an access token with an admin scope",
		set: func(c *Config, v string) error { return setBool(&c.AdminPublic, v) }},
	{Name: "default_language", Default: "en", Help: "language (BCP 47 tag) of pages, texts and emails when neither the person nor the request names one",
		set: func(c *Config, v string) error { c.DefaultLanguage = strings.TrimSpace(v); return nil }},
	{Name: "languages_dir", Help: "directory of extra page catalogues (<tag>.json) that add languages or replace messages (docs/languages.md)",
		set: func(c *Config, v string) error { c.LanguagesDir = strings.TrimSpace(v); return nil }},
	{Name: "time_zone", Default: "UTC", Help: "IANA time zone in which pages and messages show times (e.g. America/Los_Angeles)",
		set: func(c *Config, v string) error { return setTimeZone(c, v) }},
	{Name: "shutdown_timeout", Default: "30s", Help: "how long a graceful shutdown waits for in-flight requests (1s to 10m)",
		set: func(c *Config, v string) error { return setDuration(&c.ShutdownTimeout, v) }},
	{Name: "metrics_addr", Default: "127.0.0.1:9090 (a free port when addr's port is 0)", Help: "admin address serving /metrics (host:port, port 0 picks a free one), or off; keep it off the public network",
		set: func(c *Config, v string) error { c.MetricsAddr = strings.TrimSpace(v); return nil }},
	{Name: "pprof", Bool: true, Default: "false", Help: "serve Go's profiler (/debug/pprof/) on the admin listener, which must be on loopback (metrics_addr); for finding where a busy server's time goes",
		set: func(c *Config, v string) error { return setBool(&c.PProf, v) }},
}

// lookupKey finds a key by YAML name.
func lookupKey(name string) (Key, bool) {
	for _, k := range Keys {
		if k.Name == name {
			return k, true
		}
	}
	return Key{}, false
}

func setInt(dst *int, v string) error {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return fmt.Errorf("%q is not a whole number", v)
	}
	*dst = n
	return nil
}

func setInt64(dst *int64, v string) error {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return fmt.Errorf("%q is not a whole number", v)
	}
	*dst = n
	return nil
}

// setList reads comma-separated values, dropping empty ones.
func setList(dst *[]string, v string) error {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	*dst = out
	return nil
}

func setBool(dst *bool, v string) error {
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		return fmt.Errorf("%q is not a boolean: use true or false", v)
	}
	*dst = b
	return nil
}

func setDuration(dst *time.Duration, v string) error {
	d, err := ParseDuration(v)
	if err != nil {
		return err
	}
	*dst = d
	return nil
}

// ParseDuration reads a duration as Go writes them (90s, 15m, 1h30m) or a
// whole number of days (30d), since token lifetimes are often counted in
// days.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseInt(days, 10, 64)
		if err == nil && n >= 0 && n <= 1_000_000 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	} else if d, err := time.ParseDuration(s); err == nil {
		return d, nil
	}
	return 0, fmt.Errorf("%q is not a duration: use e.g. 90s, 15m, 1h or 30d", s)
}

// FormatDuration writes a duration the way ParseDuration reads it, in
// whole days when it is a whole number of days ("30d", "1h", "1h30m").
func FormatDuration(d time.Duration) string { return formatIn(d, true) }

// FormatDurationAs writes d in the unit of typed, a duration as a person
// wrote it: whole days after "2d", Go's units after "48h" (24h, not 1d),
// so that an error quotes bounds in the unit of the value it refuses.
func FormatDurationAs(d time.Duration, typed string) string {
	return formatIn(d, strings.HasSuffix(strings.TrimSpace(typed), "d"))
}

// formatIn writes d in whole days when days is set and d is a whole
// number of days, else in Go's units ("24h"), so that a bound is written
// in the unit of the value it is compared with.
// Bounds of two days and more are always in days: 262992h reads worse
// than 10958d whatever the unit typed.
func formatIn(d time.Duration, days bool) string {
	const day = 24 * time.Hour
	if (days || d >= 2*day) && d > 0 && d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// setTimeZone reads an IANA zone name; a bad one leaves TimeLocation nil
// for Validate to report.
func setTimeZone(c *Config, v string) error {
	c.TimeZone = strings.TrimSpace(v)
	c.TimeLocation = nil
	if loc, err := time.LoadLocation(c.TimeZone); err == nil && c.TimeZone != "" {
		c.TimeLocation = loc
	}
	return nil
}
