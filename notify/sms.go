package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// TwilioConfig says how to reach Twilio's Messages API, or any provider
// that speaks it (SignalWire, Telnyx's compatibility API, ...).
type TwilioConfig struct {
	AccountSID string `yaml:"account_sid"`
	AuthToken  string `yaml:"auth_token"`
	// From is an E.164 number ("+15005550006") or a Messaging Service SID
	// ("MG" and 32 hex digits), which lets Twilio pick the number.
	From string `yaml:"from"`
	// BaseURL defaults to https://api.twilio.com. Plain http is allowed
	// only to this machine (tests, local relays).
	BaseURL string `yaml:"base_url"`
}

// DefaultTwilioBaseURL is Twilio's REST API.
const DefaultTwilioBaseURL = "https://api.twilio.com"

var (
	messagingServiceSID = regexp.MustCompile(`^MG[0-9a-fA-F]{32}$`)
	twilioAccountSID    = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
)

// Validate reports a configuration that cannot work or would be unsafe.
func (c TwilioConfig) Validate() error {
	if !twilioAccountSID.MatchString(c.AccountSID) {
		return errors.New("notify: twilio account_sid is required (letters, digits, - and _)")
	}
	if c.AuthToken == "" {
		return errors.New("notify: twilio auth_token is required")
	}
	if strings.HasPrefix(c.From, "MG") {
		if !messagingServiceSID.MatchString(c.From) {
			return fmt.Errorf("notify: twilio from %q: a messaging service SID is MG and 32 hex digits", c.From)
		}
	} else if !e164.MatchString(c.From) {
		return fmt.Errorf("notify: twilio from %q: want an E.164 number like +15005550006 or a messaging service SID", c.From)
	}
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err != nil || u.Host == "" {
			return fmt.Errorf("notify: twilio base_url %q is not a URL", c.BaseURL)
		}
		if u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname())) {
			return fmt.Errorf("notify: twilio base_url %q must use https (http only to localhost)", c.BaseURL)
		}
	}
	return nil
}

// String hides the auth token.
func (c TwilioConfig) String() string {
	base := c.BaseURL
	if base == "" {
		base = DefaultTwilioBaseURL
	}
	return fmt.Sprintf("twilio %s account %s from %s", base, c.AccountSID, c.From)
}

// LogValue hides the auth token from slog.
func (c TwilioConfig) LogValue() slog.Value { return slog.StringValue(c.String()) }

// TwilioSender sends SMS through Twilio's Messages API.
type TwilioSender struct {
	cfg      TwilioConfig
	endpoint string
	// Client makes the requests; the default has a 10s timeout and
	// follows no redirects (a redirect would resend the credentials).
	Client *http.Client
}

// NewTwilioSender validates cfg and fills in its defaults.
func NewTwilioSender(cfg TwilioConfig) (*TwilioSender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultTwilioBaseURL
	}
	return &TwilioSender{
		cfg: cfg,
		endpoint: strings.TrimRight(cfg.BaseURL, "/") + "/2010-04-01/Accounts/" +
			url.PathEscape(cfg.AccountSID) + "/Messages.json",
		Client: newHTTPClient(10 * time.Second),
	}, nil
}

// newHTTPClient returns a client that gives up after timeout and does not
// follow redirects.
func newHTTPClient(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// twilioError is the body Twilio sends with a 4xx or 5xx.
type twilioError struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
}

// Twilio error codes that mean the destination will never work.
var twilioPermanent = map[int]string{
	21211: "the phone number is not valid",
	21214: "the phone number cannot be reached",
	21217: "the phone number is not valid",
	21265: "the phone number cannot receive text messages",
	21408: "text messages to this country are not enabled",
	21608: "the phone number is not verified for this (trial) account",
	21610: "the phone number has opted out of texts from this sender (it replied STOP)",
	21612: "the phone number cannot be reached by text message",
	21614: "the phone number cannot receive text messages",
	21635: "the phone number cannot receive text messages",
}

// Send delivers an SMS message.
func (s *TwilioSender) Send(ctx context.Context, m Message) error {
	if m.Channel != ChannelSMS {
		return fmt.Errorf("notify: twilio sender got a %q message: route it with a Router", m.Channel)
	}
	if err := m.validate(); err != nil {
		return err
	}
	form := url.Values{"To": {m.To}, "Body": {m.Text}}
	if messagingServiceSID.MatchString(s.cfg.From) {
		form.Set("MessagingServiceSid", s.cfg.From)
	} else {
		form.Set("From", s.cfg.From)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("notify: twilio request: %w", err)
	}
	req.SetBasicAuth(s.cfg.AccountSID, s.cfg.AuthToken)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := s.Client.Do(req)
	if err != nil {
		return s.transportError(ctx, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	return s.statusError(m, resp.StatusCode, body)
}

func (s *TwilioSender) transportError(ctx context.Context, err error) error {
	var netErr net.Error
	if errors.Is(ctx.Err(), context.Canceled) {
		return &DeliveryError{Channel: ChannelSMS, Reason: "sending was canceled", cause: err}
	}
	if ctx.Err() != nil || (errors.As(err, &netErr) && netErr.Timeout()) {
		return &DeliveryError{Channel: ChannelSMS, Reason: "the SMS provider did not answer in time", cause: err}
	}
	return &DeliveryError{Channel: ChannelSMS, Reason: "could not reach the SMS provider",
		Detail: scrub(err.Error(), s.cfg.AuthToken), cause: err}
}

// statusError maps Twilio's answer to a DeliveryError: its error codes
// name bad destinations; 429 and 5xx are worth another try later.
func (s *TwilioSender) statusError(m Message, status int, body []byte) error {
	var te twilioError
	_ = json.Unmarshal(body, &te) // a proxy's HTML page leaves te empty
	e := &DeliveryError{Channel: ChannelSMS, Code: strconv.Itoa(status),
		Detail: scrub(te.Message, s.cfg.AuthToken, m.To, strings.TrimPrefix(m.To, "+"))}
	if te.Code != 0 {
		e.Code = strconv.Itoa(te.Code)
	}
	switch {
	case twilioPermanent[te.Code] != "":
		e.Permanent, e.Reason = true, twilioPermanent[te.Code]
	case status == http.StatusTooManyRequests || te.Code == 20429:
		e.Reason = "the SMS provider is limiting the rate of messages"
	case status == http.StatusUnauthorized || status == http.StatusForbidden || te.Code == 20003:
		e.Reason = "the SMS provider refused keypad's credentials"
	case status >= 500:
		e.Reason = "the SMS provider failed"
	case status >= 300 && status < 400:
		e.Reason = "the SMS provider redirected the request: check base_url"
	default:
		e.Permanent, e.Reason = true, "the SMS provider rejected the message"
	}
	return e
}
