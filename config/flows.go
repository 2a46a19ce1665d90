package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/oauth"
	"github.com/keypadauth/keypad/usercode"
)

// The settings of the two code flows and of the hosted pages. The flows'
// defaults and bounds are package oauth's (DefaultOTPConfig, OTPBounds,
// DefaultDeviceConfig, DeviceBounds), declared once there; this file
// only names the keys in its messages.

// DeviceSettings are the device flow's settings (RFC 8628, section
// "device" of the file).
type DeviceSettings struct {
	// Lifetime is how long a device code can be approved and redeemed.
	Lifetime time.Duration
	// Interval is the polling interval handed to devices, whole seconds.
	Interval time.Duration
	// SlowDownStep is added to a device's interval each time it polls too
	// early (RFC 8628 clients add 5s themselves).
	SlowDownStep time.Duration
	// UserCodeCharset and UserCodeLength shape the codes people type.
	UserCodeCharset string
	UserCodeLength  int
}

// UserCode is the user-code format these settings describe; the device
// endpoint and the hosted pages must share it. Dashes go every 4
// characters, or every 3 or 5 when that divides the length evenly.
func (d DeviceSettings) UserCode() usercode.Config {
	return usercode.Config{Charset: d.UserCodeCharset, Length: d.UserCodeLength, GroupSize: groupSize(d.UserCodeLength)}
}

func groupSize(n int) int {
	for _, g := range []int{4, 3, 5} {
		if n > g && n%g == 0 {
			return g
		}
	}
	if n <= 5 {
		return 0
	}
	return 4
}

// WebSettings are the hosted pages' settings (section "web").
type WebSettings struct {
	// SiteName is shown in page titles and, unless otp.login_name is set,
	// in sign-in messages.
	SiteName string
	// SessionTTL is how long a browser session lasts.
	SessionTTL time.Duration
	// ClientIPHeader names the header a trusted reverse proxy sets with
	// the client address; the per-IP limits of the pages and of the OTP
	// flow count by it. Empty uses the connection's address.
	ClientIPHeader string
	// TrustedOrigins are other origins allowed to post the pages' forms.
	TrustedOrigins []string
}

// CIBASettings are backchannel authentication's settings (section
// "ciba"). CIBA finds and reaches people through the OTP flow, so it runs
// only when that flow does (see Config.CIBAEnabled); its defaults and
// bounds are oauth's (DefaultCIBARequestLifetime, DefaultCIBAInterval,
// CIBABounds).
type CIBASettings struct {
	// Enabled turns CIBA on with the OTP flow (default true); false keeps
	// it off even then.
	Enabled bool
	// RequestLifetime is how long a request waits for the person
	// (expires_in).
	RequestLifetime time.Duration
	// Interval is the least wait between two polls, whole seconds.
	Interval time.Duration
}

// OTP delivery channel choices (otp.channels.sms, otp.channels.email).
const (
	ChannelTwilio  = "twilio"
	ChannelSMTP    = "smtp"
	ChannelWebhook = "webhook"
	ChannelOutbox  = "outbox"
	ChannelNone    = "none"
)

// OTPSettings are the OTP flow's settings (section "otp"): oauth's own
// OTPConfig, so that a new setting is one field there and one key here,
// and the channels that deliver the codes. Two fields are not keys of
// this section: LoginName, when empty, means web.site_name (see
// Config.OTPFlow), and ClientIPHeader is web.client_ip_header.
type OTPSettings struct {
	oauth.OTPConfig
	// SMS and Email choose the delivery channels; empty means automatic
	// (see SMSChannel and EmailChannel).
	SMS   string
	Email string
	// TemplatesDir, when set, holds message templates that replace the
	// built-in ones (see notify.LoadTemplates).
	TemplatesDir string
}

