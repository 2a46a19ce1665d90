package oauth

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/internal/jsonw"
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
	// DPoP is the request's verified DPoP proof (RFC 9449), nil without
	// one; Server.issue binds the tokens to its key.
	DPoP *DPoPProof
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
	b := t.appendStandard(make([]byte, 0, 1024))
	if len(t.Extra) == 0 {
		return b, nil
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
	s.setDPoPNonce(w.Header())
	resp, err := s.token(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	noStore(w.Header())
	// MarshalJSON directly: encoding/json would parse and compact its
	// output again, a measurable share of a token request.
	b, err := resp.MarshalJSON()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSONBytes(w, http.StatusOK, b)
}

// appendStandard appends the RFC 6749 §5.1 members as a JSON object, as
// encoding/json would write them from tagged fields (TestTokenResponseAppend).
func (t *TokenResponse) appendStandard(b []byte) []byte {
	typ := t.TokenType
	if typ == "" {
		typ = "Bearer"
	}
	b = append(b, '{')
	b = jsonw.StringMember(b, "access_token", t.AccessToken)
	b = jsonw.StringMember(b, "token_type", typ)
	if t.ExpiresIn != 0 {
		b = jsonw.IntMember(b, "expires_in", t.ExpiresIn)
	}
	for _, m := range [...]struct{ name, v string }{
		{"refresh_token", t.RefreshToken}, {"scope", t.Scope}, {"id_token", t.IDToken},
	} {
		if m.v != "" {
			b = jsonw.StringMember(b, m.name, m.v)
		}
	}
	return append(b, '}')
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
	checked, err := s.checkDPoPProof(r, "")
	if err != nil {
		return nil, err
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
	if checked == nil && client.Options.DPoPRequired() {
		return nil, dpopError("this client is registered to use DPoP: send a DPoP proof (RFC 9449) with every token request")
	}
	if e := tokenAudiences(client, gt, form); e != nil {
		return nil, e
	}
	// Only a request that passed every check above records its proof's
	// jti (the one store write DPoP adds).
	var proof *DPoPProof
	if checked != nil {
		if proof, err = s.useDPoPProof(r.Context(), checked); err != nil {
			return nil, err
		}
	}
	// The proof rides in the context to Server.issue, so every grant,
	// also one added later, binds what it issues.
	ctx := withDPoP(r.Context(), proof)
	return h.Grant(ctx, &TokenRequest{GrantType: gt, Client: client, AuthMethod: method, Form: form, HTTP: r, DPoP: proof})
}

// Issue describes the tokens a grant decided to issue. Server.issue is
// the one place tokens are minted, for every grant type.
type Issue struct {
	Client  *keypad.Client
	Subject string
	// Scopes and Audience are what was granted; the refresh token carries
	// them. Audience empty means the issuer's default.
	Scopes   []string
	Audience []string
	// AccessScopes and AccessAudience, when not nil, narrow the access
	// token (a refresh or a code exchange that asks for less).
	AccessScopes   []string
	AccessAudience []string
	// Grant is the person's grant the tokens hang off ("my devices");
	// nil for client credentials and jwt-bearer. Its creation anchors the
	// refresh lifetime (refreshTTL).
	Grant *keypad.Grant
	// Refresh asks for a refresh token too, in FamilyID's family (empty:
	// a new family).
	Refresh  bool
	FamilyID string
	// absoluteEnd, when set, ends the refresh lifetime instead of the
	// grant's creation: a refresh token of no grant keeps its own end.
	absoluteEnd time.Time
	// idToken, when set, asks for an OpenID Connect ID token bound to the
	// access token (authorization code with scope openid).
	idToken *idTokenFacts
}

// issue mints the tokens a grant decided on, and counts them: the access
// token, a refresh token if asked and the lifetime allows, an ID token if
// asked. Every grant type ends here, so every token is minted and counted
// once, by one rule: the token.Issuer caps the access token's lifetime
// for its format, and the refresh lifetime is refreshTTL's.
func (s *Server) issue(ctx context.Context, grantType string, is Issue) (*TokenResponse, error) {
	gid := ""
	if is.Grant != nil {
		gid = is.Grant.ID
	}
	scopes, aud := is.Scopes, is.Audience
	if is.AccessScopes != nil {
		scopes = is.AccessScopes
	}
	if is.AccessAudience != nil {
		aud = is.AccessAudience
	}
	if e := clientAudiences(is.Client, aud); e != nil {
		return nil, e
	}
	// A DPoP proof at the token endpoint binds the access token to its
	// key (RFC 9449 §5), and a public client's refresh token too (§5.0:
	// a confidential client's refresh token is bound to its client
	// authentication already).
	jkt, rjkt := "", ""
	if p := dpopOf(ctx); p != nil {
		jkt = p.JKT
		// FAPI 2.0 §5.3.2.1: refresh tokens sender-constrained, so a
		// FAPI client's are bound to the key too.
		if is.Client.Public || is.Client.Options.FAPI2() {
			rjkt = jkt
		}
	}
	at, ttl, err := s.tokens.IssueAccess(ctx, token.AccessRequest{
		Client: is.Client, Subject: is.Subject, Scopes: scopes,
		Audience: aud, GrantID: gid, JKT: jkt,
	})
	if err != nil {
		return nil, err
	}
	format := string(keypad.FormatJWT)
	if is.Client.TokenFormat == keypad.FormatOpaque {
		format = string(keypad.FormatOpaque)
	}
	s.metrics.Issued(grantType, format)
	resp := &TokenResponse{AccessToken: at, ExpiresIn: int64(ttl.Seconds()), Scope: keypad.FormatScope(scopes)}
	if jkt != "" {
		resp.TokenType = token.TypeDPoP
	}
	if is.Refresh {
		if rttl, ok := s.refreshTTL(is.Client, is.Grant, is.absoluteEnd); ok {
			resp.RefreshToken, err = s.tokens.IssueRefresh(ctx, token.RefreshRequest{
				Client: is.Client, Subject: is.Subject, Scopes: is.Scopes,
				Audience: is.Audience, GrantID: gid, FamilyID: is.FamilyID, TTL: rttl,
				JKT: rjkt,
			})
			if err != nil {
				return nil, err
			}
		}
	}
	if is.idToken != nil {
		f := *is.idToken
		f.accessToken = at
		if resp.IDToken, err = s.idToken(is.Client, f); err != nil {
			return nil, err
		}
	}
	return resp, nil
}

// refreshTTL is THE refresh lifetime rule, the same for every grant
// type: a grant's refresh tokens live until an absolute end counted from
// the grant's creation (the sign-in, or the approval on the device page),
// which rotation never extends: the client's RefreshTTL, else the
// server's default. Each token also lives at most token.MaxRefreshTTL
// from its issue, and at most the client's RefreshIdleTTL, so every
// rotation pushes the idle deadline but never the absolute one. A
// RefreshNoExpiry client's tokens never expire (the idle limit, if any,
// is checked at use). false means the lifetime is used up and no refresh
// token is issued.
func (s *Server) refreshTTL(c *keypad.Client, g *keypad.Grant, end time.Time) (time.Duration, bool) {
	if c.Options.RefreshNoExpiry {
		return 0, true
	}
	now := s.now()
	if end.IsZero() {
		life := c.RefreshTTL
		if life <= 0 {
			life = s.tokens.DefaultRefreshTTL
		}
		if life <= 0 {
			life = token.DefaultRefreshTTL
		}
		start := now
		if g != nil && !g.CreatedAt.IsZero() {
			start = g.CreatedAt
		}
		end = start.Add(life)
	}
	ttl := min(end.Sub(now), token.MaxRefreshTTL)
	if idle := c.Options.RefreshIdleTTL; idle > 0 && idle < ttl {
		ttl = idle
	}
	return ttl, ttl > 0
}
