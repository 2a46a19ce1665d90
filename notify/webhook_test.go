package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

const testWebhookSecret = "whsec_0123456789abcdef0123456789abcdef"

// capturedRequest is one webhook request as the receiver saw it.
type capturedRequest struct {
	header string
	body   []byte
	err    error // VerifySignature's verdict
}

// startReceiver is an operator's webhook receiver: it verifies each
// request with VerifySignature at the injected clock and answers status
// (or 401 for a bad signature).
func startReceiver(t *testing.T, now time.Time, status int) (*httptest.Server, chan capturedRequest) {
	t.Helper()
	got := make(chan capturedRequest, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		c := capturedRequest{header: r.Header.Get(SignatureHeader), body: body}
		c.err = VerifySignature(testWebhookSecret, c.header, body, now, time.Minute)
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s with Content-Type %q, want a JSON POST", r.Method, r.Header.Get("Content-Type"))
		}
		got <- c
		if c.err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func newTestWebhook(t *testing.T, url string, secret string) *WebhookSender {
	t.Helper()
	s, err := NewWebhookSender(WebhookConfig{URL: url, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	s.Now = func() time.Time { return testNow }
	s.Rand = bytes.NewReader(bytes.Repeat([]byte{0x5a}, 64))
	return s
}

func TestWebhookSend(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		srv, got := startReceiver(t, testNow.Add(30*time.Second), http.StatusNoContent)
		s := newTestWebhook(t, srv.URL, testWebhookSecret)
		m := storyEmail(t, "heather@example.com")
		if err := s.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
		c := <-got
		if c.err != nil {
			t.Fatalf("receiver: %v", c.err)
		}
		if want := "t=1772366400,v1="; !strings.HasPrefix(c.header, want) {
			t.Errorf("signature header %q, want prefix %q", c.header, want)
		}
		var p WebhookPayload
		dec := json.NewDecoder(bytes.NewReader(c.body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		want := WebhookPayload{Channel: "email", To: "heather@example.com", Subject: m.Subject, Text: m.Text, HTML: m.HTML,
			ID: strings.Repeat("5a", 16), Timestamp: testNow.Unix()}
		if p != want {
			t.Errorf("payload = %+v\nwant %+v", p, want)
		}
		var raw map[string]any
		if err := json.Unmarshal(c.body, &raw); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"channel", "to", "subject", "text", "html", "id", "timestamp"} {
			if _, ok := raw[k]; !ok {
				t.Errorf("payload lacks %q", k)
			}
		}
	})
	t.Run("ErrReplay", func(t *testing.T) {
		srv, got := startReceiver(t, testNow, http.StatusOK)
		s := newTestWebhook(t, srv.URL, testWebhookSecret)
		if err := s.Send(ctx, storySMS(t, "+15551234821")); err != nil {
			t.Fatal(err)
		}
		c := <-got
		// An attacker who captured the request replays it later.
		err := VerifySignature(testWebhookSecret, c.header, c.body, testNow.Add(time.Minute+time.Second), time.Minute)
		if !errors.Is(err, ErrSignatureStale) {
			t.Errorf("replay after the tolerance: err = %v, want ErrSignatureStale", err)
		}
	})
	t.Run("ErrTampered", func(t *testing.T) {
		srv, got := startReceiver(t, testNow, http.StatusOK)
		s := newTestWebhook(t, srv.URL, testWebhookSecret)
		if err := s.Send(ctx, storySMS(t, "+15551234821")); err != nil {
			t.Fatal(err)
		}
		c := <-got
		tampered := bytes.Replace(c.body, []byte("+15551234821"), []byte("+15559999999"), 1)
		if bytes.Equal(tampered, c.body) {
			t.Fatal("test did not change the body")
		}
		if err := VerifySignature(testWebhookSecret, c.header, tampered, testNow, time.Minute); !errors.Is(err, ErrSignatureMismatch) {
			t.Errorf("tampered body: err = %v, want ErrSignatureMismatch", err)
		}
		// Moving the timestamp forward to dodge the tolerance breaks the MAC.
		_, sig, _ := strings.Cut(c.header, ",")
		moved := "t=" + "1772366999," + sig
		if err := VerifySignature(testWebhookSecret, moved, c.body, testNow.Add(10*time.Minute), time.Minute); !errors.Is(err, ErrSignatureMismatch) {
			t.Errorf("moved timestamp: err = %v, want ErrSignatureMismatch", err)
		}
	})
	t.Run("ErrWrongSecret", func(t *testing.T) {
		srv, got := startReceiver(t, testNow, http.StatusOK)
		s := newTestWebhook(t, srv.URL, strings.Repeat("x", 40))
		de := mustDeliveryError(t, s.Send(ctx, storySMS(t, "+15551234821")), "482193", strings.Repeat("x", 40))
		if c := <-got; !errors.Is(c.err, ErrSignatureMismatch) {
			t.Errorf("receiver: err = %v, want ErrSignatureMismatch", c.err)
		}
		if de.Permanent || de.Code != "401" || !strings.Contains(de.Reason, "secret") {
			t.Errorf("got %+v, want a temporary 401 about the secret", de)
		}
	})
	for _, tt := range []struct {
		name      string
		status    int
		permanent bool
	}{
		{"ErrRejected", http.StatusUnprocessableEntity, true},
		{"ErrBadRequest", http.StatusBadRequest, true},
		{"ErrServer", http.StatusBadGateway, false},
		{"ErrTooMany", http.StatusTooManyRequests, false},
		{"ErrRedirectNotFollowed", http.StatusFound, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv, got := startReceiver(t, testNow, tt.status)
			s := newTestWebhook(t, srv.URL, testWebhookSecret)
			de := mustDeliveryError(t, s.Send(ctx, storySMS(t, "+15551234821")), "482193", testWebhookSecret)
			if de.Permanent != tt.permanent || de.Channel != ChannelSMS {
				t.Errorf("status %d: got %+v, want permanent %v", tt.status, de, tt.permanent)
			}
			if len(got) != 1 {
				t.Errorf("receiver got %d requests, want 1", len(got))
			}
		})
	}
}

func TestVerifySignature(t *testing.T) {
	body := []byte(`{"channel":"sms"}`)
	signed := Sign(testWebhookSecret, testNow, body)
	_, v1, _ := strings.Cut(signed, ",")
	other := Sign("another-secret-another-secret-000", testNow, body)
	_, otherV1, _ := strings.Cut(other, ",")
	tests := []struct {
		name   string
		header string
		now    time.Time
		tol    time.Duration
		want   error
	}{
		{"OK", signed, testNow, time.Minute, nil},
		{"OKAtTolerance", signed, testNow.Add(time.Minute), time.Minute, nil},
		{"OKClockBehind", signed, testNow.Add(-time.Minute), time.Minute, nil},
		{"OKDefaultTolerance", signed, testNow.Add(4 * time.Minute), 0, nil},
		{"OKRotation", "t=1772366400," + otherV1 + "," + v1, testNow, time.Minute, nil},
		{"OKUnknownScheme", signed + ",v0=deadbeef", testNow, time.Minute, nil},
		{"OKSpaces", "t=1772366400, " + v1, testNow, time.Minute, nil},
		{"ErrSignatureStale", signed, testNow.Add(time.Minute + time.Second), time.Minute, ErrSignatureStale},
		{"ErrSignatureStaleDefault", signed, testNow.Add(6 * time.Minute), 0, ErrSignatureStale},
		{"ErrSignatureFuture", signed, testNow.Add(-2 * time.Minute), time.Minute, ErrSignatureStale},
		{"ErrSignatureMismatch", other, testNow, time.Minute, ErrSignatureMismatch},
		{"ErrEmpty", "", testNow, time.Minute, ErrSignatureMalformed},
		{"ErrNoTimestamp", v1, testNow, time.Minute, ErrSignatureMalformed},
		{"ErrNoV1", "t=1772366400", testNow, time.Minute, ErrSignatureMalformed},
		{"ErrBadTimestamp", "t=soon," + v1, testNow, time.Minute, ErrSignatureMalformed},
		{"ErrTwoTimestamps", "t=1772366400,t=1772366401," + v1, testNow, time.Minute, ErrSignatureMalformed},
		{"ErrBadHex", "t=1772366400,v1=zz", testNow, time.Minute, ErrSignatureMalformed},
		{"ErrShortMAC", "t=1772366400,v1=abcd", testNow, time.Minute, ErrSignatureMalformed},
		{"ErrNoEquals", "t=1772366400,v1", testNow, time.Minute, ErrSignatureMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifySignature(testWebhookSecret, tt.header, body, tt.now, tt.tol)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("VerifySignature(%q) = %v, want %v", tt.header, err, tt.want)
			}
		})
	}
}

