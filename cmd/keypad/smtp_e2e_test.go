package main

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/keypadauth/keypad/internal/smtptest"
)

// A real mail server in the test process (github.com/emersion/go-smtp):
// STARTTLS with a certificate of a private CA, AUTH PLAIN required. keypad
// reaches it only through its configuration keys.

const (
	smtpUser     = "keypad"
	smtpPassword = "m4il-passw0rd-for-tests"
)

// mailServer is the in-process SMTP server, with its CA certificate in
// a file for keypad's ca_file setting.
type mailServer struct {
	*smtptest.Server
	caFile string
}

func startMailServer(t *testing.T) *mailServer {
	t.Helper()
	ms := &mailServer{
		Server: smtptest.Start(t, smtptest.Options{Mode: smtptest.StartTLS, User: smtpUser, Password: smtpPassword}),
		caFile: filepath.Join(t.TempDir(), "ca.pem"),
	}
	writeFile(t, ms.caFile, string(ms.CAPEM))
	return ms
}

// mailText returns a message's decoded subject and text/plain part.
func mailText(t *testing.T, data []byte) (subject, text string) {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(string(data)))
	if err != nil {
		t.Fatalf("the mail is not RFC 5322: %v", err)
	}
	if subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		t.Fatal(err)
	}
	part := func(h interface{ Get(string) string }, body io.Reader) string {
		if strings.EqualFold(h.Get("Content-Transfer-Encoding"), "quoted-printable") {
			body = quotedprintable.NewReader(body)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(mt, "multipart/") {
		return subject, part(msg.Header, msg.Body)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			t.Fatal("the mail has no text/plain part")
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(p.Header.Get("Content-Type"), "text/plain") {
			return subject, part(p.Header, p)
		}
	}
}

// TestOTPFlowEndToEndSMTP runs the OTP flow with email delivered by a
// real SMTP server, configured only through keypad's settings: the host,
// port, CA file, user and sender as flags and the file, the password from
// the environment (KEYPAD_SMTP_PASSWORD), as an operator would.
func TestOTPFlowEndToEndSMTP(t *testing.T) {
	ms := startMailServer(t)
	e := sqliteBackend.env(t).with("KEYPAD_SMTP_PASSWORD", smtpPassword)
	file := filepath.Join(t.TempDir(), "keypad.yaml")
	writeFile(t, file, "smtp:\n  host: 127.0.0.1\n  ca_file: "+ms.caFile+"\n  username: "+smtpUser+
		"\n  from: \"Green Valley Power <no-reply@greenvalley.example>\"\n")
	e = e.with("KEYPAD_CONFIG", file)
	o := newOTPSetup(t, e, "--smtp-port", strconv.Itoa(ms.Port))
	if logs := o.s.logs.String(); !strings.Contains(logs, `"email":"smtp"`) || !strings.Contains(logs, `"sms":"none"`) {
		t.Errorf("the start-up log does not say which channels deliver:\n%s", logs)
	}

	session := o.lookupAndSend(t, "email", "@")
	m := ms.Next(t)
	if !m.TLS || len(m.To) != 1 || m.To[0] != heatherE || m.From != "no-reply@greenvalley.example" {
		t.Fatalf("the mail server got from %q to %v (TLS %v), want from no-reply@greenvalley.example to %s over STARTTLS", m.From, m.To, m.TLS, heatherE)
	}
	subject, text := mailText(t, m.Data)
	checkMessage(t, "email", text)
	code := regexp.MustCompile(`\b[0-9]{6}\b`).FindString(text)
	if code == "" {
		t.Fatalf("the email has no 6-digit code; it reads:\n%s", text)
	}
	if !strings.Contains(subject, kioskName) {
		t.Errorf("subject %q does not name the client", subject)
	}
	if strings.Contains(o.s.logs.String(), smtpPassword) {
		t.Error("the log contains the SMTP password")
	}

	o.redeem(t, session, code)
}
