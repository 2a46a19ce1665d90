package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/config"
	"github.com/keypadauth/keypad/oauth"
	"github.com/keypadauth/keypad/ratelimit"
	"github.com/keypadauth/keypad/usercode"
)

// metadataOf fetches the server's RFC 8414 metadata.
func metadataOf(t *testing.T, s *Server) map[string]any {
	t.Helper()
	code, body := get(t, s.URL()+"/.well-known/oauth-authorization-server")
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); code != http.StatusOK || err != nil {
		t.Fatalf("metadata = %d %s", code, body)
	}
	return m
}

// TestMetadataListsEveryFlow checks that the wired server announces every
// endpoint and grant type it serves, and the OTP flow only when a channel
// can deliver its codes.
func TestMetadataListsEveryFlow(t *testing.T) {
	endpoints := map[string]string{
		"token_endpoint":                "/oauth2/token",
		"authorization_endpoint":        "/oauth2/authorize",
		"device_authorization_endpoint": "/oauth2/device_authorization",
		"introspection_endpoint":        "/oauth2/introspect",
		"revocation_endpoint":           "/oauth2/revoke",
		"userinfo_endpoint":             "/oauth2/userinfo",
		"jwks_uri":                      "/.well-known/jwks.json",
	}
	grants := []string{
		keypad.GrantClientCredentials, keypad.GrantDeviceCode, keypad.GrantAuthorizationCode,
		keypad.GrantRefreshToken, keypad.GrantPassword,
	}
	otpEndpoints := map[string]string{"otp_lookup_endpoint": "/oauth2/otp/lookup", "otp_send_endpoint": "/oauth2/otp/send"}

	for _, dev := range []bool{false, true} {
		name := map[bool]string{false: "WithoutChannel", true: "Dev"}[dev]
		t.Run(name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.AutoMigrate, cfg.Dev = true, dev
			s, logs := startServer(t, cfg, Options{})
			m := metadataOf(t, s)
			want := endpoints
			if dev {
				want = map[string]string{}
				for k, v := range endpoints {
					want[k] = v
				}
				for k, v := range otpEndpoints {
					want[k] = v
				}
			}
			for key, path := range want {
				if got := m[key]; got != s.URL()+path {
					t.Errorf("%s = %v, want %s", key, got, s.URL()+path)
				}
			}
			var got []string
			for _, g := range m["grant_types_supported"].([]any) {
				got = append(got, g.(string))
			}
			wantGrants := grants
			if dev {
				wantGrants = append(slices.Clone(grants), keypad.GrantOTP)
			}
			for _, g := range wantGrants {
				if !slices.Contains(got, g) {
					t.Errorf("grant_types_supported = %v, lacks %s", got, g)
				}
			}
			if !dev {
				for key := range otpEndpoints {
					if _, ok := m[key]; ok {
						t.Errorf("%s is announced without a delivery channel", key)
					}
				}
				if slices.Contains(got, keypad.GrantOTP) {
					t.Errorf("grant_types_supported = %v: the OTP grant without a delivery channel", got)
				}
				if !strings.Contains(logs.String(), "OTP flow off: no delivery channel configured") {
					t.Errorf("the log does not say why the OTP flow is off:\n%s", logs)
				}
			} else {
				for _, line := range []string{"development mode is on", "OTP flow enabled", "sms=outbox", "email=outbox"} {
					if !strings.Contains(logs.String(), line) {
						t.Errorf("the log lacks %q:\n%s", line, logs)
					}
				}
			}
		})
	}
}

