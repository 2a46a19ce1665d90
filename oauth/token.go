package oauth

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/token"
)

// TokenRequest is a token request after the dispatcher has parsed the form
// and authenticated the client.
type TokenRequest struct {
	// GrantType is the grant_type parameter.
	GrantType string
	// Client is the authenticated client; it is allowed GrantType.
	Client *keypad.Client
	// AuthMethod is how the client authenticated (AuthSecretBasic,
	// AuthSecretPost or AuthNone).
	AuthMethod string
	// Form holds the body parameters, each present at most once.
	Form url.Values
	// HTTP is the request, for its context, remote address and headers.
	HTTP *http.Request
}

// TokenResponse is a successful token response (RFC 6749 §5.1).
type TokenResponse struct {
	AccessToken  string
	TokenType    string // "Bearer" when empty
	ExpiresIn    int64  // seconds
	RefreshToken string
	Scope        string
	IDToken      string
	// Extra holds further members a grant adds (e.g. issued_token_type);
	// it cannot override the ones above.
	Extra map[string]any
}

// MarshalJSON writes the RFC 6749 §5.1 member names.
func (t *TokenResponse) MarshalJSON() ([]byte, error) {
	std := struct {
		AccessToken  string `json:"access_token"`
		TokenType    string `json:"token_type"`
		ExpiresIn    int64  `json:"expires_in,omitempty"`
		RefreshToken string `json:"refresh_token,omitempty"`
		Scope        string `json:"scope,omitempty"`
		IDToken      string `json:"id_token,omitempty"`
	}{t.AccessToken, t.TokenType, t.ExpiresIn, t.RefreshToken, t.Scope, t.IDToken}
	if std.TokenType == "" {
		std.TokenType = "Bearer"
	}
	b, err := json.Marshal(std)
	if err != nil || len(t.Extra) == 0 {
		return b, err
	}
	// Merge the extra members under the standard ones, which win.
	m := make(map[string]any, len(t.Extra)+6)
	for k, v := range t.Extra {
		m[k] = v
	}
	var fixed map[string]json.RawMessage
	if err := json.Unmarshal(b, &fixed); err != nil {
		return nil, err
	}
	for k, v := range fixed {
		m[k] = v
	}
	return json.Marshal(m)
}

// GrantHandler serves one grant type at the token endpoint. It decides
// whether to issue and what; Server.issue mints the tokens. It returns an
// *Error (or a domain error the table in errors.go knows) to refuse.
type GrantHandler interface {
	Grant(ctx context.Context, req *TokenRequest) (*TokenResponse, error)
}

// GrantFunc adapts a function to GrantHandler.
type GrantFunc func(ctx context.Context, req *TokenRequest) (*TokenResponse, error)

// Grant calls f.
func (f GrantFunc) Grant(ctx context.Context, req *TokenRequest) (*TokenResponse, error) {
	return f(ctx, req)
}

// handleToken is the token endpoint (RFC 6749 §3.2): it parses the form,
// finds the grant's handler, authenticates the client (§3.2.1), checks the
// client may use the grant, and answers the handler's tokens (§5.1) or
// error (§5.2).
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	resp, err := s.token(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	noStore(w.Header())
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) (*TokenResponse, error) {
	form, err := parseForm(w, r)
	if err != nil {
		return nil, err
	}
	gt := form.Get("grant_type")
	if gt == "" {
		return nil, InvalidRequest("grant_type is missing")
	}
	h := s.grant(gt)
	if h == nil {
		return nil, UnsupportedGrantType("grant_type '%s' is not supported here; see grant_types_supported in the server metadata", gt)
	}
	authenticate := s.authenticateClient
	if gt == keypad.GrantJWTBearer && !hasClientAuth(r, form) {
		// RFC 7523 §3.1: the assertion's issuer names the client, and its
		// signature stands in for client authentication (assertion.go).
		authenticate = s.assertionClient
	}
	client, method, err := authenticate(r, form)
	if err != nil {
		return nil, err
	}
	if !client.AllowsGrant(gt) {
		return nil, UnauthorizedClient("this client is not registered for grant_type '%s'", gt)
	}
	return h.Grant(r.Context(), &TokenRequest{GrantType: gt, Client: client, AuthMethod: method, Form: form, HTTP: r})
}

// Issue describes the tokens a grant decided to issue.
type Issue struct {
	Client  *keypad.Client
	Subject string
	Scopes  []string
	// Audience is the aud of the access token; empty means the issuer's
	// default.
	Audience []string
	GrantID  string
	// Refresh asks for a refresh token too, in FamilyID's family (empty:
	// a new family).
	Refresh  bool
	FamilyID string
}

// issue mints the access token (and refresh token if asked) for a grant
// and counts it. Every grant ends here, so every token is counted once.
func (s *Server) issue(ctx context.Context, grantType string, is Issue) (*TokenResponse, error) {
	at, ttl, err := s.tokens.IssueAccess(ctx, token.AccessRequest{
		Client: is.Client, Subject: is.Subject, Scopes: is.Scopes,
		Audience: is.Audience, GrantID: is.GrantID,
	})
	if err != nil {
		return nil, err
	}
	format := string(keypad.FormatJWT)
	if is.Client.TokenFormat == keypad.FormatOpaque {
		format = string(keypad.FormatOpaque)
	}
	s.metrics.Issued(grantType, format)
	resp := &TokenResponse{AccessToken: at, ExpiresIn: int64(ttl.Seconds()), Scope: keypad.FormatScope(is.Scopes)}
	if is.Refresh {
		resp.RefreshToken, err = s.tokens.IssueRefresh(ctx, token.RefreshRequest{
			Client: is.Client, Subject: is.Subject, Scopes: is.Scopes,
			Audience: is.Audience, GrantID: is.GrantID, FamilyID: is.FamilyID,
		})
		if err != nil {
			return nil, err
		}
	}
	return resp, nil
}
