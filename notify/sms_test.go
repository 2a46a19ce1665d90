package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

const (
	testAccountSID = "ACa1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"
	testAuthToken  = "f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8"
	testFromNumber = "+15005550006"
	testServiceSID = "MG0123456789abcdef0123456789abcdef"
)

// twilioCreated is what Twilio answers to a successful create (201).
const twilioCreated = `{
  "account_sid": "ACa1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6",
  "api_version": "2010-04-01",
  "body": "%s",
  "date_created": "Sun, 01 Mar 2026 12:00:00 +0000",
  "date_sent": null,
  "date_updated": "Sun, 01 Mar 2026 12:00:00 +0000",
  "direction": "outbound-api",
  "error_code": null,
  "error_message": null,
  "from": "+15005550006",
  "messaging_service_sid": null,
  "num_media": "0",
  "num_segments": "1",
  "price": null,
  "price_unit": "USD",
  "sid": "SM1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d",
  "status": "queued",
  "subresource_uris": {"media": "/2010-04-01/Accounts/ACa1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6/Messages/SM1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d/Media.json"},
  "to": "%s",
  "uri": "/2010-04-01/Accounts/ACa1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6/Messages/SM1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d.json"
}`

// fakeTwilio checks each request the way Twilio's Messages API would and
// answers with respond, after recording the form it got.
type fakeTwilio struct {
	*httptest.Server
	forms   chan url.Values
	respond func(w http.ResponseWriter, form url.Values)
}

func startTwilio(t *testing.T, respond func(w http.ResponseWriter, form url.Values)) *fakeTwilio {
	t.Helper()
	ft := &fakeTwilio{forms: make(chan url.Values, 10), respond: respond}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2010-04-01/Accounts/{sid}/Messages.json", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("sid") != testAccountSID {
			http.Error(w, `{"code":20404,"message":"The requested resource was not found","status":404}`, http.StatusNotFound)
			return
		}
		user, pass, ok := r.BasicAuth()
		if !ok || user != testAccountSID || pass != testAuthToken {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}`)
			return
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
			t.Errorf("Content-Type = %q", ct)
		}
		if err := r.ParseForm(); err != nil {
			t.Errorf("form: %v", err)
		}
		if len(r.URL.RawQuery) != 0 {
			t.Errorf("query string %q: Twilio wants the fields in the body", r.URL.RawQuery)
		}
		ft.forms <- r.PostForm
		ft.respond(w, r.PostForm)
	})
	ft.Server = httptest.NewServer(mux)
	t.Cleanup(ft.Close)
	return ft
}

func (ft *fakeTwilio) next(t *testing.T) url.Values {
	t.Helper()
	select {
	case f := <-ft.forms:
		return f
	default:
		t.Fatal("the provider received no request")
		return nil
	}
}

func created(w http.ResponseWriter, form url.Values) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	fmt.Fprintf(w, twilioCreated, form.Get("Body"), form.Get("To"))
}

func twilioErr(status int, body string) func(http.ResponseWriter, url.Values) {
	return func(w http.ResponseWriter, _ url.Values) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

func newTestTwilio(t *testing.T, ft *fakeTwilio, edit func(*TwilioConfig)) *TwilioSender {
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
		ft := startTwilio(t, created)
		s := newTestTwilio(t, ft, nil)
		m := storySMS(t, "+15551234821")
		if err := s.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
		got := ft.next(t)
		want := url.Values{"To": {"+15551234821"}, "From": {testFromNumber}, "Body": {m.Text}}
		if got.Encode() != want.Encode() {
			t.Errorf("form = %v, want %v", got, want)
		}
	})
	t.Run("OKMessagingService", func(t *testing.T) {
		ft := startTwilio(t, created)
		s := newTestTwilio(t, ft, func(c *TwilioConfig) { c.From = testServiceSID })
		m := storySMS(t, "+447700900123")
		if err := s.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
		got := ft.next(t)
		want := url.Values{"To": {"+447700900123"}, "MessagingServiceSid": {testServiceSID}, "Body": {m.Text}}
		if got.Encode() != want.Encode() {
			t.Errorf("form = %v, want %v", got, want)
		}
	})
	t.Run("OKBaseURLWithSlash", func(t *testing.T) {
		ft := startTwilio(t, created)
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
			name: "ErrBadCredentials", respond: created,
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
		ft := startTwilio(t, created)
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
		ft := startTwilio(t, created)
		s := newTestTwilio(t, ft, nil)
		for _, to := range []string{"", "5551234821", "+0551234821", "+1 555 123 4821", "+1555123482112345"} {
			de := mustDeliveryError(t, s.Send(ctx, Message{Channel: ChannelSMS, To: to, Text: "x"}))
			if !de.Permanent {
				t.Errorf("To %q: got %+v, want permanent", to, de)
			}
		}
		select {
		case f := <-ft.forms:
			t.Errorf("provider got a request for %q", f.Get("To"))
		default:
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
