package oauth

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// The scopes that authorise keypad's own management interfaces (the admin
// API, SCIM, initial access tokens for registration): ScopeAdmin allows
// everything; each of the others one area. An operator gives them to a
// client like any scope (`keypad scope create keypad:clients`, `keypad
// client create --scopes keypad:clients --grant-types client_credentials`).
const (
	ScopeAdmin   = "keypad:admin"
	ScopeClients = "keypad:clients"
	ScopeUsers   = "keypad:users"
	ScopeGrants  = "keypad:grants"
	ScopeKeys    = "keypad:keys"
	ScopeAudit   = "keypad:audit"
)

// AdminScopes lists every management scope, ScopeAdmin first.
var AdminScopes = []string{ScopeAdmin, ScopeClients, ScopeUsers, ScopeGrants, ScopeKeys, ScopeAudit}

// AdminCaller is who a management request acts as: the client its access
// token was issued to, the person it acts for ("" for a client's own
// token) and the token's scopes.
type AdminCaller struct {
	ClientID string
	Subject  string
	Scopes   []string
	// JKT is the thumbprint of the DPoP key the token is bound to, "" for
	// a bearer token.
	JKT string
}

// AuthorizeAdmin checks a management request's access token: sent as
// `Authorization: Bearer` (or `DPoP` with a proof, for a bound token),
// active, issued by this server for this server, and carrying scope or
// ScopeAdmin. Cookies never count: only the Authorization header does.
// On failure it answers the RFC 6750 error itself (401 for a missing or
// bad token, 403 insufficient_scope) and returns false.
func (s *Server) AuthorizeAdmin(w http.ResponseWriter, r *http.Request, scope string) (*AdminCaller, bool) {
	scheme, tok, ok := authorizationToken(r)
	switch {
	case !ok && r.Header.Get("Authorization") == "":
		adminError(w, http.StatusUnauthorized, "", "", scope)
		return nil, false
	case !ok:
		adminError(w, http.StatusBadRequest, "invalid_request", "send the access token as 'Authorization: Bearer <token>', or 'Authorization: DPoP <token>' with a DPoP proof", scope)
		return nil, false
	}
	in, err := s.tokens.Introspect(r.Context(), tok)
	if err != nil {
		s.writeError(w, r, fmt.Errorf("admin token: %w", err))
		return nil, false
	}
	switch {
	case !in.Active || in.TokenType == "":
		adminError(w, http.StatusUnauthorized, "invalid_token", "the access token is not valid", scope)
		return nil, false
	case !s.forUserinfo(in.Aud):
		adminError(w, http.StatusUnauthorized, "invalid_token", "the access token is meant for another resource", scope)
		return nil, false
	}
	if !s.userinfoDPoP(w, r, scheme, tok, in.Cnf) {
		return nil, false
	}
	scopes := strings.Fields(in.Scope)
	if !slices.Contains(scopes, ScopeAdmin) && (scope == "" || !slices.Contains(scopes, scope)) {
		adminError(w, http.StatusForbidden, "insufficient_scope", "the access token lacks the scope this needs: "+scope+" or "+ScopeAdmin, scope)
		return nil, false
	}
	c := &AdminCaller{ClientID: in.ClientID, Scopes: scopes}
	if in.GrantID != "" {
		c.Subject = in.Sub
	}
	if in.Cnf != nil {
		c.JKT = in.Cnf.JKT
	}
	return c, true
}

// adminError is bearerError naming the scope a management endpoint needs
// (RFC 6750 §3).
func adminError(w http.ResponseWriter, status int, code, description, scope string) {
	v := `Bearer realm="keypad"`
	if code != "" {
		v += fmt.Sprintf(`, error=%q, error_description=%q`, code, wireText(description))
	}
	if code == "insufficient_scope" || code == "" {
		need := ScopeAdmin
		if scope != "" && scope != ScopeAdmin {
			need = scope + " " + ScopeAdmin
		}
		v += fmt.Sprintf(`, scope=%q`, need)
	}
	h := w.Header()
	noStore(h)
	h.Set("WWW-Authenticate", v)
	if code == "" {
		w.WriteHeader(status)
		return
	}
	writeJSON(w, status, errorBody{Error: code, ErrorDescription: wireText(description)})
}
