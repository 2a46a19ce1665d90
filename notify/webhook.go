package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// WebhookConfig says where to post messages: the operator's own delivery
// service (an SMS gateway, a CRM, a chat bridge) receives them signed.
type WebhookConfig struct {
	// URL must be https, or http to this machine.
	URL string `yaml:"url"`
	// Secret keys the HMAC signature; at least 32 characters.
	Secret string `yaml:"secret"`
	// Timeout bounds one request; default 10s.
	Timeout time.Duration `yaml:"timeout"`
}

// Validate reports a configuration that cannot work or would be unsafe.
func (c WebhookConfig) Validate() error {
	u, err := url.Parse(c.URL)
	if err != nil || u.Host == "" {
		return fmt.Errorf("notify: webhook url %q is not a URL", c.URL)
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname())) {
		return fmt.Errorf("notify: webhook url %q must use https (http only to localhost)", c.URL)
	}
	if len(c.Secret) < 32 {
		return errors.New("notify: webhook secret must be at least 32 characters: generate one with `openssl rand -hex 32`")
	}
	if c.Timeout < 0 {
		return errors.New("notify: webhook timeout must not be negative")
	}
	return nil
}

// String hides the secret.
func (c WebhookConfig) String() string { return "webhook " + c.URL }

// LogValue hides the secret from slog.
func (c WebhookConfig) LogValue() slog.Value { return slog.StringValue(c.String()) }

// WebhookPayload is the JSON document a webhook receives. ID is unique per
// message: receivers remember IDs for the signature tolerance to refuse
// a replay of a fresh request.
type WebhookPayload struct {
	Channel   string `json:"channel"`
	To        string `json:"to"`
	Subject   string `json:"subject"`
	Text      string `json:"text"`
	HTML      string `json:"html"`
	ID        string `json:"id"`
	Timestamp int64  `json:"timestamp"` // Unix seconds, equal to the signature's t
}

// WebhookSender posts each message as a signed WebhookPayload. A 2xx
// answer means delivered; anything else is a DeliveryError.
type WebhookSender struct {
	cfg WebhookConfig
	// Client makes the requests; the default has the configured timeout
	// and follows no redirects. Now and Rand stamp and name messages.
	Client *http.Client
	Now    func() time.Time
	Rand   io.Reader
}

// NewWebhookSender validates cfg and fills in its defaults.
func NewWebhookSender(cfg WebhookConfig) (*WebhookSender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	return &WebhookSender{cfg: cfg, Client: newHTTPClient(cfg.Timeout), Now: time.Now, Rand: rand.Reader}, nil
}

// Send posts m to the webhook.
func (s *WebhookSender) Send(ctx context.Context, m Message) error {
	if err := m.validate(); err != nil {
		return err
	}
	id := make([]byte, 16)
	if _, err := io.ReadFull(s.Rand, id); err != nil {
		return fmt.Errorf("notify: webhook message id: %w", err)
	}
	now := s.Now()
	body, err := json.Marshal(WebhookPayload{
		Channel: m.Channel, To: m.To, Subject: m.Subject, Text: m.Text, HTML: m.HTML,
		ID: hex.EncodeToString(id), Timestamp: now.Unix(),
	})
	if err != nil {
		return fmt.Errorf("notify: webhook payload: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("notify: webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, Sign(s.cfg.Secret, now, body))
	resp, err := s.Client.Do(req)
	if err != nil {
		var netErr net.Error
		reason := "could not reach the webhook"
		switch {
		case errors.Is(ctx.Err(), context.Canceled):
			reason = "sending was canceled"
		case ctx.Err() != nil || (errors.As(err, &netErr) && netErr.Timeout()):
			reason = "the webhook did not answer in time"
		}
		return &DeliveryError{Channel: m.Channel, Reason: reason, cause: err}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	code := resp.StatusCode
	e := &DeliveryError{Channel: m.Channel, Code: strconv.Itoa(code)}
	switch {
	case code >= 200 && code < 300:
		return nil
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		e.Reason = "the webhook failed"
	case code >= 300 && code < 400:
		e.Reason = "the webhook redirected the request: configure its final URL"
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		e.Reason = "the webhook refused keypad's signature: check the shared secret"
	default:
		e.Permanent, e.Reason = true, "the webhook rejected the message"
	}
	return e
}
