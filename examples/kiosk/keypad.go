package kiosk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// otpGrant is the OTP flow's grant type.
const otpGrant = "urn:keypad:params:oauth:grant-type:otp"

// errUnreachable means keypad or the energy API could not be reached at
// all, as opposed to answering with an error.
var errUnreachable = errors.New("unreachable")

// maxBody bounds what the kiosk reads from its peers.
const maxBody = 1 << 20

// channel is one way keypad can reach the person; the hint is all the
// kiosk ever sees of the destination.
type channel struct {
	ID   string `json:"id"`
	Type string `json:"type"` // "sms" or "email"
	Hint string `json:"hint"`
}

type lookupAnswer struct {
	OTPSession string    `json:"otp_session"`
	ExpiresIn  int       `json:"expires_in"`
	Channels   []channel `json:"channels"`
}

type sendAnswer struct {
	ExpiresIn   int `json:"expires_in"`
	ResendAfter int `json:"resend_after"`
	CodeLength  int `json:"code_length"`
}

type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

// oauthError is an error answer from keypad (RFC 6749 §5.2 shape, plus
// the OTP flow's own fields).
type oauthError struct {
	Status      int
	Code        string
	Description string
	RetryAfter  time.Duration // from a 429's Retry-After
	// AskFor is what else to ask for after ambiguous_identifier.
	AskFor string
	// AttemptsRemaining is how many wrong codes are left, -1 if not told.
	AttemptsRemaining int
}

func (e *oauthError) Error() string {
	return fmt.Sprintf("keypad answered %d %s: %s", e.Status, e.Code, e.Description)
}

// keypadClient calls keypad's OTP endpoints with client_secret_basic.
type keypadClient struct {
	issuer, id, secret string
	client             *http.Client
	now                func() time.Time
}

// lookup, send and backchannel pass the screen's language as ui_locales,
// so keypad writes to a person with no language of their own in it.
func (k *keypadClient) lookup(ctx context.Context, identifier, identifierType, scope, lang string) (*lookupAnswer, error) {
	form := url.Values{"identifier": {identifier}, "scope": {scope}, "ui_locales": {lang}}
	if identifierType != "" {
		form.Set("identifier_type", identifierType)
	}
	var a lookupAnswer
	if err := k.post(ctx, "/oauth2/otp/lookup", form, &a); err != nil {
		return nil, err
	}
	if a.OTPSession == "" || len(a.Channels) == 0 {
		return nil, &oauthError{Status: 200, Code: "server_error", Description: "lookup answer without otp_session or channels", AttemptsRemaining: -1}
	}
	return &a, nil
}

func (k *keypadClient) send(ctx context.Context, otpSession, channelID, lang string) (*sendAnswer, error) {
	var a sendAnswer
	err := k.post(ctx, "/oauth2/otp/send", url.Values{"otp_session": {otpSession}, "channel": {channelID}, "ui_locales": {lang}}, &a)
	if err != nil {
		return nil, err
	}
	return &a, nil
}

func (k *keypadClient) token(ctx context.Context, otpSession, otp string) (*tokenAnswer, error) {
	var a tokenAnswer
	form := url.Values{"grant_type": {otpGrant}, "otp_session": {otpSession}, "otp": {otp}}
	if err := k.post(ctx, "/oauth2/token", form, &a); err != nil {
		return nil, err
	}
	if a.AccessToken == "" {
		return nil, &oauthError{Status: 200, Code: "server_error", Description: "token answer without access_token", AttemptsRemaining: -1}
	}
	return &a, nil
}

// revoke tells keypad the kiosk is done with a token (RFC 7009). Best
// effort: the kiosk forgets the token whatever the answer.
func (k *keypadClient) revoke(ctx context.Context, tok string) error {
	return k.post(ctx, "/oauth2/revoke", url.Values{"token": {tok}, "token_type_hint": {"access_token"}}, nil)
}

func (k *keypadClient) post(ctx context.Context, path string, form url.Values, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, k.issuer+path, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("keypad %s: %w", path, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	// RFC 6749 §2.3.1: form-encode the credentials before Basic.
	req.SetBasicAuth(url.QueryEscape(k.id), url.QueryEscape(k.secret))
	resp, err := k.client.Do(req)
	if err != nil {
		return fmt.Errorf("keypad %s: %w: %v", path, errUnreachable, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("keypad %s: %w: %v", path, errUnreachable, err)
	}
	if resp.StatusCode/100 != 2 {
		return decodeError(resp, body, k.now())
	}
	if into == nil {
		return nil
	}
	if err := json.Unmarshal(body, into); err != nil {
		return &oauthError{Status: resp.StatusCode, Code: "server_error", Description: "answer is not JSON: " + err.Error(), AttemptsRemaining: -1}
	}
	return nil
}

// decodeError reads an error answer. What else to ask for after
// ambiguous_identifier is taken from an "ask_for" (or "identifier_types")
// field when keypad sends one, else from the words of error_description.
func decodeError(resp *http.Response, body []byte, now time.Time) *oauthError {
	e := &oauthError{Status: resp.StatusCode, Code: "server_error", AttemptsRemaining: -1}
	var raw map[string]any
	if json.Unmarshal(body, &raw) == nil {
		if s, ok := raw["error"].(string); ok && s != "" {
			e.Code = s
		}
		e.Description, _ = raw["error_description"].(string)
		if n, ok := raw["attempts_remaining"].(float64); ok && n >= 0 {
			e.AttemptsRemaining = int(n)
		}
		for _, f := range []string{"ask_for", "identifier_types"} {
			if e.AskFor == "" {
				e.AskFor = firstKnownType(raw[f])
			}
		}
	}
	if e.Code == "ambiguous_identifier" && e.AskFor == "" {
		e.AskFor = typeInWords(e.Description)
	}
	if s := resp.Header.Get("Retry-After"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n >= 0 {
			e.RetryAfter = time.Duration(n) * time.Second
		} else if t, err := http.ParseTime(s); err == nil {
			e.RetryAfter = max(t.Sub(now), 0)
		}
	}
	return e
}

// askable are the identifier types the kiosk can ask for, in the order
// it prefers them.
var askable = []string{"account", "phone", "email"}

// firstKnownType reads a string or a list of strings.
func firstKnownType(v any) string {
	var list []string
	switch v := v.(type) {
	case string:
		list = strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' })
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok {
				list = append(list, s)
			}
		}
	}
	for _, s := range list {
		for _, a := range askable {
			if strings.EqualFold(s, a) {
				return a
			}
		}
	}
	return ""
}

// typeInWords finds which identifier a description asks for ("ask for
// the account number"), defaulting to the account number: the one fact
// that tells two accounts at one address apart.
func typeInWords(description string) string {
	d := strings.ToLower(description)
	best, at := "account", len(d)+1
	for _, a := range askable {
		if i := strings.Index(d, a); i >= 0 && i < at {
			best, at = a, i
		}
	}
	return best
}
