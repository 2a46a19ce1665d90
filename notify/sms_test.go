package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad/internal/twiliotest"
)

const (
	testAccountSID = "ACa1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"
	testAuthToken  = "f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8"
	testFromNumber = "+15005550006"
	testServiceSID = "MG0123456789abcdef0123456789abcdef"
)

// startTwilio starts a server speaking Twilio's Messages API for the test
// account; respond, when set, answers in place of its 201.
func startTwilio(t *testing.T, respond func(http.ResponseWriter, url.Values)) *twiliotest.Server {
	t.Helper()
	return twiliotest.Start(t, twiliotest.Options{AccountSID: testAccountSID, AuthToken: testAuthToken, Respond: respond})
}

func twilioErr(status int, body string) func(http.ResponseWriter, url.Values) {
	return func(w http.ResponseWriter, _ url.Values) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

func newTestTwilio(t *testing.T, ft *twiliotest.Server, edit func(*TwilioConfig)) *TwilioSender {
	t.Helper()
	cfg := TwilioConfig{AccountSID: testAccountSID, AuthToken: testAuthToken, From: testFromNumber, BaseURL: ft.URL}
	if edit != nil {
		edit(&cfg)
	}
	s, err := NewTwilioSender(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func storySMS(t *testing.T, to string) Message {
	t.Helper()
	m, err := DefaultTemplates().Message(ChannelSMS, to, storyData())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestTwilioSend(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		ft := startTwilio(t, nil)
		s := newTestTwilio(t, ft, nil)
		m := storySMS(t, "+15551234821")
		if err := s.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
		got := ft.Last(t)
		want := url.Values{"To": {"+15551234821"}, "From": {testFromNumber}, "Body": {m.Text}}
		if got.Encode() != want.Encode() {
			t.Errorf("form = %v, want %v", got, want)
		}
	})
	t.Run("OKMessagingService", func(t *testing.T) {
		ft := startTwilio(t, nil)
		s := newTestTwilio(t, ft, func(c *TwilioConfig) { c.From = testServiceSID })
		m := storySMS(t, "+447700900123")
		if err := s.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
		got := ft.Last(t)
		want := url.Values{"To": {"+447700900123"}, "MessagingServiceSid": {testServiceSID}, "Body": {m.Text}}
		if got.Encode() != want.Encode() {
			t.Errorf("form = %v, want %v", got, want)
		}
	})
	t.Run("OKBaseURLWithSlash", func(t *testing.T) {
		ft := startTwilio(t, nil)
		s := newTestTwilio(t, ft, func(c *TwilioConfig) { c.BaseURL += "/" })
		if err := s.Send(ctx, storySMS(t, "+15551234821")); err != nil {
			t.Fatal(err)
		}
	})

	tests := []struct {
		name      string
		respond   func(http.ResponseWriter, url.Values)
		edit      func(*TwilioConfig)
		permanent bool
		code      string
		reason    string
	}{
		{
			name:      "ErrInvalidTo",
			respond:   twilioErr(400, `{"code": 21211, "message": "The 'To' number +15551234821 is not a valid phone number.", "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}`),
			permanent: true, code: "21211", reason: "not valid",
		},
		{
			name:      "ErrLandline",
			respond:   twilioErr(400, `{"code": 21614, "message": "'To' number is not a valid mobile number", "more_info": "https://www.twilio.com/docs/errors/21614", "status": 400}`),
			permanent: true, code: "21614", reason: "cannot receive text messages",
		},
		{
			name:      "ErrOptedOut",
			respond:   twilioErr(400, `{"code": 21610, "message": "Attempt to send to unsubscribed recipient", "more_info": "https://www.twilio.com/docs/errors/21610", "status": 400}`),
			permanent: true, code: "21610", reason: "opted out",
		},
		{
			name:      "ErrOtherRejection",
			respond:   twilioErr(400, `{"code": 21606, "message": "The From phone number +15005550006 is not a valid, SMS-capable inbound phone number or short code for your account.", "more_info": "https://www.twilio.com/docs/errors/21606", "status": 400}`),
			permanent: true, code: "21606", reason: "rejected",
		},
		{
			name:    "ErrRateLimited",
			respond: twilioErr(429, `{"code": 20429, "message": "Too Many Requests", "more_info": "https://www.twilio.com/docs/errors/20429", "status": 429}`),
			code:    "20429", reason: "rate",
		},
		{
			name:    "ErrServer",
			respond: twilioErr(503, `<html><body>Service Unavailable</body></html>`),
			code:    "503", reason: "the SMS provider failed",
		},
		{
			name: "ErrBadCredentials",
			edit: func(c *TwilioConfig) { c.AuthToken = "0000wrong0000token0000" },
			code: "20003", reason: "credentials",
		},
		{
			name: "ErrRedirect",
			respond: func(w http.ResponseWriter, _ url.Values) {
				w.Header().Set("Location", "https://evil.example/steal")
				w.WriteHeader(http.StatusTemporaryRedirect)
			},
			code: "307", reason: "redirect",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ft := startTwilio(t, tt.respond)
			s := newTestTwilio(t, ft, tt.edit)
			err := s.Send(ctx, storySMS(t, "+15551234821"))
			de := mustDeliveryError(t, err, testAuthToken, "0000wrong0000token0000", "482193", "5551234821")
			if de.Permanent != tt.permanent || de.Code != tt.code || !strings.Contains(de.Reason, tt.reason) || de.Channel != ChannelSMS {
				t.Errorf("got %+v, want permanent %v, code %s, reason with %q", de, tt.permanent, tt.code, tt.reason)
			}
		})
	}

	t.Run("ErrTimeout", func(t *testing.T) {
		release := make(chan struct{})
		ft := startTwilio(t, func(w http.ResponseWriter, _ url.Values) { <-release })
		defer close(release) // before ft.Close, which waits for handlers
		s := newTestTwilio(t, ft, nil)
		s.Client.Timeout = 100 * time.Millisecond
		de := mustDeliveryError(t, s.Send(ctx, storySMS(t, "+15551234821")), testAuthToken)
		if de.Permanent || !strings.Contains(de.Reason, "in time") {
			t.Errorf("got %+v, want a temporary timeout", de)
		}
	})
	t.Run("ErrCanceled", func(t *testing.T) {
		ft := startTwilio(t, nil)
		s := newTestTwilio(t, ft, nil)
		ctx, cancel := context.WithCancel(ctx)
		cancel()
		err := s.Send(ctx, storySMS(t, "+15551234821"))
		de := mustDeliveryError(t, err)
		if de.Permanent || !errors.Is(err, context.Canceled) {
			t.Errorf("got %+v, want a temporary error wrapping context.Canceled", de)
		}
	})
	t.Run("ErrBadNumberNotSent", func(t *testing.T) {
		ft := startTwilio(t, nil)
		s := newTestTwilio(t, ft, nil)
		for _, to := range []string{"", "5551234821", "+0551234821", "+1 555 123 4821", "+1555123482112345"} {
			de := mustDeliveryError(t, s.Send(ctx, Message{Channel: ChannelSMS, To: to, Text: "x"}))
			if !de.Permanent {
				t.Errorf("To %q: got %+v, want permanent", to, de)
			}
		}
		if reqs := ft.Requests(); len(reqs) != 0 {
			t.Errorf("provider got a request for %q", reqs[0].Form.Get("To"))
		}
	})
}

func TestTwilioConfigValidate(t *testing.T) {
	ok := TwilioConfig{AccountSID: testAccountSID, AuthToken: testAuthToken, From: testFromNumber}
	tests := []struct {
		name string
		edit func(*TwilioConfig)
		ok   bool
	}{
		{"OK", func(*TwilioConfig) {}, true},
		{"OKMessagingService", func(c *TwilioConfig) { c.From = testServiceSID }, true},
		{"OKHTTPLocalhost", func(c *TwilioConfig) { c.BaseURL = "http://127.0.0.1:8080" }, true},
		{"OKCompatibleProvider", func(c *TwilioConfig) { c.BaseURL = "https://example.signalwire.com/api/laml" }, true},
		{"ErrNoSID", func(c *TwilioConfig) { c.AccountSID = "" }, false},
		{"ErrSIDWithSlash", func(c *TwilioConfig) { c.AccountSID = "AC/../x" }, false},
		{"ErrNoToken", func(c *TwilioConfig) { c.AuthToken = "" }, false},
		{"ErrFromNotE164", func(c *TwilioConfig) { c.From = "5005550006" }, false},
		{"ErrShortServiceSID", func(c *TwilioConfig) { c.From = "MG123" }, false},
		{"ErrHTTPRemote", func(c *TwilioConfig) { c.BaseURL = "http://api.twilio.com" }, false},
		{"ErrNotURL", func(c *TwilioConfig) { c.BaseURL = "api.twilio.com" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.edit(&c)
			if err := c.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok %v", err, tt.ok)
			}
		})
	}
	t.Run("StringHidesToken", func(t *testing.T) {
		if s := fmt.Sprintf("%v %s %+v", ok, ok, ok); strings.Contains(s, testAuthToken) {
			t.Errorf("printed config %q shows the token", s)
		}
	})
}
