package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
)

func TestAsError(t *testing.T) {
	tests := []struct {
		name         string
		err          error
		code         string
		status       int
		wantInternal bool
	}{
		{"OKOAuthError", InvalidScope("nope"), CodeInvalidScope, 400, false},
		{"OKWrappedOAuthError", fmt.Errorf("device: %w", NewError(CodeSlowDown, "poll slower")), CodeSlowDown, 400, false},
		{"OKInvalidClient", InvalidClient("x"), CodeInvalidClient, 401, false},
		{"OKTooEarly", &Error{Code: CodeTooManyRequests, RetryAfter: time.Second}, CodeTooManyRequests, 429, false},
		{"OKExpired", fmt.Errorf("consume code: %w", keypad.ErrExpired), CodeInvalidGrant, 400, false},
		{"OKConsumed", keypad.ErrConsumed, CodeInvalidGrant, 400, false},
		{"OKRevoked", keypad.ErrRevoked, CodeInvalidGrant, 400, false},
		{"ErrUnexpectedNotFound", fmt.Errorf("device authorization: grant g1: %w", keypad.ErrNotFound), CodeServerError, 500, true},
		{"OKValidation", &keypad.ValidationError{Field: "scope", Message: "too long"}, CodeInvalidRequest, 400, false},
		{"ErrInternal", errors.New("disk on fire"), CodeServerError, 500, true},
		{"ErrConflictIsInternal", keypad.ErrConflict, CodeServerError, 500, true},
		{"ErrExplicitServerError", &Error{Code: CodeServerError, Err: errors.New("cause")}, CodeServerError, 500, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, internal := AsError(tt.err)
			if e.Code != tt.code || e.HTTPStatus() != tt.status || internal != tt.wantInternal {
				t.Errorf("AsError(%v) = %s %d internal=%v, want %s %d internal=%v",
					tt.err, e.Code, e.HTTPStatus(), internal, tt.code, tt.status, tt.wantInternal)
			}
			if internal && strings.Contains(e.Description, "fire") {
				t.Errorf("internal error leaks into the description: %q", e.Description)
			}
		})
	}
}

func TestWireText(t *testing.T) {
	got := wireText("say \"hi\" \\ ü\n")
	if want := "say 'hi' / ???"; got != want {
		t.Errorf("wireText = %q, want %q", got, want)
	}
}

// TestStoreOutageIsLoggedNotLeaked closes the store, as a database
// outage would: the answer is 503 temporarily_unavailable with
// Retry-After (RFC 6749 §4.1.2.1), not a server_error, and the cause goes
// to the log only.
func TestStoreOutageIsLoggedNotLeaked(t *testing.T) {
	e := newEnv(t).start()
	secret := e.mustClient(service("svc", keypad.FormatJWT))
	e.st.Close() // every store call fails from here on
	r := e.post(PathToken, url.Values{"grant_type": {keypad.GrantClientCredentials}}, basic("svc", secret))
	wantError(t, r, http.StatusServiceUnavailable, CodeTemporarilyUnavailable)
	if got := r.header.Get("Retry-After"); got != "5" {
		t.Errorf("Retry-After = %q, want 5", got)
	}
	if strings.Contains(r.raw, "sql") || strings.Contains(r.raw, "closed") {
		t.Errorf("response leaks internals: %s", r.raw)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "closed") || !strings.Contains(logs, PathToken) {
		t.Errorf("log = %q, want the cause and the path", logs)
	}
	if strings.Contains(logs, secret) {
		t.Error("the log contains the client secret")
	}
}

func TestRetryAfter(t *testing.T) {
	e := newEnv(t)
	e.srv.registerGrant("urn:test:slow", GrantFunc(func(context.Context, *TokenRequest) (*TokenResponse, error) {
		return nil, &Error{Code: CodeTooManyRequests, Description: "too early", RetryAfter: 1500 * time.Millisecond}
	}))
	e.start()
	e.mustClient(&keypad.Client{ID: "tv", Public: true, GrantTypes: []string{"urn:test:slow"}})
	r := e.post(PathToken, url.Values{"grant_type": {"urn:test:slow"}, "client_id": {"tv"}}, nil)
	wantError(t, r, http.StatusTooManyRequests, CodeTooManyRequests)
	if got := r.header.Get("Retry-After"); got != "2" {
		t.Errorf("Retry-After = %q, want 2 (rounded up)", got)
	}
}

