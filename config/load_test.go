package config

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func TestLoadPrecedence(t *testing.T) {
	file := writeFile(t, `
addr: 127.0.0.1:9000
db: sqlite:file.db
log_level: debug
access_ttl: 2h
refresh_ttl: 7d
auto_migrate: true
`)
	env := envMap(map[string]string{
		"KEYPAD_DB":         "sqlite:env.db",
		"KEYPAD_ACCESS_TTL": "3h",
		"KEYPAD_LOG_FORMAT": "JSON",
		"KEYPAD_SECRET":     "from-env",
		"KEYPAD_ISSUER":     "", // empty counts as unset
	})
	fs := flags(t, "--access-ttl", "4h", "--dev")

	c, err := Load(Sources{File: file, LookupEnv: env, Flags: fs})
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		key       string
		got, want any
	}{
		{"addr (file)", c.Addr, "127.0.0.1:9000"},
		{"db (env over file)", c.DB, "sqlite:env.db"},
		{"log_level (file)", c.LogLevel, "debug"},
		{"log_format (env, lower-cased)", c.LogFormat, "json"},
		{"access_ttl (flag over env over file)", c.AccessTTL, 4 * time.Hour},
		{"refresh_ttl (file, days)", c.RefreshTTL, 7 * 24 * time.Hour},
		{"auto_migrate (file)", c.AutoMigrate, true},
		{"dev (flag)", c.Dev, true},
		{"secret (env)", string(c.Secret), "from-env"},
		{"issuer (default)", c.Issuer, ""},
		{"shutdown_timeout (default)", c.ShutdownTimeout, 30 * time.Second},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.key, ch.got, ch.want)
		}
	}
}

