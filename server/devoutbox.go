package server

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/oauth"
)

// The dev outbox (`serve --dev` only): the OTP flow "delivers" into the
// store instead of texting or mailing, and these pages show what was
// sent, code included, so someone trying keypad needs no SMS or mail
// account. They are never registered outside dev mode: the messages hold
// live one-time codes in clear.

const (
	pathDevOutbox     = "/dev/outbox"
	pathDevOutboxJSON = "/dev/outbox.json"
	pathDevOutboxCSS  = "/dev/outbox.css"

	// DefaultOutboxLimit and MaxOutboxLimit bound how many messages one
	// answer lists (?limit=N).
	DefaultOutboxLimit = 50
	MaxOutboxLimit     = 500
)

// outboxCSP allows the page its own stylesheet and nothing else: no
// script, no framing, no forms.
const outboxCSP = "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

//go:embed devoutbox/outbox.html devoutbox/outbox.css
var devOutboxFS embed.FS

var (
	outboxPage = template.Must(template.ParseFS(devOutboxFS, "devoutbox/outbox.html"))
	outboxCSS  = mustRead(devOutboxFS, "devoutbox/outbox.css")
)

func mustRead(fs embed.FS, name string) []byte {
	b, err := fs.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return b
}

// OutboxMessage is one message of the dev outbox as /dev/outbox.json
// shows it. Code is the one-time code found in the text (empty when none
// is), so scripts and demos need not parse the wording.
type OutboxMessage struct {
	ID      int64     `json:"id"`
	Time    time.Time `json:"time"`
	Channel string    `json:"channel"`
	To      string    `json:"to"`
	Subject string    `json:"subject,omitempty"`
	Body    string    `json:"body"`
	Code    string    `json:"code,omitempty"`
	// Link is the CIBA approval link in the text (empty when none is),
	// so the person trying keypad can "open it on their phone".
	Link string `json:"link,omitempty"`
}

// outboxLinkPattern finds a CIBA approval link (oauth.PathCIBAApproval
// with its token) in a message.
var outboxLinkPattern = regexp.MustCompile(`https?://\S+` + regexp.QuoteMeta(oauth.PathCIBAApproval) + `\?t=[A-Za-z0-9_-]+`)

// OutboxCodePattern finds a one-time code of length digits in a message:
// a run of exactly that many digits.
func OutboxCodePattern(length int) *regexp.Regexp {
	return regexp.MustCompile(`\b[0-9]{` + strconv.Itoa(length) + `}\b`)
}

// NewOutboxMessage converts a stored message, finding its code with code.
func NewOutboxMessage(m *keypad.OutboxMessage, code *regexp.Regexp) OutboxMessage {
	return OutboxMessage{
		ID: m.ID, Time: m.Time.UTC(), Channel: m.Channel, To: m.To, Subject: m.Subject, Body: m.Body,
		Code: code.FindString(m.Body), Link: outboxLinkPattern.FindString(m.Body),
	}
}

// registerDevOutbox serves the dev outbox pages on mux.
func (s *Server) registerDevOutbox(mux *http.ServeMux) {
	mux.HandleFunc("GET "+pathDevOutbox, s.devOutboxPage)
	mux.HandleFunc("GET "+pathDevOutboxJSON, s.devOutboxJSON)
	mux.HandleFunc("GET "+pathDevOutboxCSS, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(outboxCSS)
	})
}

// outboxLimit reads ?limit=N.
func outboxLimit(r *http.Request) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return DefaultOutboxLimit, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > MaxOutboxLimit {
		return 0, fmt.Errorf("limit %q: use a number from 1 to %d", v, MaxOutboxLimit)
	}
	return n, nil
}

// outboxMessages reads the newest messages of the outbox, at most
// ?limit=N; it has answered the request when ok is false.
func (s *Server) outboxMessages(w http.ResponseWriter, r *http.Request) (_ []OutboxMessage, ok bool) {
	limit, err := outboxLimit(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": err.Error()})
		return nil, false
	}
	stored, err := s.store.ListOutboxMessages(r.Context(), limit)
	if err != nil {
		s.outboxError(w, r, err)
		return nil, false
	}
	code := OutboxCodePattern(s.cfg.OTP.CodeLength)
	out := make([]OutboxMessage, 0, len(stored))
	for _, m := range stored {
		out = append(out, NewOutboxMessage(m, code))
	}
	return out, true
}

func (s *Server) devOutboxJSON(w http.ResponseWriter, r *http.Request) {
	if msgs, ok := s.outboxMessages(w, r); ok {
		writeJSON(w, http.StatusOK, map[string]any{"messages": msgs})
	}
}

// outboxView is a message as the page shows it: the text split around
// the code, which is highlighted.
type outboxView struct {
	OutboxMessage
	Before, After string
	// When is the time for machines (RFC 3339), Ago for people.
	When, Ago string
}

func (s *Server) devOutboxPage(w http.ResponseWriter, r *http.Request) {
	msgs, ok := s.outboxMessages(w, r)
	if !ok {
		return
	}
	now := s.now()
	views := make([]outboxView, 0, len(msgs))
	for _, m := range msgs {
		v := outboxView{OutboxMessage: m, Before: m.Body, When: m.Time.Format(time.RFC3339), Ago: ago(now, m.Time)}
		if m.Code != "" {
			v.Before, v.After, _ = strings.Cut(m.Body, m.Code)
		}
		views = append(views, v)
	}
	base := ""
	if u, err := url.Parse(s.issuer); err == nil {
		base = strings.TrimSuffix(u.Path, "/")
	}
	var buf bytes.Buffer
	if err := outboxPage.Execute(&buf, map[string]any{"Base": base, "Messages": views}); err != nil {
		s.outboxError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", outboxCSP)
	h.Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}

// outboxError logs err and answers server_error, or for a store outage
// 503 temporarily_unavailable with Retry-After.
func (s *Server) outboxError(w http.ResponseWriter, r *http.Request, err error) {
	s.log.ErrorContext(r.Context(), "dev outbox", "err", err)
	if e, _ := oauth.AsError(err); e.Code == oauth.CodeTemporarilyUnavailable {
		w.Header().Set("Retry-After", strconv.Itoa(int(e.RetryAfter/time.Second)))
		writeJSON(w, e.HTTPStatus(), map[string]string{"error": e.Code, "error_description": e.Description})
		return
	}
	writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error"})
}

// ago says how long ago t was, for people glancing at the page.
func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < 5*time.Second:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%d s ago", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d/time.Minute))
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}
