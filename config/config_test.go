package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/spf13/pflag"
)

func TestDefaultIsValid(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v, want nil", err)
	}
	if got, want := c.IssuerURL(""), "http://127.0.0.1:8080"; got != want {
		t.Errorf("IssuerURL = %q, want %q", got, want)
	}
	if got, want := c.SecretPath(), "keypad.secret"; got != want {
		t.Errorf("SecretPath = %q, want %q", got, want)
	}
}

// TestValidate pins every validation message: each names the key and what
// is allowed.
func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(c *Config)
		key    string // "" means valid
		msg    string // substring of the message
	}{
		{"OK", func(c *Config) {}, "", ""},
		{"OKHTTPSIssuer", func(c *Config) { c.Addr = "0.0.0.0:8080"; c.Issuer = "https://auth.example.com/" }, "", ""},
		{"OKLoopbackIPv6", func(c *Config) { c.Addr = "[::1]:0"; c.Issuer = "http://[::1]:8080" }, "", ""},
		{"OKLocalhost", func(c *Config) { c.Issuer = "http://localhost:8080/keypad" }, "", ""},
		{"ErrDevKeepsHTTPSRule", func(c *Config) { c.Dev = true; c.Issuer = "http://192.168.1.5:8080" }, "issuer", "must use https unless the host is loopback"},
		{"OKPostgresWithSecretFile", func(c *Config) { c.DB = "postgres://u@h/db"; c.SecretFile = "/etc/keypad/secret" }, "", ""},
		{"OKPostgresWithSecret", func(c *Config) { c.DB = "postgresql://u@h/db"; c.Secret = "x" }, "", ""},
		{"ErrAddr", func(c *Config) { c.Addr = "localhost" }, "addr", `"localhost" is not host:port with a port from 0 to 65535`},
		{"ErrAddrPort", func(c *Config) { c.Addr = "127.0.0.1:99999" }, "addr", "is not host:port"},
		{"ErrIssuerNeededOffLoopback", func(c *Config) { c.Addr = ":8080" }, "issuer", `must be set when addr ":8080" listens beyond loopback`},
		{"ErrIssuerRelative", func(c *Config) { c.Issuer = "auth.example.com" }, "issuer", "is not an absolute URL"},
		{"ErrIssuerScheme", func(c *Config) { c.Issuer = "ftp://auth.example.com" }, "issuer", "must use https (or http on loopback)"},
		{"ErrIssuerQuery", func(c *Config) { c.Issuer = "https://auth.example.com/?a=b" }, "issuer", "must not have a query or fragment"},
		{"ErrIssuerFragment", func(c *Config) { c.Issuer = "https://auth.example.com/#x" }, "issuer", "must not have a query or fragment"},
		{"ErrIssuerUser", func(c *Config) { c.Issuer = "https://me@auth.example.com" }, "issuer", "must not contain user information"},
		{"ErrIssuerHTTPOffLoopback", func(c *Config) { c.Issuer = "http://auth.example.com" }, "issuer", "must use https unless the host is loopback"},
		{"ErrDBScheme", func(c *Config) { c.DB = "mysql://root:hunter2@db/keypad" }, "db", "is not supported: use sqlite:PATH"},
		{"ErrDBEmptySQLite", func(c *Config) { c.DB = "sqlite:" }, "db", "names no file"},
		{"ErrDBPostgresNoHost", func(c *Config) { c.DB = "postgres://" }, "db", "is not a valid PostgreSQL URL"},
		{"ErrLogLevel", func(c *Config) { c.LogLevel = "verbose" }, "log_level", `"verbose" is not one of debug, info, warn, error`},
		{"ErrLogFormat", func(c *Config) { c.LogFormat = "xml" }, "log_format", `"xml" is not one of text, json`},
		{"ErrAccessTTLShort", func(c *Config) { c.AccessTTL = 30 * time.Second }, "access_ttl", "30s is out of range: allowed 1m to 24h"},
		{"ErrAccessTTLLong", func(c *Config) { c.AccessTTL = 48 * time.Hour }, "access_ttl", "2d is out of range"},
		{"ErrRefreshTTLShort", func(c *Config) { c.RefreshTTL = time.Minute; c.AccessTTL = time.Minute }, "refresh_ttl", "1m is out of range: allowed 1h to 10958d"},
		{"ErrRefreshShorterThanAccess", func(c *Config) { c.AccessTTL = 2 * time.Hour; c.RefreshTTL = time.Hour }, "refresh_ttl", "shorter than access_ttl (2h)"},
		{"ErrSecretForPostgres", func(c *Config) { c.DB = "postgres://u@h/db" }, "secret_file", "must be set (or KEYPAD_SECRET) with a PostgreSQL db"},
		{"ErrClientCacheTTL", func(c *Config) { c.ClientCacheTTL = time.Hour }, "client_cache_ttl", "1h is out of range: allowed 0s to 5m"},
		{"ErrShutdownTimeout", func(c *Config) { c.ShutdownTimeout = 0 }, "shutdown_timeout", "0s is out of range: allowed 1s to 10m"},
		{"ErrSAMLClockSkewLong", func(c *Config) { c.SAMLClockSkew = 6 * time.Minute }, "saml_clock_skew", "6m is out of range: allowed 1s to 5m"},
		{"ErrDefaultLanguage", func(c *Config) { c.DefaultLanguage = "english!" }, "default_language", `"english!" is not a language tag`},
		{"ErrTimeZone", func(c *Config) { setTimeZone(c, "Mars/Olympus") }, "time_zone", `"Mars/Olympus" is not an IANA time zone`},
		{"ErrSAMLClockSkewZero", func(c *Config) { c.SAMLClockSkew = 0 }, "saml_clock_skew", "0s is out of range: allowed 1s to 5m"},

		{"OKDeviceShortCode", func(c *Config) { c.Device.UserCodeCharset = "0123456789"; c.Device.UserCodeLength = 10 }, "", ""},
		{"ErrDeviceLifetime", func(c *Config) { c.Device.Lifetime = 2 * time.Hour }, "device.lifetime", "2h is out of range: allowed 1m to 1h"},
		{"ErrDeviceInterval", func(c *Config) { c.Device.Interval = 1500 * time.Millisecond }, "device.interval", "is not a whole number of seconds"},
		{"ErrDeviceIntervalVsLifetime", func(c *Config) { c.Device.Interval = time.Minute; c.Device.Lifetime = time.Minute }, "device.interval", "is not shorter than device.lifetime (1m)"},
		{"ErrDeviceSlowDown", func(c *Config) { c.Device.SlowDownStep = 10 * time.Second }, "device.slow_down_step", "10s is out of range: allowed 1s to 5s"},
		{"ErrDeviceCharset", func(c *Config) { c.Device.UserCodeCharset = "ABCA" }, "device.user_code_charset", `character 'A' appears more than once`},
		{"ErrDeviceCodeBits", func(c *Config) { c.Device.UserCodeLength = 5 }, "device.user_code_length", "gives 21.6 bits; use at least 30 bits"},
		{"ErrWebSiteName", func(c *Config) { c.Web.SiteName = " " }, "web.site_name", "must be 1 to 100 characters"},
		{"ErrWebSessionTTL", func(c *Config) { c.Web.SessionTTL = 30 * time.Second }, "web.session_ttl", "30s is out of range: allowed 1m to 24h"},
		{"ErrWebIPHeader", func(c *Config) { c.Web.ClientIPHeader = "X Forwarded" }, "web.client_ip_header", "is not a header name"},
		{"ErrWebOrigin", func(c *Config) { c.Web.TrustedOrigins = []string{"https://app.example.com/path"} }, "web.trusted_origins", "is not an origin"},
		{"ErrOTPCodeLength", func(c *Config) { c.OTP.CodeLength = 4 }, "otp.code_length", "4 is out of range: allowed 6 to 10"},
		{"ErrOTPCodeLifetime", func(c *Config) { c.OTP.CodeLifetime = time.Hour }, "otp.code_lifetime", "1h is out of range: allowed 1m to 10m"},
		{"ErrOTPResendVsLifetime", func(c *Config) { c.OTP.CodeLifetime = time.Minute; c.OTP.ResendAfter = time.Minute }, "otp.resend_after", "is not shorter than otp.code_lifetime"},
		{"ErrOTPDailyPerClient", func(c *Config) { c.OTP.DailyPerClient = 0 }, "otp.daily_per_client", "0 is out of range: allowed 1 to 1000000"},
		{"ErrOTPRegion", func(c *Config) { c.OTP.Region = "USA" }, "otp.region", `"USA" is not a two-letter ISO 3166-1 region`},
		{"ErrOTPCountries", func(c *Config) { c.OTP.SMSCountries = nil }, "otp.sms_countries", "is empty"},
		{"ErrOTPChannel", func(c *Config) { c.OTP.SMS = "carrier-pigeon" }, "otp.channels.sms", `"carrier-pigeon" is not one of twilio, webhook, outbox, none`},
		{"ErrOTPEmailChannel", func(c *Config) { c.OTP.Email = "twilio" }, "otp.channels.email", `"twilio" is not one of smtp, webhook, outbox, none`},
		{"ErrOutboxWithoutDev", func(c *Config) { c.OTP.Email = "outbox" }, "otp.channels.email", "works only with dev: true"},
		{"OKOutboxWithDev", func(c *Config) { c.Dev = true }, "", ""},
		{"OKSMTP", func(c *Config) { c.SMTP = SMTPSettings{Host: "mail.example.com", From: "a@example.com"} }, "", ""},
		{"ErrSMTPFrom", func(c *Config) { c.SMTP.Host = "mail.example.com" }, "smtp.from", "is required"},
		{"ErrSMTPHostPort", func(c *Config) { c.SMTP = SMTPSettings{Host: "mail.example.com:25", From: "a@example.com"} }, "smtp.host", "has a port: put the port in smtp.port"},
		{"ErrSMTPPlainRemote", func(c *Config) { c.SMTP = SMTPSettings{Host: "mail.example.com", From: "a@example.com", TLS: "none"} }, "smtp.tls", "allowed only to a mail server on this machine"},
		{"ErrSMTPUserWithoutPassword", func(c *Config) { c.SMTP = SMTPSettings{Host: "mail.example.com", From: "a@example.com", Username: "u"} }, "smtp.username", "go together"},
		{"ErrSMTPTimeout", func(c *Config) { c.SMTP = SMTPSettings{Host: "h", From: "a@example.com", Timeout: time.Hour} }, "smtp.timeout", "1h is out of range: allowed 1s to 5m"},
		{"ErrSMTPFromNotAddress", func(c *Config) { c.OTP.Email = "smtp"; c.SMTP = SMTPSettings{Host: "h", From: "keypad"} }, "smtp.from", "is not an email address"},
		{"ErrSMTPChosenWithoutHost", func(c *Config) { c.OTP.Email = "smtp" }, "smtp.host", "is required to send email over SMTP"},
		{"ErrTwilioToken", func(c *Config) { c.Twilio = TwilioSettings{AccountSID: "AC1", From: "+15005550006"} }, "twilio.auth_token", "is required: set KEYPAD_TWILIO_AUTH_TOKEN, or twilio.auth_token_file"},
		{"ErrTwilioFrom", func(c *Config) { c.Twilio = TwilioSettings{AccountSID: "AC1", From: "5550006", AuthToken: "t"} }, "twilio.from", "is not an E.164 number"},
		{"ErrTwilioBaseURL", func(c *Config) {
			c.Twilio = TwilioSettings{AccountSID: "AC1", From: "+15005550006", AuthToken: "t", BaseURL: "http://sms.example.com"}
		}, "twilio.base_url", "must use https"},
		{"ErrWebhookURL", func(c *Config) { c.OTP.SMS = "webhook"; c.Webhook.Secret = Secret(strings.Repeat("s", 32)) }, "webhook.url", "is required to deliver codes by webhook"},
		{"ErrWebhookSecretShort", func(c *Config) {
			c.OTP.SMS = "webhook"
			c.Webhook = WebhookSettings{URL: "https://x.example.com", Secret: "short"}
		}, "webhook.secret", "too short"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.modify(&c)
			err := c.Validate()
			if tt.key == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var ve *keypad.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate() = %v, want a *keypad.ValidationError", err)
			}
			if got, want := ve.Field, tt.key; got != want {
				t.Errorf("Field = %q, want %q (error %v)", got, want, err)
			}
			if !strings.Contains(ve.Message, tt.msg) {
				t.Errorf("Message = %q, want it to contain %q", ve.Message, tt.msg)
			}
			if !strings.HasPrefix(err.Error(), tt.key+": ") {
				t.Errorf("Error() = %q, want it to start with %q", err, tt.key+": ")
			}
		})
	}
}