func TestLoadDefaultsOnly(t *testing.T) {
	c, err := Load(Sources{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c, Default(); !reflect.DeepEqual(got, want) {
		t.Errorf("Load(no sources) = %+v, want %+v", got, want)
	}
}

func TestLoadEmptyFile(t *testing.T) {
	if _, err := Load(Sources{File: writeFile(t, "# nothing here\n")}); err != nil {
		t.Errorf("Load(empty file) = %v, want nil", err)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		env   map[string]string
		flags []string
		want  []string // substrings of the error
	}{
		{name: "ErrUnknownKey", file: "adr: 127.0.0.1:1\n",
			want: []string{":1: adr: unknown key (known keys: addr, issuer, db,"}},
		{name: "ErrSecretInFile", file: "secret: x\n",
			want: []string{"secret: is a secret and is read from KEYPAD_SECRET only", "or set secret_file to a file"}},
		{name: "ErrNestedSecretInFile", file: "twilio:\n  auth_token: x\n",
			want: []string{":2: twilio.auth_token: is a secret and is read from KEYPAD_TWILIO_AUTH_TOKEN only", "twilio.auth_token_file"}},
		{name: "ErrNestedUnknown", file: "smtp:\n  hots: x\n",
			want: []string{":2: smtp.hots: unknown key (known keys: host, port, tls,"}},
		{name: "ErrUnknownSection", file: "smpt:\n  host: x\n",
			want: []string{":1: smpt: unknown key (known keys: addr,", "smtp.*"}},
		{name: "ErrNotAList", file: "otp:\n  code_length: [6, 7]\n",
			want: []string{"otp.code_length: expects a single value"}},
		{name: "ErrFileInt", file: "otp:\n  code_length: six\n",
			want: []string{`otp.code_length: "six" is not a whole number`}},
		{name: "ErrList", file: "addr: [a, b]\n",
			want: []string{"addr: expects a single value"}},
		{name: "ErrNull", file: "addr:\n",
			want: []string{"addr: expects a single value"}},
		{name: "ErrTwice", file: "addr: 127.0.0.1:1\naddr: 127.0.0.1:2\n",
			want: []string{":2: addr: set twice"}},
		{name: "ErrNotMapping", file: "- addr\n",
			want: []string{"expected a mapping of keys to values"}},
		{name: "ErrYAMLSyntax", file: "addr: [\n",
			want: []string{"config file"}},
		{name: "ErrFileDuration", file: "access_ttl: soon\n",
			want: []string{`:1: access_ttl: "soon" is not a duration: use e.g. 90s, 15m, 1h or 30d`}},
		{name: "ErrFileBool", file: "auto_migrate: yes\n",
			want: []string{`auto_migrate: "yes" is not a boolean: use true or false`}},
		{name: "ErrEnvDuration", env: map[string]string{"KEYPAD_REFRESH_TTL": "forever"},
			want: []string{`KEYPAD_REFRESH_TTL (refresh_ttl): "forever" is not a duration`}},
		{name: "ErrEnvBool", env: map[string]string{"KEYPAD_DEV": "on"},
			want: []string{`KEYPAD_DEV (dev): "on" is not a boolean`}},
		{name: "ErrFlagDuration", flags: []string{"--shutdown-timeout", "1x"},
			want: []string{`--shutdown-timeout (shutdown_timeout): "1x" is not a duration`}},
		{name: "ErrValidation", flags: []string{"--log-level", "loud"},
			want: []string{"invalid configuration:", `log_level: "loud" is not one of debug, info, warn, error`}},
		{name: "ErrValidationFromFile", file: "access_ttl: 48h\n",
			want: []string{"access_ttl: 48h is out of range: allowed 1m to 24h"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := Sources{LookupEnv: envMap(tt.env), Flags: flags(t, tt.flags...)}
			if tt.file != "" {
				src.File = writeFile(t, tt.file)
			}
			_, err := Load(src)
			if err == nil {
				t.Fatalf("Load = nil, want an error containing %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Load error = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(Sources{File: "/nonexistent/keypad.yaml"})
	if err == nil || !strings.Contains(err.Error(), "read config file") {
		t.Errorf("Load(missing file) = %v, want a read error", err)
	}
}

func TestAddFlagsSubset(t *testing.T) {
	if flags(t).Lookup("secret") != nil {
		t.Error("the secret has a flag; it must come from KEYPAD_SECRET only")
	}
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	AddFlags(fs, "db")
	if fs.Lookup("db") == nil || fs.Lookup("addr") != nil {
		t.Errorf("AddFlags(fs, \"db\") registered the wrong flags")
	}
}

// TestLoadIgnoresOtherFlags: a command's own flag that shares a key's
// name (client create --access-ttl, a client's lifetime) is not
// configuration.
func TestLoadIgnoresOtherFlags(t *testing.T) {
	fs := pflag.NewFlagSet("client create", pflag.ContinueOnError)
	fs.String("access-ttl", "", "the client's access token lifetime")
	AddFlags(fs, "db")
	if err := fs.Parse([]string{"--access-ttl", "3650d", "--db", "sqlite:other.db"}); err != nil {
		t.Fatal(err)
	}
	c, err := Load(Sources{Flags: fs})
	if err != nil {
		t.Fatalf("Load = %v, want the command's --access-ttl ignored", err)
	}
	if got, want := c.AccessTTL, Default().AccessTTL; got != want {
		t.Errorf("AccessTTL = %v, want the default %v", got, want)
	}
	if got, want := c.DB, "sqlite:other.db"; got != want {
		t.Errorf("DB = %q, want %q from --db", got, want)
	}
}

// TestNestedSections checks that a YAML section becomes dotted keys,
// KEYPAD_SECTION_KEY and --section-key, with the usual precedence, and
// that list keys take a YAML sequence or commas.
func TestNestedSections(t *testing.T) {
	file := writeFile(t, `
smtp:
  host: mail.example.com
  port: 25
otp:
  channels:
    email: smtp
  sms_countries: [us, gb]
web:
  trusted_origins:
    - https://app.example.com
    - https://kiosk.example.com
`)
	env := envMap(map[string]string{"KEYPAD_SMTP_PORT": "587", "KEYPAD_SMTP_FROM": "Keypad <no-reply@example.com>"})
	fs := flags(t, "--smtp-host", "flag.example.com", "--otp-sms-countries", "us, ca")
	c, err := Load(Sources{File: file, LookupEnv: env, Flags: fs})
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		key       string
		got, want any
	}{
		{"smtp.host (flag over file)", c.SMTP.Host, "flag.example.com"},
		{"smtp.port (env over file)", c.SMTP.Port, 587},
		{"otp.channels.email (file, two levels)", c.EmailChannel(), ChannelSMTP},
		{"otp.sms_countries (flag, commas)", strings.Join(c.OTP.SMSCountries, " "), "US CA"},
		{"web.trusted_origins (file, sequence)", strings.Join(c.Web.TrustedOrigins, " "), "https://app.example.com https://kiosk.example.com"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.key, ch.got, ch.want)
		}
	}
	if _, err := Load(Sources{File: writeFile(t, "otp:\n  sms_countries: [us, gb]\n")}); err != nil {
		t.Errorf("a YAML list: %v", err)
	}
}

// TestSecretsFromFiles checks the credentials given as files: read and
// trimmed, and never both a variable and a file.
func TestSecretsFromFiles(t *testing.T) {
	tokenFile := writeFile(t, "  tok3n-from-file\n")
	got, err := ReadSecret("twilio.auth_token", "", tokenFile)
	if err != nil || got != "tok3n-from-file" {
		t.Errorf("ReadSecret(file) = %q, %v; want the trimmed file content", got, err)
	}
	if got, err := ReadSecret("twilio.auth_token", "from-env", ""); err != nil || got != "from-env" {
		t.Errorf("ReadSecret(env) = %q, %v; want the variable", got, err)
	}
	if _, err := ReadSecret("twilio.auth_token", "", writeFile(t, "\n")); err == nil || !strings.Contains(err.Error(), "twilio.auth_token_file") {
		t.Errorf("ReadSecret(empty file) = %v, want an error naming twilio.auth_token_file", err)
	}
	_, err = Load(Sources{
		LookupEnv: envMap(map[string]string{
			"KEYPAD_OTP_CHANNELS_SMS": "twilio", "KEYPAD_TWILIO_ACCOUNT_SID": "AC123", "KEYPAD_TWILIO_FROM": "+15005550006",
			"KEYPAD_TWILIO_AUTH_TOKEN": "x", "KEYPAD_TWILIO_AUTH_TOKEN_FILE": tokenFile,
		}),
	})
	if err == nil || !strings.Contains(err.Error(), "twilio.auth_token_file: is set and so is KEYPAD_TWILIO_AUTH_TOKEN") {
		t.Errorf("token in env and file: %v, want an error naming both", err)
	}
}