// SMSChannel is how texts go out: otp.channels.sms when set, else twilio
// when twilio.account_sid is set, else the dev outbox in dev mode, else
// none.
func (c Config) SMSChannel() string {
	switch {
	case c.OTP.SMS != "":
		return c.OTP.SMS
	case c.Twilio.AccountSID != "":
		return ChannelTwilio
	case c.Dev:
		return ChannelOutbox
	}
	return ChannelNone
}

// EmailChannel is how email goes out: otp.channels.email when set, else
// smtp when smtp.host is set, else the dev outbox in dev mode, else none.
func (c Config) EmailChannel() string {
	switch {
	case c.OTP.Email != "":
		return c.OTP.Email
	case c.SMTP.Host != "":
		return ChannelSMTP
	case c.Dev:
		return ChannelOutbox
	}
	return ChannelNone
}

// OTPEnabled reports whether the OTP flow has a channel to deliver codes
// over; without one it stays off.
func (c Config) OTPEnabled() bool {
	return c.SMSChannel() != ChannelNone || c.EmailChannel() != ChannelNone
}

// CIBAEnabled reports whether CIBA runs: ciba.enabled, and the OTP flow
// it reaches people through is on.
func (c Config) CIBAEnabled() bool { return c.CIBA.Enabled && c.OTPEnabled() }

// CIBAFlow is CIBA's configuration for package oauth: the ciba section.
func (c Config) CIBAFlow() oauth.CIBAConfig {
	return oauth.CIBAConfig{RequestLifetime: c.CIBA.RequestLifetime, Interval: c.CIBA.Interval}
}

// OTPLoginName is the name sign-in messages use.
func (c Config) OTPLoginName() string {
	if c.OTP.LoginName != "" {
		return c.OTP.LoginName
	}
	return c.Web.SiteName
}

// DeviceFlow is the device flow's configuration for package oauth, on a
// server whose issuer is issuer: the device section, with the
// verification URI at oauth.PathDeviceVerification under the issuer. The
// caller adds the UserCodeKey, which comes from the server secret.
func (c Config) DeviceFlow(issuer string) oauth.DeviceConfig {
	return oauth.DeviceConfig{
		VerificationURI: strings.TrimSuffix(issuer, "/") + oauth.PathDeviceVerification,
		Lifetime:        c.Device.Lifetime,
		Interval:        c.Device.Interval,
		SlowDownStep:    c.Device.SlowDownStep,
		UserCode:        c.Device.UserCode(),
	}
}

// OTPFlow is the OTP flow's configuration for package oauth: the otp
// section with the settings it shares with the hosted pages filled in.
func (c Config) OTPFlow() oauth.OTPConfig {
	o := c.OTP.OTPConfig
	o.LoginName = c.OTPLoginName()
	o.ClientIPHeader = c.Web.ClientIPHeader
	return o
}

// defaultDevice, defaultWeb and defaultOTP are DESIGN.md's policy.
func defaultDevice() DeviceSettings {
	d := oauth.DefaultDeviceConfig("")
	return DeviceSettings{
		Lifetime: d.Lifetime, Interval: d.Interval, SlowDownStep: d.SlowDownStep,
		UserCodeCharset: d.UserCode.Charset, UserCodeLength: d.UserCode.Length,
	}
}

func defaultCIBA() CIBASettings {
	return CIBASettings{Enabled: true, RequestLifetime: oauth.DefaultCIBARequestLifetime, Interval: oauth.DefaultCIBAInterval}
}

func defaultWeb() WebSettings {
	return WebSettings{SiteName: "keypad", SessionTTL: time.Hour}
}

func defaultOTP() OTPSettings {
	o := oauth.DefaultOTPConfig()
	o.LoginName = "" // web.site_name
	return OTPSettings{OTPConfig: o}
}

// validator collects problems, each naming its key.
type validator struct {
	errs []error
	// typed is Config.typed: the text each key was read from.
	typed map[string]string
}

func (v *validator) bad(key, format string, args ...any) {
	v.errs = append(v.errs, &keypad.ValidationError{Field: key, Message: fmt.Sprintf(format, args...)})
}