// TestUserCodeGroups pins where the dashes of a user code go.
func TestUserCodeGroups(t *testing.T) {
	for length, want := range map[int]int{4: 0, 5: 0, 6: 3, 8: 4, 9: 3, 10: 5, 11: 4, 12: 4, 15: 3, 20: 4} {
		d := Default().Device
		d.UserCodeLength = length
		if got := d.UserCode().GroupSize; got != want {
			t.Errorf("user code of %d characters: group size %d, want %d", length, got, want)
		}
	}
}

// TestChannels pins the automatic choice of delivery channels.
func TestChannels(t *testing.T) {
	tests := []struct {
		name       string
		modify     func(c *Config)
		sms, email string
		otpEnabled bool
	}{
		{"OffByDefault", func(c *Config) {}, "none", "none", false},
		{"DevOutbox", func(c *Config) { c.Dev = true }, "outbox", "outbox", true},
		{"DevKeepsConfigured", func(c *Config) { c.Dev = true; c.SMTP.Host = "mail" }, "outbox", "smtp", true},
		{"Twilio", func(c *Config) { c.Twilio.AccountSID = "AC1" }, "twilio", "none", true},
		{"Explicit", func(c *Config) { c.Dev = true; c.OTP.SMS = "none"; c.OTP.Email = "webhook" }, "none", "webhook", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.modify(&c)
			if got, want := c.SMSChannel(), tt.sms; got != want {
				t.Errorf("SMSChannel = %q, want %q", got, want)
			}
			if got, want := c.EmailChannel(), tt.email; got != want {
				t.Errorf("EmailChannel = %q, want %q", got, want)
			}
			if got, want := c.OTPEnabled(), tt.otpEnabled; got != want {
				t.Errorf("OTPEnabled = %v, want %v", got, want)
			}
		})
	}
}

