package oauth

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/keypadauth/keypad"
)

// Error codes on the wire: RFC 6749 §5.2 (token endpoint), §4.1.2.1
// (authorization endpoint), RFC 8628 §3.5 (device flow), RFC 7009 §2.2.1,
// and keypad's own for the OTP flow (DESIGN.md).
const (
	CodeInvalidRequest          = "invalid_request"
	CodeInvalidClient           = "invalid_client"
	CodeInvalidGrant            = "invalid_grant"
	CodeUnauthorizedClient      = "unauthorized_client"
	CodeUnsupportedGrantType    = "unsupported_grant_type"
	CodeInvalidScope            = "invalid_scope"
	CodeAccessDenied            = "access_denied"
	CodeUnsupportedResponseType = "unsupported_response_type"
	CodeServerError             = "server_error"
	CodeTemporarilyUnavailable  = "temporarily_unavailable"
	CodeAuthorizationPending    = "authorization_pending"
	CodeSlowDown                = "slow_down"
	CodeExpiredToken            = "expired_token"
	CodeUnsupportedTokenType    = "unsupported_token_type"
	CodeAmbiguousIdentifier     = "ambiguous_identifier"
	CodeUnknownIdentifier       = "unknown_identifier"
	// CodeTooManyRequests answers a request that came too early (an OTP
	// resend before resend_after); it goes with 429 and Retry-After.
	CodeTooManyRequests = "too_many_requests"
)

// statusOf is the HTTP status each code is answered with. RFC 6749 §5.2
// uses 400 for everything but invalid_client.
var statusOf = map[string]int{
	CodeInvalidClient:          http.StatusUnauthorized,
	CodeServerError:            http.StatusInternalServerError,
	CodeTemporarilyUnavailable: http.StatusServiceUnavailable,
	CodeTooManyRequests:        http.StatusTooManyRequests,
}

// Error is an OAuth error as it goes on the wire. Handlers return it (or a
// domain error, which the table in AsError translates); the renderers turn
// it into a JSON body, and later into a redirect or an HTML page, so every
// error is spelled the same way whichever way it leaves.
type Error struct {
	// Code is the error code (RFC 6749 §5.2 and friends).
	Code string
	// Description is the error_description: plain words for the developer
	// saying what went wrong and what to do. Never internals, never
	// secrets.
	Description string
	// URI is the optional error_uri.
	URI string
	// Status is the HTTP status; 0 means the code's default.
	Status int
	// RetryAfter, when positive, is sent as Retry-After (429, slow_down).
	RetryAfter time.Duration
	// Err is the cause, logged with server errors and never sent.
	Err error
	// Extra holds further members of the JSON body that a flow defines
	// (the OTP flow's identifier_types and attempts_remaining). They
	// cannot replace error, error_description or error_uri.
	Extra map[string]any
}

