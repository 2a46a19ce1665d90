package admin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/manage"
)

// problemType is the base of the problem types (RFC 9457 §3.1.1); each
// kind is a fragment of it, documented in docs/admin-api.md.
const problemType = "urn:keypad:admin:problem:"

// Problem is an error answer, an RFC 9457 problem details object.
// Errors names the fields at fault when a request breaks a rule.
type Problem struct {
	Type   string         `json:"type"`
	Title  string         `json:"title"`
	Status int            `json:"status"`
	Detail string         `json:"detail,omitempty"`
	Errors []FieldProblem `json:"errors,omitempty"`
}

// FieldProblem is one field at fault: its JSON name and what is wrong.
type FieldProblem struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

func (p *Problem) Error() string { return p.Title + ": " + p.Detail }

// problem makes a Problem of a kind; the title is the kind's.
func problem(status int, kind, detail string) *Problem {
	return &Problem{Type: problemType + kind, Title: titles[kind], Status: status, Detail: detail}
}

// titles are the problem kinds' short summaries (RFC 9457 §3.1.3: the
// same for every occurrence of the kind).
var titles = map[string]string{
	"malformed":              "The request cannot be read",
	"validation":             "The request breaks a rule",
	"not-found":              "No such resource",
	"conflict":               "The resource conflicts with another",
	"precondition-failed":    "The resource changed since it was read",
	"idempotency-mismatch":   "The idempotency key was used for another request",
	"idempotency-in-flight":  "A request with this idempotency key is still being served",
	"unsupported-media-type": "The request body is not JSON",
	"too-large":              "The request body is too large",
	"unavailable":            "The store cannot serve right now",
	"server-error":           "Something went wrong on the server",
}

// invalid is a validation problem about one field.
func invalid(field, detail string) *Problem {
	p := problem(http.StatusBadRequest, "validation", field+": "+detail)
	p.Errors = []FieldProblem{{Field: field, Detail: detail}}
	return p
}

// fail answers err as a problem: the errors a request can cause are
// mapped, anything else is logged and answered 500.
func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	writeProblem(w, a.problemOf(r.Context(), err))
}

func (a *API) problemOf(ctx context.Context, err error) *Problem {
	var p *Problem
	var fe *manage.FieldError
	var ve *keypad.ValidationError
	switch {
	case errors.As(err, &p):
		return p
	case errors.As(err, &fe):
		return invalid(fe.Field, fe.Error())
	case errors.As(err, &ve):
		return invalid(ve.Field, ve.Error())
	case errors.Is(err, keypad.ErrStale):
		return problem(http.StatusPreconditionFailed, "precondition-failed", "the resource changed since it was read: GET it again, and send its new ETag in If-Match")
	case errors.Is(err, keypad.ErrUnavailable):
		return problem(http.StatusServiceUnavailable, "unavailable", "the database cannot serve right now; try again shortly")
	}
	a.log.ErrorContext(ctx, "admin API: unexpected error", "err", err)
	return problem(http.StatusInternalServerError, "server-error", "the error was logged; try again, and tell the operator if it persists")
}

func writeProblem(w http.ResponseWriter, p *Problem) {
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	if p.Status == http.StatusServiceUnavailable {
		h.Set("Retry-After", "5")
	}
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}