func TestValidateNeverPrintsDBPassword(t *testing.T) {
	c := Default()
	c.DB = "mysql://root:hunter2@db/keypad"
	if err := c.Validate(); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("Validate() = %v, want an error without the password", err)
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	c := Default()
	c.LogLevel, c.LogFormat = "loud", "xml"
	err := c.Validate()
	for _, key := range []string{"log_level: ", "log_format: "} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("Validate() = %v, want it to mention %q", err, key)
		}
	}
}

func TestSecretPath(t *testing.T) {
	tests := []struct{ db, file, want string }{
		{"sqlite:keypad.db", "", "keypad.secret"},
		{"sqlite:/var/lib/keypad/data.sqlite?_pragma=x", "", "/var/lib/keypad/data.secret"},
		{"sqlite:///tmp/k.db", "", "/tmp/k.secret"},
		{"postgres://u@h/db", "", ""},
		{"postgres://u@h/db", "/etc/keypad/secret", "/etc/keypad/secret"},
	}
	for _, tt := range tests {
		c := Default()
		c.DB, c.SecretFile = tt.db, tt.file
		if got := c.SecretPath(); got != tt.want {
			t.Errorf("SecretPath(db=%q, secret_file=%q) = %q, want %q", tt.db, tt.file, got, tt.want)
		}
	}
}

