package config

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/oauth"
)

// TestFlowRulesAreOAuths checks that the otp and device sections start
// from package oauth's defaults and are held to oauth's bounds, so that a
// rule changed there is changed here, with no second copy to update.
func TestFlowRulesAreOAuths(t *testing.T) {
	def := Default()
	want := oauth.DefaultOTPConfig()
	want.LoginName = "" // web.site_name
	got := def.OTP.OTPConfig
	if !slices.Equal(got.SMSCountries, want.SMSCountries) {
		t.Errorf("otp.sms_countries default %v, want oauth's %v", got.SMSCountries, want.SMSCountries)
	}
	got.SMSCountries, want.SMSCountries = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("otp defaults %+v, want oauth's %+v", got, want)
	}
	d := oauth.DefaultDeviceConfig("")
	if def.Device.Lifetime != d.Lifetime || def.Device.Interval != d.Interval || def.Device.SlowDownStep != d.SlowDownStep ||
		def.Device.UserCode() != d.UserCode {
		t.Errorf("device defaults %+v, want oauth's %+v", def.Device, d)
	}

	ob, db := oauth.OTPBounds(), oauth.DeviceBounds()
	ints := map[string]struct {
		set func(c *Config, n int)
		r   oauth.IntRange
	}{
		"otp.code_length":           {func(c *Config, n int) { c.OTP.CodeLength = n }, ob.CodeLength},
		"otp.max_attempts":          {func(c *Config, n int) { c.OTP.MaxAttempts = n }, ob.MaxAttempts},
		"otp.max_sends":             {func(c *Config, n int) { c.OTP.MaxSends = n }, ob.MaxSends},
		"otp.daily_per_destination": {func(c *Config, n int) { c.OTP.DailyPerDestination = n }, ob.DailyPerDestination},
		"otp.daily_per_client":      {func(c *Config, n int) { c.OTP.DailyPerClient = n }, ob.DailyPerClient},
		"otp.max_person_failures":   {func(c *Config, n int) { c.OTP.MaxPersonFailures = n }, ob.MaxPersonFailures},
		"otp.lookup_limit":          {func(c *Config, n int) { c.OTP.LookupLimit.Max = int64(n) }, ob.LookupMax},
	}
	for key, b := range ints {
		for _, n := range []int{b.r.Min - 1, b.r.Max + 1} {
			c := Default()
			b.set(&c, n)
			wantBad(t, c, key, fmt.Sprintf("allowed %d to %d", b.r.Min, b.r.Max))
		}
	}
	durs := map[string]struct {
		set func(c *Config, n int)
	}{
		"device.lifetime":       {func(c *Config, _ int) { c.Device.Lifetime = db.Lifetime.Max + db.Lifetime.Min }},
		"device.slow_down_step": {func(c *Config, _ int) { c.Device.SlowDownStep = db.SlowDownStep.Max + db.SlowDownStep.Min }},
		"otp.code_lifetime":     {func(c *Config, _ int) { c.OTP.CodeLifetime = ob.CodeLifetime.Max + ob.CodeLifetime.Min }},
		"otp.person_cooldown":   {func(c *Config, _ int) { c.OTP.PersonCooldown = ob.PersonCooldown.Max + ob.PersonCooldown.Min }},
		"otp.lookup_window":     {func(c *Config, _ int) { c.OTP.LookupLimit.Window = ob.LookupWindow.Max + ob.LookupWindow.Min }},
		"otp.session_lifetime":  {func(c *Config, _ int) { c.OTP.SessionLifetime = ob.SessionLifetime.Max + ob.SessionLifetime.Min }},
	}
	for key, b := range durs {
		c := Default()
		b.set(&c, 0)
		wantBad(t, c, key, "is out of range: allowed")
	}
}

// wantBad checks that c fails validation at key with a message naming
// want.
func wantBad(t *testing.T, c Config, key, want string) {
	t.Helper()
	err := c.Validate()
	var ve *keypad.ValidationError
	if !errors.As(err, &ve) || ve.Field != key || !strings.Contains(ve.Message, want) {
		t.Errorf("%s: Validate() = %v, want an error at %s saying %q", key, err, key, want)
	}
}