func FuzzVerifySignature(f *testing.F) {
	f.Add(Sign(testWebhookSecret, testNow, []byte("{}")), []byte("{}"))
	f.Add("t=1,v1=00", []byte(""))
	f.Add("t=,v1=,v1=", []byte("x"))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		if VerifySignature(testWebhookSecret, header, body, testNow, time.Minute) != nil {
			return
		}
		// Accepting needs the real MAC of this body at the header's time.
		var ts int64 = -1
		for _, part := range strings.Split(header, ",") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(part), "t="); ok {
				ts, _ = strconv.ParseInt(v, 10, 64)
			}
		}
		_, v1, _ := strings.Cut(Sign(testWebhookSecret, time.Unix(ts, 0), body), ",")
		if !strings.Contains(header, v1) {
			t.Fatalf("accepted header %q without the body's MAC", header)
		}
	})
}

func TestWebhookConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  WebhookConfig
		ok   bool
	}{
		{"OK", WebhookConfig{URL: "https://hooks.example.com/keypad", Secret: testWebhookSecret}, true},
		{"OKLocalHTTP", WebhookConfig{URL: "http://localhost:9000/hook", Secret: testWebhookSecret}, true},
		{"ErrRemoteHTTP", WebhookConfig{URL: "http://hooks.example.com/keypad", Secret: testWebhookSecret}, false},
		{"ErrNoURL", WebhookConfig{Secret: testWebhookSecret}, false},
		{"ErrShortSecret", WebhookConfig{URL: "https://hooks.example.com/keypad", Secret: "short"}, false},
		{"ErrNegativeTimeout", WebhookConfig{URL: "https://hooks.example.com/keypad", Secret: testWebhookSecret, Timeout: -1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.cfg.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok %v", err, tt.ok)
			}
		})
	}
	c := WebhookConfig{URL: "https://hooks.example.com/keypad", Secret: testWebhookSecret}
	if s := fmt.Sprintf("%v %+v", c, c); strings.Contains(s, testWebhookSecret) {
		t.Errorf("printed config %q shows the secret", s)
	}
}