// TestConfigBoundsMatchOAuth holds config's bounds and package oauth's in
// step: the defaults are oauth's defaults, and every edge config accepts,
// oauth accepts too.
func TestConfigBoundsMatchOAuth(t *testing.T) {
	def := config.Default()
	d := def.DeviceFlow("https://auth.example.com")
	if d.Lifetime != oauth.DefaultDeviceLifetime || d.Interval != oauth.DefaultDeviceInterval ||
		d.SlowDownStep != oauth.DefaultDeviceSlowDownStep || d.UserCode != usercode.DefaultConfig() {
		t.Errorf("default device settings %+v differ from oauth's defaults", d)
	}
	o := def.OTPFlow()
	if o.CodeLength != oauth.DefaultOTPCodeLength || o.CodeLifetime != oauth.DefaultOTPCodeLifetime ||
		o.SessionLifetime != oauth.DefaultOTPSessionLifetime || o.MaxAttempts != oauth.DefaultOTPMaxAttempts ||
		o.ResendAfter != oauth.DefaultOTPResendAfter || o.MaxSends != oauth.DefaultOTPMaxSends ||
		o.DailyPerDestination != oauth.DefaultOTPDailyPerDestination || o.DailyPerClient != oauth.DefaultOTPDailyPerClient ||
		o.MaxPersonFailures != oauth.DefaultOTPMaxPersonFailures || o.PersonFailureWindow != oauth.DefaultOTPPersonFailureWindow ||
		o.PersonCooldown != oauth.DefaultOTPPersonCooldown || o.LookupLimit.Max != oauth.DefaultOTPLookupMax ||
		o.LookupLimit.Window != oauth.DefaultOTPLookupWindow || o.Region != oauth.DefaultOTPRegion ||
		!slices.Equal(o.SMSCountries, oauth.DefaultOTPSMSCountries) || o.LoginName != oauth.DefaultOTPLoginName {
		t.Errorf("default OTP settings %+v differ from oauth's defaults", o)
	}

	edges := []struct {
		name   string
		modify func(c *config.Config)
	}{
		{"DeviceShortest", func(c *config.Config) {
			c.Device.Lifetime, c.Device.Interval, c.Device.SlowDownStep = time.Minute, time.Second, time.Second
		}},
		{"DeviceLongest", func(c *config.Config) {
			c.Device.Lifetime, c.Device.Interval, c.Device.SlowDownStep = time.Hour, time.Minute, 5*time.Second
		}},
		{"DeviceDigits", func(c *config.Config) { c.Device.UserCodeCharset, c.Device.UserCodeLength = "0123456789", 10 }},
		{"DeviceLongCode", func(c *config.Config) { c.Device.UserCodeLength = 20 }},
		{"OTPLowest", func(c *config.Config) {
			o := &c.OTP
			o.CodeLength, o.CodeLifetime, o.SessionLifetime, o.MaxAttempts, o.ResendAfter = 6, time.Minute, time.Minute, 1, 10*time.Second
			o.MaxSends, o.DailyPerDestination, o.DailyPerClient, o.MaxPersonFailures = 1, 1, 1, 1
			o.PersonFailureWindow, o.PersonCooldown, o.LookupLimit = time.Hour, time.Minute, ratelimit.Limit{Max: 1, Window: time.Second}
		}},
		{"OTPHighest", func(c *config.Config) {
			o := &c.OTP
			o.CodeLength, o.CodeLifetime, o.SessionLifetime, o.MaxAttempts, o.ResendAfter = 10, 10*time.Minute, time.Hour, 10, 9*time.Minute
			o.MaxSends, o.DailyPerDestination, o.DailyPerClient, o.MaxPersonFailures = 10, 100, 1_000_000, 100
			o.PersonFailureWindow, o.PersonCooldown, o.LookupLimit = 365*24*time.Hour, 7*24*time.Hour, ratelimit.Limit{Max: 100_000, Window: 24 * time.Hour}
			o.Region, o.SMSCountries, o.LoginName = "GB", []string{"GB", "IE"}, "Example Utility"
		}},
	}
	for _, e := range edges {
		t.Run(e.name, func(t *testing.T) {
			c := config.Default()
			e.modify(&c)
			if err := c.Validate(); err != nil {
				t.Fatalf("config.Validate = %v, want the edge accepted", err)
			}
			if err := c.DeviceFlow("https://auth.example.com").Validate(); err != nil {
				t.Errorf("oauth refuses what config accepts: %v", err)
			}
			if err := c.OTPFlow().Validate(); err != nil {
				t.Errorf("oauth refuses what config accepts: %v", err)
			}
		})
	}
}

// TestNewRejectsBadDelivery checks that a channel that cannot work stops
// start-up with an error naming its settings.
func TestNewRejectsBadDelivery(t *testing.T) {
	tests := []struct {
		name   string
		modify func(c *config.Config)
		want   string
	}{
		{"ErrCAFile", func(c *config.Config) {
			c.SMTP = config.SMTPSettings{Host: "127.0.0.1", From: "a@example.com", CAFile: "/nonexistent/ca.pem"}
		}, "smtp.ca_file"},
		{"ErrTokenFile", func(c *config.Config) {
			c.Twilio = config.TwilioSettings{AccountSID: "AC1", From: "+15005550006", AuthTokenFile: "/nonexistent/token"}
		}, "twilio.auth_token_file"},
		{"ErrTemplatesDir", func(c *config.Config) { c.Dev = true; c.OTP.TemplatesDir = "/nonexistent/templates" }, "otp.templates_dir"},
		{"ErrRegion", func(c *config.Config) { c.Dev = true; c.OTP.Region = "QQ" }, "OTP flow (otp.*)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.AutoMigrate = true
			tt.modify(&cfg)
			_, err := New(context.Background(), cfg, Options{Logger: slog.New(slog.DiscardHandler)})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want an error naming %s", err, tt.want)
			}
		})
	}
}