// duration checks lo <= d <= hi (and whole seconds when whole is set).
func (v *validator) duration(key string, d, lo, hi time.Duration, whole bool) {
	switch {
	case d < lo || d > hi:
		days := strings.HasSuffix(v.show(key, d), "d")
		v.bad(key, "%s is out of range: allowed %s to %s", v.show(key, d), formatIn(lo, days), formatIn(hi, days))
	case whole && d%time.Second != 0:
		v.bad(key, "%s is not a whole number of seconds (the wire carries seconds)", d)
	}
}

// show is d as the person typed it when it came from a file, the
// environment or a flag, else as FormatDuration writes it.
func (v *validator) show(key string, d time.Duration) string {
	if text, ok := v.typed[key]; ok {
		if td, err := ParseDuration(text); err == nil && td == d {
			return text
		}
	}
	return FormatDuration(d)
}

func (v *validator) number(key string, n, lo, hi int) {
	if n < lo || n > hi {
		v.bad(key, "%d is out of range: allowed %d to %d", n, lo, hi)
	}
}

// within and count check a setting against oauth's range for it.
func (v *validator) within(key string, d time.Duration, r oauth.DurationRange, whole bool) {
	v.duration(key, d, r.Min, r.Max, whole)
}

func (v *validator) count(key string, n int, r oauth.IntRange) { v.number(key, n, r.Min, r.Max) }

func (v *validator) device(d DeviceSettings) {
	b := oauth.DeviceBounds()
	v.within("device.lifetime", d.Lifetime, b.Lifetime, false)
	v.within("device.interval", d.Interval, b.Interval, true)
	if d.Interval >= d.Lifetime && d.Lifetime >= b.Lifetime.Min {
		v.bad("device.interval", "%s is not shorter than device.lifetime (%s): a device could never poll in time", FormatDuration(d.Interval), FormatDuration(d.Lifetime))
	}
	v.within("device.slow_down_step", d.SlowDownStep, b.SlowDownStep, true)
	if err := d.UserCode().Validate(); err != nil {
		msg := strings.TrimPrefix(err.Error(), "usercode: ")
		key := "device.user_code_length"
		if rest, ok := strings.CutPrefix(msg, "charset: "); ok {
			key, msg = "device.user_code_charset", rest
		}
		v.bad(key, "%s", strings.TrimPrefix(msg, "length: "))
	}
}

func (v *validator) ciba(c CIBASettings) {
	life, iv := oauth.CIBABounds()
	v.within("ciba.request_lifetime", c.RequestLifetime, life, false)
	v.within("ciba.interval", c.Interval, iv, true)
	if c.Interval >= c.RequestLifetime && c.RequestLifetime >= life.Min {
		v.bad("ciba.interval", "%s is not shorter than ciba.request_lifetime (%s): a client could never poll in time", FormatDuration(c.Interval), FormatDuration(c.RequestLifetime))
	}
}

// headerName is an HTTP header field name (RFC 9110 §5.1).
var headerName = regexp.MustCompile("^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$")

func (v *validator) web(w WebSettings) {
	if strings.TrimSpace(w.SiteName) == "" || len(w.SiteName) > 100 {
		v.bad("web.site_name", "must be 1 to 100 characters: the name people see on the pages")
	}
	v.duration("web.session_ttl", w.SessionTTL, time.Minute, 24*time.Hour, false)
	if w.ClientIPHeader != "" && !headerName.MatchString(w.ClientIPHeader) {
		v.bad("web.client_ip_header", "%q is not a header name: use the header your reverse proxy sets, e.g. X-Forwarded-For", w.ClientIPHeader)
	}
	for _, o := range w.TrustedOrigins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") ||
			u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			v.bad("web.trusted_origins", "%q is not an origin: use scheme://host[:port], e.g. https://app.example.com", o)
		}
	}
}