func TestIssuerURL(t *testing.T) {
	c := Default()
	c.Addr = "127.0.0.1:0"
	if got, want := c.IssuerURL("127.0.0.1:40123"), "http://127.0.0.1:40123"; got != want {
		t.Errorf("IssuerURL = %q, want %q", got, want)
	}
	c.Issuer = "https://auth.example.com/"
	if got, want := c.IssuerURL("127.0.0.1:40123"), "https://auth.example.com"; got != want {
		t.Errorf("IssuerURL = %q, want %q", got, want)
	}
}

func TestSecretIsNeverPrinted(t *testing.T) {
	c := Default()
	c.Secret = "s3cr3t-value"
	c.SMTP.Password, c.Twilio.AuthToken, c.Webhook.Secret = "s3cr3t-value", "s3cr3t-value", "s3cr3t-value"
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c)} {
		if strings.Contains(s, "s3cr3t-value") {
			t.Errorf("printed config contains the secret: %s", s)
		}
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"90s", 90 * time.Second, false},
		{"1h30m", 90 * time.Minute, false},
		{"30d", 30 * 24 * time.Hour, false},
		{" 2d ", 48 * time.Hour, false},
		{"0", 0, false},
		{"1.5d", 0, true},
		{"-1d", 0, true},
		{"d", 0, true},
		{"soon", 0, true},
		{"", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.err)
		}
		if err != nil && !strings.Contains(err.Error(), "use e.g. 90s, 15m, 1h or 30d") {
			t.Errorf("ParseDuration(%q) error %q does not say what is allowed", tt.in, err)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Hour: "1h", 30 * 24 * time.Hour: "30d", 90 * time.Minute: "1h30m",
		time.Minute: "1m", 30 * time.Second: "30s", 0: "0s",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
		if back, err := ParseDuration(want); err != nil || back != d {
			t.Errorf("ParseDuration(FormatDuration(%v)) = %v, %v", d, back, err)
		}
	}
}

func TestKeyNames(t *testing.T) {
	k, _ := lookupKey("access_ttl")
	if got, want := k.Env(), "KEYPAD_ACCESS_TTL"; got != want {
		t.Errorf("Env = %q, want %q", got, want)
	}
	if got, want := k.Flag(), "access-ttl"; got != want {
		t.Errorf("Flag = %q, want %q", got, want)
	}
	if got, want := (Key{Name: "smtp.host"}).Env(), "KEYPAD_SMTP_HOST"; got != want {
		t.Errorf("Env = %q, want %q", got, want)
	}
}

// TestDocsListEveryKey keeps docs/configuration.md true: each key, its
// environment variable and (except the secret) its flag appear there.
func TestDocsListEveryKey(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	for _, k := range Keys {
		want := []string{"`" + k.Env() + "`"}
		if !k.EnvOnly {
			want = append(want, "`"+k.Name+"`", "`--"+k.Flag()+"`")
		}
		for _, w := range want {
			if !strings.Contains(doc, w) {
				t.Errorf("docs/configuration.md does not mention %s", w)
			}
		}
	}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "keypad.yaml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func envMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func flags(t *testing.T, args ...string) *pflag.FlagSet {
	t.Helper()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return fs
}
