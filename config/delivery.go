package config

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"
)

// The delivery channels of one-time codes. Their credentials (the SMTP
// password, the Twilio auth token, the webhook secret) come from a
// KEYPAD_* variable or from a file named in the settings, never from the
// settings themselves or a flag (flags show up in ps), and print as
// [redacted].

// SMTPSettings reach the operator's mail server (section "smtp").
type SMTPSettings struct {
	Host string
	// Port 0 means the TLS mode's port: 587, 465 or 25.
	Port     int
	Username string
	// Password is KEYPAD_SMTP_PASSWORD; PasswordFile holds it instead.
	Password     Secret
	PasswordFile string
	From         string
	// TLS is starttls (default), tls or none (loopback only).
	TLS string
	// Timeout bounds one delivery; 0 means 15s.
	Timeout time.Duration
	// CAFile, when set, holds the PEM certificates that sign the mail
	// server's certificate (a private CA) instead of the system's roots.
	CAFile string
}

// TwilioSettings reach Twilio's Messages API or a compatible provider
// (section "twilio").
type TwilioSettings struct {
	AccountSID string
	// AuthToken is KEYPAD_TWILIO_AUTH_TOKEN; AuthTokenFile holds it
	// instead.
	AuthToken     Secret
	AuthTokenFile string
	// From is an E.164 number or a messaging service SID.
	From string
	// BaseURL is the API's base; empty means https://api.twilio.com.
	BaseURL string
}

// WebhookSettings post codes, signed, to the operator's own delivery
// service (section "webhook").
type WebhookSettings struct {
	URL string
	// Secret is KEYPAD_WEBHOOK_SECRET; SecretFile holds it instead.
	Secret     Secret
	SecretFile string
	// Timeout bounds one request; 0 means 10s.
	Timeout time.Duration
}

// ReadSecret returns a credential given either in the environment (v) or
// in a file (path, trimmed of surrounding white space); Validate has made
// sure at most one is set. key names the setting for the error.
func ReadSecret(key string, v Secret, path string) (Secret, error) {
	if path == "" {
		return v, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s_file: %w", key, err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("%s_file: %s is empty: put the credential in it", key, path)
	}
	return Secret(s), nil
}

// credential checks that a credential is given exactly once.
func (v *validator) credential(key string, val Secret, file string, required bool) {
	env := Key{Name: key}.Env()
	switch {
	case val != "" && file != "":
		v.bad(key+"_file", "is set and so is %s: keep one", env)
	case required && val == "" && file == "":
		v.bad(key, "is required: set %s, or %s_file to a file holding it", env, key)
	}
}

// timeout checks an optional delivery timeout.
func (v *validator) timeout(key string, d time.Duration) {
	if d != 0 {
		v.duration(key, d, time.Second, 5*time.Minute, false)
	}
}

func (v *validator) smtp(s SMTPSettings) {
	switch {
	case s.Host == "":
		v.bad("smtp.host", "is required to send email over SMTP: name your mail server, e.g. smtp.example.com")
	case strings.Contains(s.Host, ":") && net.ParseIP(strings.Trim(s.Host, "[]")) == nil:
		v.bad("smtp.host", "%q has a port: put the port in smtp.port", s.Host)
	}
	v.number("smtp.port", s.Port, 0, 65535)
	switch s.TLS {
	case "", "starttls", "tls":
	case "none":
		if !isLoopback(strings.Trim(s.Host, "[]")) {
			v.bad("smtp.tls", "none sends codes in clear and is allowed only to a mail server on this machine, not %q: use starttls or tls", s.Host)
		}
		if s.CAFile != "" {
			v.bad("smtp.ca_file", "is set but smtp.tls is none: use starttls or tls")
		}
	default:
		v.bad("smtp.tls", "%q is not one of starttls, tls, none", s.TLS)
	}
	v.credential("smtp.password", s.Password, s.PasswordFile, false)
	hasPassword := s.Password != "" || s.PasswordFile != ""
	if (s.Username == "") != !hasPassword {
		v.bad("smtp.username", "and the password (KEYPAD_SMTP_PASSWORD or smtp.password_file) go together: set both or neither")
	}
	if s.From == "" {
		v.bad("smtp.from", "is required: the sender, e.g. \"Example <no-reply@example.com>\"")
	} else if _, err := mail.ParseAddress(s.From); err != nil {
		v.bad("smtp.from", "%q is not an email address, e.g. \"Example <no-reply@example.com>\"", s.From)
	}
	v.timeout("smtp.timeout", s.Timeout)
}

// twilioFrom is an E.164 number or a messaging service SID.
var twilioFrom = regexp.MustCompile(`^(\+[1-9][0-9]{6,14}|MG[0-9a-fA-F]{32})$`)

func (v *validator) twilio(t TwilioSettings) {
	if t.AccountSID == "" {
		v.bad("twilio.account_sid", "is required to send texts with Twilio: copy it from the Twilio console (AC...)")
	}
	v.credential("twilio.auth_token", t.AuthToken, t.AuthTokenFile, true)
	if !twilioFrom.MatchString(t.From) {
		v.bad("twilio.from", "%q is not an E.164 number like +15005550006 or a messaging service SID (MG and 32 hex digits)", t.From)
	}
	if t.BaseURL != "" {
		v.httpURL("twilio.base_url", t.BaseURL)
	}
}

func (v *validator) webhook(w WebhookSettings) {
	if w.URL == "" {
		v.bad("webhook.url", "is required to deliver codes by webhook: the https URL of your delivery service")
	} else {
		v.httpURL("webhook.url", w.URL)
	}
	v.credential("webhook.secret", w.Secret, w.SecretFile, true)
	if w.Secret != "" && len(w.Secret) < 32 {
		v.bad("webhook.secret", "KEYPAD_WEBHOOK_SECRET is too short: use at least 32 characters, e.g. from `openssl rand -hex 32`")
	}
	v.timeout("webhook.timeout", w.Timeout)
}

// httpURL checks an https URL (http only to this machine).
func (v *validator) httpURL(key, s string) {
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		v.bad(key, "%q is not an absolute https URL", s)
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		v.bad(key, "%q must use https (http only to this machine)", s)
	}
}
