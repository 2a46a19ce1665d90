package notify

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/mail"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// SMTP TLS modes.
const (
	SMTPStartTLS = "starttls" // upgrade a plain connection; required, never optional
	SMTPTLS      = "tls"      // implicit TLS from the first byte (port 465)
	SMTPNoTLS    = "none"     // plain text; only to a mail server on this machine
)

// SMTPConfig says how to reach the operator's mail server.
type SMTPConfig struct {
	Host string `yaml:"host"`
	// Port defaults to 587 for starttls, 465 for tls and 25 for none.
	Port     int    `yaml:"port"`
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// From is the sender, optionally with a name: "Keypad <no-reply@example.com>".
	From string `yaml:"from"`
	// TLS is "starttls" (the default), "tls" or "none". STARTTLS is
	// mandatory: keypad never falls back to plain text when the server
	// does not offer it, since the mail carries a code.
	TLS string `yaml:"tls"`
	// Timeout bounds one whole delivery; default 15s.
	Timeout time.Duration `yaml:"timeout"`
	// TLSConfig, when set, replaces the TLS settings, for a server with a
	// private CA (set RootCAs). ServerName defaults to Host.
	TLSConfig *tls.Config `yaml:"-"`
}

// Validate reports a configuration that cannot work or would be unsafe.
func (c SMTPConfig) Validate() error {
	if c.Host == "" {
		return errors.New("notify: smtp host is required")
	}
	if _, _, err := net.SplitHostPort(c.Host); err == nil {
		return fmt.Errorf("notify: smtp host %q has a port: put the port in the port setting", c.Host)
	}
	switch c.TLS {
	case "", SMTPStartTLS, SMTPTLS:
	case SMTPNoTLS:
		if !isLoopback(c.Host) {
			return fmt.Errorf("notify: smtp tls \"none\" is only allowed to localhost, not %q: use starttls or tls", c.Host)
		}
	default:
		return fmt.Errorf("notify: smtp tls %q: want starttls, tls or none", c.TLS)
	}
	if c.Port < 0 || c.Port > 65535 {
		return fmt.Errorf("notify: smtp port %d is out of range", c.Port)
	}
	if (c.Username == "") != (c.Password == "") {
		return errors.New("notify: smtp username and password go together: set both or neither")
	}
	if c.From == "" {
		return errors.New("notify: smtp from address is required")
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		return fmt.Errorf("notify: smtp from %q is not an email address: %v", c.From, err)
	}
	if c.Timeout < 0 {
		return errors.New("notify: smtp timeout must not be negative")
	}
	return nil
}

// String hides the password, so a config printed with %v leaks nothing.
func (c SMTPConfig) String() string {
	return fmt.Sprintf("smtp://%s@%s:%d (tls %s, from %s)", c.Username, c.Host, c.Port, c.TLS, c.From)
}

// LogValue hides the password from slog.
func (c SMTPConfig) LogValue() slog.Value { return slog.StringValue(c.String()) }

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// SMTPSender sends email through an SMTP server, one connection per
// message (OTP mail is rare and must not wait behind a pooled connection).
type SMTPSender struct {
	cfg  SMTPConfig
	from *mail.Address
	// Now stamps the Date header; Rand makes the Message-ID. Tests set
	// them; they default to time.Now and crypto/rand.
	Now  func() time.Time
	Rand io.Reader
}

// NewSMTPSender validates cfg and fills in its defaults.
func NewSMTPSender(cfg SMTPConfig) (*SMTPSender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.TLS == "" {
		cfg.TLS = SMTPStartTLS
	}
	if cfg.Port == 0 {
		cfg.Port = map[string]int{SMTPStartTLS: 587, SMTPTLS: 465, SMTPNoTLS: 25}[cfg.TLS]
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 15 * time.Second
	}
	from, _ := mail.ParseAddress(cfg.From)
	return &SMTPSender{cfg: cfg, from: from, Now: time.Now, Rand: rand.Reader}, nil
}

// Send delivers an email message.
func (s *SMTPSender) Send(ctx context.Context, m Message) error {
	if m.Channel != ChannelEmail {
		return fmt.Errorf("notify: smtp sender got a %q message: route it with a Router", m.Channel)
	}
	if err := m.validate(); err != nil {
		return err
	}
	msg, err := s.compose(m)
	if err != nil {
		return err
	}
	timeout := s.cfg.Timeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(dl))
	}
	if ctx.Err() != nil {
		return s.fail(m, false, ctxReason(ctx), "", "", ctx.Err())
	}
	if timeout <= 0 {
		return s.fail(m, false, "timed out before the mail server was reached", "", "", context.DeadlineExceeded)
	}
	client, err := gomail.NewClient(s.cfg.Host, s.options(timeout)...)
	if err != nil {
		return fmt.Errorf("notify: smtp client: %w", err)
	}
	conn, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return s.dialError(ctx, m, err)
	}
	defer func() { _ = client.CloseWithSMTPClient(conn) }()
	if err := client.SendWithSMTPClient(conn, msg); err != nil {
		return s.sendError(m, err)
	}
	return nil
}