// region is an ISO 3166-1 alpha-2 code; package oauth checks it is one
// it knows.
var region = regexp.MustCompile(`^[A-Za-z]{2}$`)

func (v *validator) otp(c Config) {
	o, b := c.OTP, oauth.OTPBounds()
	v.count("otp.code_length", o.CodeLength, b.CodeLength)
	v.within("otp.code_lifetime", o.CodeLifetime, b.CodeLifetime, false)
	v.within("otp.session_lifetime", o.SessionLifetime, b.SessionLifetime, false)
	v.count("otp.max_attempts", o.MaxAttempts, b.MaxAttempts)
	v.within("otp.resend_after", o.ResendAfter, b.ResendAfter, true)
	if o.ResendAfter >= o.CodeLifetime && o.CodeLifetime >= b.CodeLifetime.Min {
		v.bad("otp.resend_after", "%s is not shorter than otp.code_lifetime (%s): a person could never ask for a second code in time", FormatDuration(o.ResendAfter), FormatDuration(o.CodeLifetime))
	}
	v.count("otp.max_sends", o.MaxSends, b.MaxSends)
	v.count("otp.daily_per_destination", o.DailyPerDestination, b.DailyPerDestination)
	v.count("otp.daily_per_client", o.DailyPerClient, b.DailyPerClient)
	v.count("otp.max_person_failures", o.MaxPersonFailures, b.MaxPersonFailures)
	v.within("otp.person_failure_window", o.PersonFailureWindow, b.PersonFailureWindow, false)
	v.within("otp.person_cooldown", o.PersonCooldown, b.PersonCooldown, false)
	if o.LookupLimit.Max > int64(b.LookupMax.Max) {
		v.bad("otp.lookup_limit", "%d is out of range: allowed %d to %d", o.LookupLimit.Max, b.LookupMax.Min, b.LookupMax.Max)
	} else {
		v.count("otp.lookup_limit", int(o.LookupLimit.Max), b.LookupMax)
	}
	v.within("otp.lookup_window", o.LookupLimit.Window, b.LookupWindow, false)
	if !region.MatchString(o.Region) {
		v.bad("otp.region", "%q is not a two-letter ISO 3166-1 region such as US or GB", o.Region)
	}
	if len(o.SMSCountries) == 0 {
		v.bad("otp.sms_countries", "is empty: list the regions texts may go to (e.g. US,CA), or set otp.channels.sms: none")
	}
	for _, r := range o.SMSCountries {
		if !region.MatchString(r) {
			v.bad("otp.sms_countries", "%q is not a two-letter ISO 3166-1 region such as US or CA", r)
		}
	}
	if o.LoginName != "" && strings.TrimSpace(o.LoginName) == "" {
		v.bad("otp.login_name", "is blank: set the name sign-in messages show, or leave it unset to use web.site_name")
	}

	sms, email := c.SMSChannel(), c.EmailChannel()
	switch sms {
	case ChannelTwilio, ChannelWebhook, ChannelOutbox, ChannelNone:
	default:
		v.bad("otp.channels.sms", "%q is not one of twilio, webhook, outbox, none", sms)
	}
	switch email {
	case ChannelSMTP, ChannelWebhook, ChannelOutbox, ChannelNone:
	default:
		v.bad("otp.channels.email", "%q is not one of smtp, webhook, outbox, none", email)
	}
	for key, ch := range map[string]string{"otp.channels.sms": sms, "otp.channels.email": email} {
		if ch == ChannelOutbox && !c.Dev {
			v.bad(key, "outbox keeps one-time codes in clear for reading and works only with dev: true; configure a real channel for production")
		}
	}
	if sms == ChannelTwilio {
		v.twilio(c.Twilio)
	}
	if email == ChannelSMTP {
		v.smtp(c.SMTP)
	}
	if sms == ChannelWebhook || email == ChannelWebhook {
		v.webhook(c.Webhook)
	}
}
