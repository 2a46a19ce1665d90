package config

import (
	"testing"
	"time"

	"github.com/keypadauth/keypad/oauth"
)

// TestCIBASettings checks the ciba section: oauth's defaults and bounds,
// the three ways to set it, and that it runs only with the OTP flow.
func TestCIBASettings(t *testing.T) {
	t.Run("OKDefaultsAreOAuths", func(t *testing.T) {
		c := Default()
		if !c.CIBA.Enabled || c.CIBA.RequestLifetime != oauth.DefaultCIBARequestLifetime || c.CIBA.Interval != oauth.DefaultCIBAInterval {
			t.Errorf("ciba defaults %+v, want on, %s and %s", c.CIBA, oauth.DefaultCIBARequestLifetime, oauth.DefaultCIBAInterval)
		}
		if err := c.CIBAFlow().Validate(); err != nil {
			t.Errorf("the default ciba section is refused by oauth: %v", err)
		}
	})
	t.Run("OKSources", func(t *testing.T) {
		file := writeFile(t, "ciba:\n  request_lifetime: 20m\n  interval: 3s\n")
		env := envMap(map[string]string{"KEYPAD_CIBA_INTERVAL": "8s"})
		c, err := Load(Sources{File: file, LookupEnv: env, Flags: flags(t, "--ciba-enabled=false")})
		if err != nil {
			t.Fatal(err)
		}
		if got := c.CIBAFlow(); got.RequestLifetime != 20*time.Minute || got.Interval != 8*time.Second {
			t.Errorf("CIBAFlow() = %+v, want 20m from the file and 8s from the environment", got)
		}
		if c.CIBA.Enabled {
			t.Error("--ciba-enabled=false left CIBA on")
		}
	})
	t.Run("OKOnlyWithOTP", func(t *testing.T) {
		c := Default()
		if c.CIBAEnabled() {
			t.Error("CIBA is on without the OTP flow, which reaches the people")
		}
		c.Dev = true
		if !c.CIBAEnabled() {
			t.Error("CIBA is off with the OTP flow on (dev outbox) and ciba.enabled true")
		}
		c.CIBA.Enabled = false
		if c.CIBAEnabled() {
			t.Error("CIBA is on with ciba.enabled false")
		}
	})
	life, iv := oauth.CIBABounds()
	for _, tc := range []struct {
		name, key, want string
		set             func(c *CIBASettings)
	}{
		{"ErrLifetimeShort", "ciba.request_lifetime", "is out of range: allowed", func(c *CIBASettings) { c.RequestLifetime = life.Min - time.Second }},
		{"ErrLifetimeLong", "ciba.request_lifetime", "is out of range: allowed", func(c *CIBASettings) { c.RequestLifetime = life.Max + time.Second }},
		{"ErrIntervalShort", "ciba.interval", "is out of range: allowed", func(c *CIBASettings) { c.Interval = iv.Min - time.Millisecond }},
		{"ErrIntervalLong", "ciba.interval", "is out of range: allowed", func(c *CIBASettings) { c.Interval = iv.Max + time.Second }},
		{"ErrIntervalFraction", "ciba.interval", "not a whole number of seconds", func(c *CIBASettings) { c.Interval = 2500 * time.Millisecond }},
		{"ErrIntervalNotShorter", "ciba.interval", "not shorter than ciba.request_lifetime", func(c *CIBASettings) {
			c.RequestLifetime, c.Interval = time.Minute, time.Minute
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.set(&c.CIBA)
			wantBad(t, c, tc.key, tc.want)
		})
	}
}