func TestTokenResponseJSON(t *testing.T) {
	tests := []struct {
		name string
		resp TokenResponse
		want string
	}{
		{"OKMinimal", TokenResponse{AccessToken: "a"}, `{"access_token":"a","token_type":"Bearer"}`},
		{"OKFull", TokenResponse{AccessToken: "a", ExpiresIn: 60, RefreshToken: "r", Scope: "s", IDToken: "i"},
			`{"access_token":"a","token_type":"Bearer","expires_in":60,"refresh_token":"r","scope":"s","id_token":"i"}`},
		{"OKExtraCannotOverride", TokenResponse{AccessToken: "a", Extra: map[string]any{"access_token": "evil", "issued_token_type": "x"}},
			`{"access_token":"a","issued_token_type":"x","token_type":"Bearer"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(&tt.resp)
			if err != nil || string(got) != tt.want {
				t.Errorf("got %s, %v; want %s", got, err, tt.want)
			}
		})
	}
}

// TestTokenResponseAppend holds the token endpoint's direct writer
// (appendStandard) to what encoding/json writes from the RFC 6749 §5.1
// tagged fields, byte for byte, with strings encoding/json escapes.
func TestTokenResponseAppend(t *testing.T) {
	type tagged struct {
		AccessToken  string `json:"access_token"`
		TokenType    string `json:"token_type"`
		ExpiresIn    int64  `json:"expires_in,omitempty"`
		RefreshToken string `json:"refresh_token,omitempty"`
		Scope        string `json:"scope,omitempty"`
		IDToken      string `json:"id_token,omitempty"`
	}
	tricky := []string{"", "kp_at_x", "a.b.c", "s1 s2", `q"`, `b\`, "<&>", "\t\n\x00\x7f", "é", "\u2028", "\xff"}
	for i, s := range tricky {
		for _, r := range []TokenResponse{
			{AccessToken: s},
			{AccessToken: "a", TokenType: s, ExpiresIn: int64(i) - 1, RefreshToken: s, Scope: s, IDToken: s},
			{AccessToken: s, TokenType: "DPoP", ExpiresIn: 1 << 40, Scope: s + " " + s},
		} {
			typ := r.TokenType
			if typ == "" {
				typ = "Bearer"
			}
			want, err := json.Marshal(tagged{r.AccessToken, typ, r.ExpiresIn, r.RefreshToken, r.Scope, r.IDToken})
			if err != nil {
				t.Fatal(err)
			}
			if got := r.appendStandard(nil); string(got) != string(want) {
				t.Errorf("appendStandard(%+v)\n got %s\nwant %s", r, got, want)
			}
		}
	}
}

// reqIDKey and reqIDHandler stand in for the server's request IDs
// (server/middleware.go): a middleware puts the ID in the context and the
// log handler adds it to every record logged with that context.
type reqIDKey struct{}

type reqIDHandler struct{ slog.Handler }

func (h reqIDHandler) Handle(ctx context.Context, rec slog.Record) error {
	if id, _ := ctx.Value(reqIDKey{}).(string); id != "" {
		rec.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, rec)
}

// TestUnexpectedNotFoundIsABug: a grant whose store read comes back
// not-found where the flow did not expect it (the flow forgot to map it)
// is answered 500 server_error, not a 400 that blames the client, and is
// logged with the request ID, the path and the cause.
func TestUnexpectedNotFoundIsABug(t *testing.T) {
	e := newEnv(t)
	e.srv.log = slog.New(reqIDHandler{slog.NewTextHandler(e.logs, nil)})
	e.srv.registerGrant("urn:test:leaky", GrantFunc(func(ctx context.Context, req *TokenRequest) (*TokenResponse, error) {
		_, err := e.st.GetGrant(ctx, "gr_missing")
		return nil, fmt.Errorf("leaky grant: load grant gr_missing: %w", err)
	}))
	mux := http.NewServeMux()
	e.srv.Register(mux)
	e.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), reqIDKey{}, "req-4711")))
	}))
	t.Cleanup(e.ts.Close)
	e.mustClient(&keypad.Client{ID: "tv", Public: true, GrantTypes: []string{"urn:test:leaky"}})

	r := e.post(PathToken, url.Values{"grant_type": {"urn:test:leaky"}, "client_id": {"tv"}}, nil)
	wantError(t, r, http.StatusInternalServerError, CodeServerError)
	if strings.Contains(r.raw, "not found") || strings.Contains(r.raw, "gr_missing") {
		t.Errorf("response leaks the cause: %s", r.raw)
	}
	logs := e.logs.String()
	for _, want := range []string{"unexpected not-found", "request_id=req-4711", PathToken, "gr_missing", "level=ERROR"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log = %q, want it to contain %q", logs, want)
		}
	}
}
