// Package twiliotest runs an HTTP server speaking Twilio's Messages API
// inside a test process, so that keypad's SMS code is tested against
// Twilio's wire format rather than a stub of keypad's own sender: POST
// /2010-04-01/Accounts/{sid}/Messages.json with HTTP Basic (account SID,
// auth token) and a form, answered with 201 and a message resource or
// with Twilio's error document (code, message, more_info, status).
//
// It is the one fake keypad's tests allow: Twilio is a cloud service that
// cannot run in a test, so this server plays it. It checks each request
// as strictly as Twilio reads it and reports a request keypad should
// never make through t.Errorf; it keeps every message request for the
// test to read.
//
// It imports nothing of keypad, so the notify package's tests and every
// test that runs the OTP flow can use it.
package twiliotest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"testing"
)

// Options set up a server. AccountSID and AuthToken are the only
// credentials it accepts.
type Options struct {
	AccountSID, AuthToken string
	// Respond, when set, answers every request that passed the checks,
	// in place of the server's own 201 or the failure Fail set, to test
	// answers Twilio rarely gives (a proxy's HTML page, a redirect, no
	// answer at all).
	Respond func(w http.ResponseWriter, form url.Values)
}

// Request is one message request the server answered: the form as
// posted and the HTTP status of the answer.
type Request struct {
	Form   url.Values
	Status int
}

// Server is a running test server; URL is the base URL to configure
// keypad's Twilio sender with.
type Server struct {
	URL string

	t    testing.TB
	opts Options

	mu    sync.Mutex
	reqs  []Request
	sent  int                // messages accepted, for their SIDs
	fails map[string]failure // by destination; "" is every destination
}

type failure struct{ status, code int }

// Start listens on 127.0.0.1 on a free port and serves until the test
// ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s := &Server{t: t, opts: opts}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2010-04-01/Accounts/{sid}/Messages.json", s.messages)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("Twilio got %s %s, want POST /2010-04-01/Accounts/%s/Messages.json", r.Method, r.URL.Path, opts.AccountSID)
		writeError(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	s.URL = ts.URL
	return s
}

// Fail makes the server refuse messages as Twilio does, with an HTTP
// status and a Twilio error code (https://www.twilio.com/docs/errors; 0
// for none): messages to the numbers given, or to every number when none
// are. A status of 0 takes the failure back; Fail(0, 0) takes back all.
func (s *Server) Fail(status, code int, to ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if status == 0 && len(to) == 0 {
		s.fails = nil
		return
	}
	if s.fails == nil {
		s.fails = map[string]failure{}
	}
	if len(to) == 0 {
		to = []string{""}
	}
	for _, n := range to {
		if status == 0 {
			delete(s.fails, n)
		} else {
			s.fails[n] = failure{status, code}
		}
	}
}

// Requests returns the message requests that passed the checks, oldest
// first, whatever the answer.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reqs)
}

// Accepted returns the forms of the messages the server took (answered
// 2xx), oldest first.
func (s *Server) Accepted() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []url.Values
	for _, r := range s.reqs {
		if r.Status >= 200 && r.Status < 300 {
			out = append(out, r.Form)
		}
	}
	return out
}

// Last returns the form of the newest accepted message, failing the test
// when there is none.
func (s *Server) Last(t testing.TB) url.Values {
	t.Helper()
	acc := s.Accepted()
	if len(acc) == 0 {
		t.Fatal("Twilio accepted no text message")
	}
	return acc[len(acc)-1]
}

// messages serves the Messages resource.
func (s *Server) messages(w http.ResponseWriter, r *http.Request) {
	sid, token, ok := r.BasicAuth()
	if !ok || sid != s.opts.AccountSID || token != s.opts.AuthToken {
		writeError(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	if r.PathValue("sid") != sid {
		writeError(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
		return
	}
	t := s.t
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Errorf("Twilio got Content-Type %q, want application/x-www-form-urlencoded", ct)
	}
	if r.URL.RawQuery != "" {
		t.Errorf("Twilio got query string %q: it wants the fields in the body", r.URL.RawQuery)
	}
	if err := r.ParseForm(); err != nil {
		t.Errorf("Twilio got a form it cannot read: %v", err)
	}
	form := r.PostForm
	if form.Get("To") == "" || form.Get("Body") == "" || (form.Get("From") == "") == (form.Get("MessagingServiceSid") == "") {
		t.Errorf("Twilio got form %v, want To, Body, and From or MessagingServiceSid", form)
	}
	rec := &recorder{ResponseWriter: w, note: func(status int) {
		s.mu.Lock()
		s.reqs = append(s.reqs, Request{Form: form, Status: status})
		s.mu.Unlock()
	}}
	if s.opts.Respond != nil {
		s.opts.Respond(rec, form)
	} else {
		s.answer(rec, form)
	}
	rec.WriteHeader(http.StatusOK) // what net/http sends for a handler that wrote nothing
}

// answer refuses the message as Fail set, or accepts it with Twilio's
// message resource.
func (s *Server) answer(w http.ResponseWriter, form url.Values) {
	to := form.Get("To")
	s.mu.Lock()
	f, ok := s.fails[to]
	if !ok {
		f, ok = s.fails[""]
	}
	if ok {
		s.mu.Unlock()
		writeError(w, f.status, f.code, errorMessage(f.status, f.code, to))
		return
	}
	s.sent++
	n := s.sent
	s.mu.Unlock()
	// Twilio picks the sender of a messaging service later, so "from"
	// is null and the status "accepted" until it does.
	account := s.opts.AccountSID
	base := "/2010-04-01/Accounts/" + account + "/Messages/"
	sid := fmt.Sprintf("SM%032x", n)
	var from, service any
	status := "queued"
	if svc := form.Get("MessagingServiceSid"); svc != "" {
		service, status = svc, "accepted"
	} else {
		from = form.Get("From")
	}
	// Tests read no dates; a fixed one keeps the answer reproducible.
	const date = "Sun, 01 Mar 2026 12:00:00 +0000"
	writeJSON(w, http.StatusCreated, map[string]any{
		"account_sid": account, "api_version": "2010-04-01", "body": form.Get("Body"),
		"date_created": date, "date_sent": nil, "date_updated": date,
		"direction": "outbound-api", "error_code": nil, "error_message": nil,
		"from": from, "messaging_service_sid": service, "num_media": "0", "num_segments": "1",
		"price": nil, "price_unit": "USD", "sid": sid, "status": status, "to": to, "uri": base + sid + ".json",
		"subresource_uris": map[string]string{"media": base + sid + "/Media.json"},
	})
}

// errorMessage is Twilio's message for the error codes keypad's tests
// use.
func errorMessage(status, code int, to string) string {
	switch code {
	case 20429:
		return "Too Many Requests"
	case 20500:
		return "An internal server error has occurred"
	case 21211:
		return "The 'To' number " + to + " is not a valid phone number."
	}
	return http.StatusText(status)
}

// writeError writes Twilio's error document; a code of 0 is left out.
func writeError(w http.ResponseWriter, status, code int, message string) {
	doc := map[string]any{"message": message, "status": status}
	if code != 0 {
		doc["code"] = code
		doc["more_info"] = fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code)
	}
	writeJSON(w, status, doc)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// recorder notes the status of an answer before the client can see it,
// so that a test reading Requests after its send returns finds it.
type recorder struct {
	http.ResponseWriter
	note     func(status int)
	answered bool
}

func (r *recorder) WriteHeader(status int) {
	if r.answered {
		return
	}
	r.answered = true
	r.note(status)
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.ResponseWriter.Write(b)
}
