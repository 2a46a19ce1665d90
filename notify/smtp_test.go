package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/keypadauth/keypad/internal/smtptest"
)

const (
	testSMTPUser     = "keypad@example.com"
	testSMTPPassword = "correct-horse-battery-staple-7731"
)

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// startSMTP starts the in-process mail server that takes testSMTPUser's
// login.
func startSMTP(t *testing.T, mode smtptest.Mode, rcptErr map[string]*smtp.SMTPError) *smtptest.Server {
	t.Helper()
	return smtptest.Start(t, smtptest.Options{Mode: mode, User: testSMTPUser, Password: testSMTPPassword, RcptErr: rcptErr})
}

func newTestSMTPSender(t *testing.T, ts *smtptest.Server, tlsMode string, edit func(*SMTPConfig)) *SMTPSender {
	t.Helper()
	cfg := SMTPConfig{
		Host: "127.0.0.1", Port: ts.Port, TLS: tlsMode,
		Username: testSMTPUser, Password: testSMTPPassword,
		From: "Keypad <no-reply@keypad.example.com>", Timeout: 10 * time.Second,
		TLSConfig: &tls.Config{RootCAs: ts.Roots},
	}
	if edit != nil {
		edit(&cfg)
	}
	s, err := NewSMTPSender(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.Now = func() time.Time { return testNow }
	s.Rand = bytes.NewReader(bytes.Repeat([]byte{0xab}, 16))
	return s
}

func storyEmail(t *testing.T, to string) Message {
	t.Helper()
	d := storyData()
	d.ScopeDescriptions = append(d.ScopeDescriptions, "see your service address")
	m, err := DefaultTemplates().Message(ChannelEmail, to, d)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// parsedMail is a received message taken apart with the standard library.
type parsedMail struct {
	header     mail.Header
	subject    string
	text, html string
}

func parseMail(t *testing.T, data []byte) parsedMail {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("received message does not parse: %v", err)
	}
	p := parsedMail{header: msg.Header}
	if p.subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		t.Fatalf("subject: %v", err)
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("Content-Type = %q (%v), want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart() // undoes quoted-printable by itself
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(part)
		if err != nil {
			t.Fatal(err)
		}
		if part.Header.Get("Content-Transfer-Encoding") == "base64" {
			if body, err = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(body)), "")); err != nil {
				t.Fatal(err)
			}
		}
		ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		switch ct {
		case "text/plain":
			p.text = string(body)
		case "text/html":
			p.html = string(body)
		default:
			t.Errorf("unexpected part %q", ct)
		}
	}
	return p
}

func TestSMTPSend(t *testing.T) {
	for _, tt := range []struct {
		name string
		mode smtptest.Mode
		tls  string
		host string
	}{
		{"OKStartTLS", smtptest.StartTLS, SMTPStartTLS, "127.0.0.1"},
		{"OKDefaultIsStartTLS", smtptest.StartTLS, "", "127.0.0.1"},
		{"OKImplicitTLS", smtptest.ImplicitTLS, SMTPTLS, "localhost"},
		{"OKNoTLSToLocalhost", smtptest.NoTLS, SMTPNoTLS, "127.0.0.1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ts := startSMTP(t, tt.mode, nil)
			s := newTestSMTPSender(t, ts, tt.tls, func(c *SMTPConfig) { c.Host = tt.host })
			if err := s.Send(context.Background(), storyEmail(t, "heather@example.com")); err != nil {
				t.Fatalf("Send: %v", err)
			}
			r := ts.Next(t)
			if got, want := r.TLS, tt.mode != smtptest.NoTLS; got != want {
				t.Errorf("transaction over TLS = %v, want %v", got, want)
			}
			if r.From != "no-reply@keypad.example.com" || len(r.To) != 1 || r.To[0] != "heather@example.com" {
				t.Errorf("envelope from %q to %q", r.From, r.To)
			}
			p := parseMail(t, r.Data)
			checkStoryMail(t, p)
		})
	}
}