func (s *SMTPSender) compose(m Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	msg.FromMailAddress(s.from)
	if err := msg.To(m.To); err != nil {
		return nil, &DeliveryError{Channel: ChannelEmail, Permanent: true, Reason: "the email address is not valid"}
	}
	msg.Subject(m.Subject)
	msg.SetDateWithValue(s.Now())
	id := make([]byte, 16)
	if _, err := io.ReadFull(s.Rand, id); err != nil {
		return nil, fmt.Errorf("notify: message id: %w", err)
	}
	domain := s.from.Address[strings.LastIndexByte(s.from.Address, '@')+1:]
	msg.SetMessageIDWithValue(hex.EncodeToString(id) + "@" + domain)
	// RFC 3834: no vacation replies to a code.
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

func (s *SMTPSender) options(timeout time.Duration) []gomail.Option {
	tc := &tls.Config{}
	if s.cfg.TLSConfig != nil {
		tc = s.cfg.TLSConfig.Clone()
	}
	if tc.ServerName == "" {
		tc.ServerName = strings.Trim(s.cfg.Host, "[]")
	}
	tc.MinVersion = max(tc.MinVersion, tls.VersionTLS12)
	opts := []gomail.Option{gomail.WithTimeout(timeout), gomail.WithTLSConfig(tc)}
	switch s.cfg.TLS {
	case SMTPTLS:
		opts = append(opts, gomail.WithSSL())
	case SMTPNoTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	opts = append(opts, gomail.WithPort(s.cfg.Port))
	if s.cfg.Username != "" {
		opts = append(opts, gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password))
		if s.cfg.TLS == SMTPNoTLS {
			// Without TLS, go-mail's discovery refuses PLAIN; it still
			// allows it to localhost, which is all "none" permits.
			opts = append(opts, gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthSCRAMSHA256,
				gomail.SMTPAuthSCRAMSHA1, gomail.SMTPAuthPlain, gomail.SMTPAuthLogin))
		} else {
			opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover))
		}
	}
	return opts
}

// dialError classifies a failure before the message went out: connecting,
// TLS or authentication. None of them is the destination's fault.
func (s *SMTPSender) dialError(ctx context.Context, m Message, err error) error {
	var tpErr *textproto.Error
	var netErr net.Error
	var certErr *tls.CertificateVerificationError
	var authorityErr x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	switch {
	case ctx.Err() != nil:
		return s.fail(m, false, ctxReason(ctx), "", "", ctx.Err())
	case errors.As(err, &tpErr) && (tpErr.Code == 530 || tpErr.Code == 534 || tpErr.Code == 535 || tpErr.Code == 454):
		return s.fail(m, false, "the mail server refused keypad's credentials", strconv.Itoa(tpErr.Code), tpErr.Msg, err)
	case errors.As(err, &tpErr):
		return s.fail(m, false, "the mail server refused the connection", strconv.Itoa(tpErr.Code), tpErr.Msg, err)
	case errors.As(err, &certErr), errors.As(err, &authorityErr), errors.As(err, &hostErr):
		return s.fail(m, false, "the mail server's TLS certificate is not trusted", "", err.Error(), err)
	case errors.As(err, &netErr) && netErr.Timeout():
		return s.fail(m, false, "the mail server did not answer in time", "", "", err)
	}
	return s.fail(m, false, "could not connect to the mail server", "", err.Error(), err)
}

// sendError classifies a failure after the connection was up: here the
// server judges the recipient and the message.
func (s *SMTPSender) sendError(m Message, err error) error {
	var se *gomail.SendError
	if !errors.As(err, &se) {
		return s.fail(m, false, "the mail server failed", "", err.Error(), err)
	}
	code := ""
	if se.ErrorCode() != 0 {
		code = strconv.Itoa(se.ErrorCode())
	}
	if esc := se.EnhancedStatusCode(); esc != "" {
		code = strings.TrimSpace(code + " " + esc)
	}
	permanent := se.ErrorCode() >= 500 && !se.IsTemp()
	reason := "the mail server did not accept the message"
	switch se.Reason {
	case gomail.ErrSMTPRcptTo:
		reason = "the mail server rejected the email address"
		if !permanent {
			reason = "the mail server deferred the email address; try again later"
		}
	case gomail.ErrSMTPMailFrom:
		// The sender is keypad's configuration, not the person's.
		permanent, reason = false, "the mail server rejected keypad's sender address"
	case gomail.ErrSMTPData, gomail.ErrSMTPDataClose, gomail.ErrWriteContent:
		if permanent {
			reason = "the mail server rejected the message"
		} else {
			reason = "the mail server deferred the message; try again later"
		}
	}
	return s.fail(m, permanent, reason, code, se.Error(), err)
}

func (s *SMTPSender) fail(m Message, permanent bool, reason, code, detail string, cause error) error {
	return &DeliveryError{
		Channel: ChannelEmail, Permanent: permanent, Reason: reason, Code: code,
		Detail: scrub(detail, s.cfg.Password, m.To),
		cause:  cause,
	}
}

// ctxReason says why a context ended, in DeliveryError.Reason's words.
func ctxReason(ctx context.Context) string {
	if errors.Is(ctx.Err(), context.Canceled) {
		return "sending was canceled"
	}
	return "timed out talking to the mail server"
}