func (e *Error) Error() string {
	if e.Description == "" {
		return e.Code
	}
	return e.Code + ": " + e.Description
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// HTTPStatus returns the status the error is answered with.
func (e *Error) HTTPStatus() int {
	if e.Status != 0 {
		return e.Status
	}
	if s, ok := statusOf[e.Code]; ok {
		return s
	}
	return http.StatusBadRequest
}

// NewError returns an Error with code and a description made like
// fmt.Sprintf.
func NewError(code, format string, args ...any) *Error {
	return &Error{Code: code, Description: fmt.Sprintf(format, args...)}
}

// InvalidRequest: a parameter is missing, repeated, malformed or not
// allowed (RFC 6749 §5.2).
func InvalidRequest(format string, args ...any) *Error {
	return NewError(CodeInvalidRequest, format, args...)
}

// InvalidClient: client authentication failed. Keep the description the
// same for unknown clients and wrong secrets.
func InvalidClient(format string, args ...any) *Error {
	return NewError(CodeInvalidClient, format, args...)
}

// InvalidGrant: the code, refresh token, credentials or assertion is
// invalid, expired, revoked or belongs to another client.
func InvalidGrant(format string, args ...any) *Error {
	return NewError(CodeInvalidGrant, format, args...)
}

// UnauthorizedClient: the client may not use this grant type.
func UnauthorizedClient(format string, args ...any) *Error {
	return NewError(CodeUnauthorizedClient, format, args...)
}

// UnsupportedGrantType: the server does not know the grant type.
func UnsupportedGrantType(format string, args ...any) *Error {
	return NewError(CodeUnsupportedGrantType, format, args...)
}

// InvalidScope: the requested scope is unknown, malformed or more than the
// client may have.
func InvalidScope(format string, args ...any) *Error {
	return NewError(CodeInvalidScope, format, args...)
}

// AccessDenied: the person or the server said no.
func AccessDenied(format string, args ...any) *Error {
	return NewError(CodeAccessDenied, format, args...)
}

// serverError is what every unexpected error becomes on the wire: it says
// nothing about the cause.
var serverError = &Error{Code: CodeServerError, Description: "the server failed to handle the request; try again later"}

// StoreRetryAfter is the Retry-After of an answer to a store outage: long
// enough not to hammer a recovering database, short enough for a person
// at a kiosk to try again.
const StoreRetryAfter = 5 * time.Second

// storeUnavailable is what a store outage becomes on the wire.
var storeUnavailable = &Error{
	Code:        CodeTemporarilyUnavailable,
	Description: "the server cannot reach its database right now; try again shortly",
	RetryAfter:  StoreRetryAfter,
}

// AsError is THE table from errors to wire errors. An *Error (anywhere in
// the chain) is itself; the domain's sentinel errors of a used-up thing
// (expired, consumed, revoked), when a handler lets one through, mean the
// presented grant is unusable; a ValidationError is an invalid_request
// naming the field. Anything else is internal: internal=true tells the
// renderer to log it, and the wire error is a bare server_error.
//
// keypad.ErrNotFound is internal too. A flow that expects a record to be
// missing (an unknown code, token, session or client) checks for it where
// it reads, and answers its own *Error (errDeviceCodeInvalid,
// errRefreshInvalid, ...), or a sentinel its caller maps. A not-found
// that gets this far was not expected by anyone: it is a bug, and a 400
// "not valid" would hide it from the log.
//
// A store that cannot serve (keypad.ErrUnavailable: the database is down,
// read-only, full or busy) is temporarily_unavailable (RFC 6749 §4.1.2.1)
// with 503 and Retry-After, unless a handler chose a more specific answer;
// internal is true for it too, so the outage reaches the log.
func AsError(err error) (e *Error, internal bool) {
	if errors.As(err, &e) && e.Code != CodeServerError {
		return e, false
	}
	if errors.Is(err, keypad.ErrUnavailable) {
		return storeUnavailable, true
	}
	if e != nil {
		return e, true
	}
	var ve *keypad.ValidationError
	switch {
	case errors.As(err, &ve):
		return InvalidRequest("%s", ve.Error()), false
	case errors.Is(err, keypad.ErrExpired):
		return InvalidGrant("the grant has expired; start again"), false
	case errors.Is(err, keypad.ErrConsumed):
		return InvalidGrant("the grant was already used; start again"), false
	case errors.Is(err, keypad.ErrRevoked):
		return InvalidGrant("the grant was revoked"), false
	}
	return serverError, true
}

// errorBody is the JSON error response of RFC 6749 §5.2.
type errorBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description,omitempty"`
	ErrorURI         string `json:"error_uri,omitempty"`
}

// writeError answers err as JSON (RFC 6749 §5.2). Internal errors are
// logged with the request's context and answered server_error.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := s.wireError(r, err)
	h := w.Header()
	noStore(h)
	if e.Code == CodeInvalidClient {
		// RFC 6749 §5.2: a 401 names the scheme the client should use.
		h.Set("WWW-Authenticate", `Basic realm="keypad"`)
	}
	if e.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	body := errorBody{Error: e.Code, ErrorDescription: wireText(e.Description), ErrorURI: e.URI}
	if len(e.Extra) == 0 {
		writeJSON(w, e.HTTPStatus(), body)
		return
	}
	m := make(map[string]any, len(e.Extra)+3)
	for k, v := range e.Extra {
		m[k] = v
	}
	m["error"] = body.Error
	delete(m, "error_description")
	delete(m, "error_uri")
	if body.ErrorDescription != "" {
		m["error_description"] = body.ErrorDescription
	}
	if body.ErrorURI != "" {
		m["error_uri"] = body.ErrorURI
	}
	writeJSON(w, e.HTTPStatus(), m)
}

// wireText makes a description fit RFC 6749 §5.2, which allows only
// printable ASCII without double quote and backslash (descriptions may
// quote input).
func wireText(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case c == '"':
			b[i] = '\''
		case c == '\\':
			b[i] = '/'
		case c < 0x20 || c > 0x7e:
			b[i] = '?'
		}
	}
	return string(b)
}

// wireError translates err through AsError and logs internal ones; every
// renderer (JSON now; redirect and HTML page later) starts here.
func (s *Server) wireError(r *http.Request, err error) *Error {
	e, internal := AsError(err)
	switch {
	case internal && errors.Is(err, keypad.ErrNotFound):
		// The server's log handler adds the request ID from the context.
		s.log.ErrorContext(r.Context(), "oauth: unexpected not-found (a bug: the flow must map the not-founds it expects)",
			"method", r.Method, "path", r.URL.Path, "err", err)
	case internal:
		s.log.ErrorContext(r.Context(), "oauth: request failed",
			"method", r.Method, "path", r.URL.Path, "err", err)
	}
	return e
}

// noStore forbids caching of responses carrying tokens or errors (RFC 6749
// §5.1).
func noStore(h http.Header) {
	// Shared value slices, as for Content-Type in writeJSON.
	h["Cache-Control"] = noStoreValue
	h["Pragma"] = noCacheValue
}

var noStoreValue, noCacheValue = []string{"no-store"}, []string{"no-cache"}