func checkStoryMail(t *testing.T, p parsedMail) {
	t.Helper()
	for header, want := range map[string]string{
		"From":           `"Keypad" <no-reply@keypad.example.com>`,
		"To":             "<heather@example.com>",
		"Date":           "Sun, 01 Mar 2026 12:00:00 +0000",
		"Message-Id":     "<abababababababababababababababab@keypad.example.com>",
		"Auto-Submitted": "auto-generated",
	} {
		if got := p.header.Get(header); got != want {
			t.Errorf("%s = %q, want %q", header, got, want)
		}
	}
	if want := "482193 is your code for Bright Audits"; p.subject != want {
		t.Errorf("Subject = %q, want %q", p.subject, want)
	}
	for part, body := range map[string]string{"text": p.text, "html": p.html} {
		for _, w := range []string{"482193", "Bright Audits", "read your energy usage history (12 months)", "see your service address", "expires in 10 minutes"} {
			if !strings.Contains(body, w) {
				t.Errorf("%s part lacks %q:\n%s", part, w, body)
			}
		}
	}
	if !strings.Contains(p.html, "<li>see your service address</li>") {
		t.Errorf("html part does not list the scopes:\n%s", p.html)
	}
}

// mustDeliveryError returns err as a *DeliveryError and checks that no
// secret reached its text.
func mustDeliveryError(t *testing.T, err error, secrets ...string) *DeliveryError {
	t.Helper()
	t.Logf("error: %v", err)
	var de *DeliveryError
	if !errors.As(err, &de) {
		t.Fatalf("err = %v (%T), want a *DeliveryError", err, err)
	}
	for _, text := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err), de.Reason, de.Detail} {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("error text %q contains %q", text, s)
			}
		}
	}
	return de
}

func TestSMTPSendErrors(t *testing.T) {
	ctx := context.Background()
	t.Run("ErrAuthFailed", func(t *testing.T) {
		ts := startSMTP(t, smtptest.StartTLS, nil)
		const wrong = "wrong-password-9f8e7d6c5b"
		s := newTestSMTPSender(t, ts, SMTPStartTLS, func(c *SMTPConfig) { c.Password = wrong })
		err := s.Send(ctx, storyEmail(t, "heather@example.com"))
		de := mustDeliveryError(t, err, wrong, testSMTPPassword, "482193",
			base64.StdEncoding.EncodeToString([]byte("\x00"+testSMTPUser+"\x00"+wrong)))
		if de.Permanent || !strings.Contains(de.Reason, "credentials") || de.Code != "535" {
			t.Errorf("got %+v, want a temporary credentials error with code 535", de)
		}
		if n := ts.AuthFailures(); n != 1 {
			t.Errorf("server saw %d failed logins, want 1", n)
		}
		ts.None(t)
	})
	t.Run("ErrNoStartTLS", func(t *testing.T) {
		ts := startSMTP(t, smtptest.NoTLS, nil)
		s := newTestSMTPSender(t, ts, SMTPStartTLS, nil)
		de := mustDeliveryError(t, s.Send(ctx, storyEmail(t, "heather@example.com")), testSMTPPassword)
		if de.Permanent || !strings.Contains(de.Detail, "STARTTLS") {
			t.Errorf("got %+v, want a temporary error about STARTTLS", de)
		}
		if ts.AuthFailures() != 0 {
			t.Error("credentials were sent in the clear")
		}
		ts.None(t)
	})
	t.Run("ErrUntrustedCertificate", func(t *testing.T) {
		ts := startSMTP(t, smtptest.StartTLS, nil)
		s := newTestSMTPSender(t, ts, SMTPStartTLS, func(c *SMTPConfig) { c.TLSConfig = nil })
		de := mustDeliveryError(t, s.Send(ctx, storyEmail(t, "heather@example.com")), testSMTPPassword)
		if de.Permanent || !strings.Contains(de.Reason, "certificate") {
			t.Errorf("got %+v, want a certificate error", de)
		}
		ts.None(t)
	})
	t.Run("ErrRecipientRejected", func(t *testing.T) {
		ts := startSMTP(t, smtptest.StartTLS, map[string]*smtp.SMTPError{
			"nobody@example.com": {Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "nobody@example.com: no such user"},
		})
		s := newTestSMTPSender(t, ts, SMTPStartTLS, nil)
		de := mustDeliveryError(t, s.Send(ctx, storyEmail(t, "nobody@example.com")), "nobody@example.com", testSMTPPassword)
		if !de.Permanent || !strings.Contains(de.Reason, "rejected the email address") || de.Code != "550 5.1.1" {
			t.Errorf("got %+v, want a permanent rejection with code 550 5.1.1", de)
		}
		ts.None(t)
	})
	t.Run("ErrRecipientDeferred", func(t *testing.T) {
		ts := startSMTP(t, smtptest.StartTLS, map[string]*smtp.SMTPError{
			"busy@example.com": {Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"},
		})
		s := newTestSMTPSender(t, ts, SMTPStartTLS, nil)
		de := mustDeliveryError(t, s.Send(ctx, storyEmail(t, "busy@example.com")))
		if de.Permanent || de.Code != "451 4.3.0" {
			t.Errorf("got %+v, want a temporary error with code 451 4.3.0", de)
		}
	})
	t.Run("ErrInvalidAddress", func(t *testing.T) {
		ts := startSMTP(t, smtptest.StartTLS, nil)
		s := newTestSMTPSender(t, ts, SMTPStartTLS, nil)
		for _, to := range []string{"", "heather", "Heather <h@example.com>", "h@example.com\r\nBcc: x@example.com", "a@b.com, c@d.com"} {
			m := storyEmail(t, "x@example.com")
			m.To = to
			de := mustDeliveryError(t, s.Send(ctx, m))
			if !de.Permanent {
				t.Errorf("To %q: got %+v, want permanent", to, de)
			}
		}
		ts.None(t)
	})
	t.Run("ErrTimeout", func(t *testing.T) {
		// A server that accepts and never greets.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		var conns []net.Conn
		var mu sync.Mutex
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
			}
		}()
		t.Cleanup(func() {
			l.Close()
			mu.Lock()
			defer mu.Unlock()
			for _, c := range conns {
				c.Close()
			}
		})
		ts := &smtptest.Server{Port: l.Addr().(*net.TCPAddr).Port}
		s := newTestSMTPSender(t, ts, SMTPStartTLS, nil)
		ctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		de := mustDeliveryError(t, s.Send(ctx, storyEmail(t, "heather@example.com")))
		if de.Permanent || !strings.Contains(de.Reason, "time") {
			t.Errorf("got %+v, want a temporary timeout", de)
		}
	})
	t.Run("ErrWrongChannel", func(t *testing.T) {
		ts := startSMTP(t, smtptest.StartTLS, nil)
		s := newTestSMTPSender(t, ts, SMTPStartTLS, nil)
		if err := s.Send(ctx, Message{Channel: ChannelSMS, To: "+15551234821", Text: "x"}); err == nil {
			t.Error("got no error for an sms message")
		}
	})
}

