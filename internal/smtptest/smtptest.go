// Package smtptest runs a real SMTP server (github.com/emersion/go-smtp)
// inside a test process, so that keypad's mail code is tested against the
// wire protocol rather than a fake: a certificate that is its own CA (for
// 127.0.0.1 and localhost), AUTH PLAIN required before MAIL, and every
// accepted message kept for the test to read.
//
// It imports nothing of keypad, so the notify package's tests and the
// command's end-to-end tests can both use it.
package smtptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Mode is how the server offers TLS, one per way keypad may be configured
// to reach a mail server.
type Mode int

const (
	// StartTLS offers STARTTLS and takes AUTH only after it.
	StartTLS Mode = iota
	// ImplicitTLS speaks TLS from the first byte (port 465 style).
	ImplicitTLS
	// NoTLS offers no STARTTLS and takes AUTH in the clear, as a local
	// relay might.
	NoTLS
)

// Options set up a server. User and Password are the only credentials
// AUTH PLAIN accepts.
type Options struct {
	Mode           Mode
	User, Password string
	// RcptErr rejects RCPT TO for the addresses it holds with their error,
	// to test refused and deferred recipients.
	RcptErr map[string]*smtp.SMTPError
}

// Message is one message the server accepted.
type Message struct {
	From string
	To   []string
	TLS  bool // the transaction ran over TLS
	Data []byte
}

// Server is a running test server. Port and Roots are what a client needs
// to reach it and trust its certificate; CAPEM is the same certificate for
// configuration that reads a CA file.
type Server struct {
	Port  int
	Roots *x509.CertPool
	CAPEM []byte

	opts     Options
	received chan Message
	mu       sync.Mutex
	authFail int
	accepted int
}

// Start listens on 127.0.0.1 on a free port and serves until the test
// ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	cert, leaf := selfSignedCert(t)
	s := &Server{
		Roots:    x509.NewCertPool(),
		CAPEM:    pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw}),
		opts:     opts,
		received: make(chan Message, maxUnread),
	}
	s.Roots.AddCert(leaf)
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{srv: s, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{cert}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Port = l.Addr().(*net.TCPAddr).Port
	switch opts.Mode {
	case StartTLS:
		srv.TLSConfig = tlsConfig
	case ImplicitTLS:
		l = tls.NewListener(l, tlsConfig)
	case NoTLS:
		srv.AllowInsecureAuth = true
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

// Next returns the message the server accepted, failing the test when
// there is none. A client's send returns only after the server answered
// DATA, so the message is already queued and Next need not wait.
func (s *Server) Next(t testing.TB) Message {
	t.Helper()
	select {
	case m := <-s.received:
		return m
	default:
		t.Fatal("the mail server received no message")
		return Message{}
	}
}

// Wait returns the next message the server accepts, waiting for it: for
// senders that deliver in the background (keypad's OTP send queue). It
// fails the test when none came within limit, a bound on a hang, never a
// pause standing in for synchronisation.
func (s *Server) Wait(t testing.TB, limit time.Duration) Message {
	t.Helper()
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case m := <-s.received:
		return m
	case <-timer.C:
		t.Fatalf("the mail server received no message within %s", limit)
		return Message{}
	}
}

// None fails the test if the server accepted a message.
func (s *Server) None(t testing.TB) {
	t.Helper()
	select {
	case m := <-s.received:
		t.Fatalf("the mail server received a message from %s", m.From)
	default:
	}
}

// AuthFailures counts the logins the server refused, to tell a wrong
// password from credentials never sent.
func (s *Server) AuthFailures() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authFail
}

// Count is how many messages the server accepted, read by Next or not.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted
}

// selfSignedCert makes a certificate for 127.0.0.1 and localhost that is
// its own CA.
func selfSignedCert(t testing.TB) (tls.Certificate, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "keypad test smtp"},
		// The TLS stack checks validity against the real clock.
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, leaf
}

// session is one client connection: it requires AUTH before MAIL and
// queues each message at the end of DATA.
type session struct {
	srv    *Server
	conn   *smtp.Conn
	authed bool
	msg    Message
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.srv.opts.User || pass != s.srv.opts.Password {
			s.srv.mu.Lock()
			s.srv.authFail++
			s.srv.mu.Unlock()
			return smtp.ErrAuthFailed
		}
		s.authed = true
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if !s.authed {
		return smtp.ErrAuthRequired
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.msg = Message{From: from, TLS: isTLS}
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if e := s.srv.opts.RcptErr[to]; e != nil {
		return e
	}
	s.msg.To = append(s.msg.To, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.msg.Data = b
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	select {
	case s.srv.received <- s.msg:
		s.srv.accepted++
		return nil
	default:
		// Refuse rather than stall the client: the test forgot to read.
		return &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 3, 1},
			Message: fmt.Sprintf("smtptest: %d messages are waiting to be read with Next", maxUnread)}
	}
}

// maxUnread is how many accepted messages wait for Next; past it the
// server refuses mail with a 452.
const maxUnread = 256

func (s *session) Reset()        { s.msg = Message{} }
func (s *session) Logout() error { return nil }