func TestSMTPConfigValidate(t *testing.T) {
	ok := SMTPConfig{Host: "smtp.example.com", From: "no-reply@example.com", Username: "u", Password: "p"}
	tests := []struct {
		name string
		edit func(*SMTPConfig)
		ok   bool
	}{
		{"OK", func(*SMTPConfig) {}, true},
		{"OKNoAuth", func(c *SMTPConfig) { c.Username, c.Password = "", "" }, true},
		{"OKImplicitTLS", func(c *SMTPConfig) { c.TLS = SMTPTLS }, true},
		{"OKNoTLSLocalhost", func(c *SMTPConfig) { c.Host, c.TLS = "localhost", SMTPNoTLS }, true},
		{"OKNoTLSLoopbackV6", func(c *SMTPConfig) { c.Host, c.TLS = "::1", SMTPNoTLS }, true},
		{"ErrNoHost", func(c *SMTPConfig) { c.Host = "" }, false},
		{"ErrHostWithPort", func(c *SMTPConfig) { c.Host = "smtp.example.com:587" }, false},
		{"ErrNoTLSRemote", func(c *SMTPConfig) { c.TLS = SMTPNoTLS }, false},
		{"ErrTLSMode", func(c *SMTPConfig) { c.TLS = "opportunistic" }, false},
		{"ErrPort", func(c *SMTPConfig) { c.Port = 70000 }, false},
		{"ErrPasswordOnly", func(c *SMTPConfig) { c.Username = "" }, false},
		{"ErrNoFrom", func(c *SMTPConfig) { c.From = "" }, false},
		{"ErrBadFrom", func(c *SMTPConfig) { c.From = "keypad" }, false},
		{"ErrNegativeTimeout", func(c *SMTPConfig) { c.Timeout = -time.Second }, false},
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
	t.Run("StringHidesPassword", func(t *testing.T) {
		c := ok
		c.Password = "s3cret-password"
		if s := fmt.Sprintf("%v %s %+v", c, c, c); strings.Contains(s, c.Password) {
			t.Errorf("printed config %q shows the password", s)
		}
	})
}
