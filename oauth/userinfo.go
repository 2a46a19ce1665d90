package oauth

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/token"
)

// claimsSupported lists the claims keypad can state (discovery's
// claims_supported).
var claimsSupported = []string{
	"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "amr",
	"name", "preferred_username", "updated_at", "email", "phone_number", "address",
}

// OIDCScopes are the OpenID Connect scopes keypad understands (Core §5.4,
// §11), with the words a consent page shows for them. Operators put them
// in the scope catalogue (so that scopes_supported lists them) and on the
// clients that may ask for them.
var OIDCScopes = []keypad.Scope{
	{Name: "openid", Description: "Know who you are (your account ID)"},
	{Name: "profile", Description: "See your name and username"},
	{Name: "email", Description: "See your email address"},
	{Name: "phone", Description: "See your phone number"},
	{Name: "address", Description: "See your address"},
	{Name: "offline_access", Description: "Stay connected when you are not using it"},
}

// installUserinfo serves the userinfo endpoint (Core §5.3); OIDC allows
// GET and POST.
func (s *Server) installUserinfo() {
	h := http.HandlerFunc(s.handleUserinfo)
	s.handle("GET "+PathUserinfo, h)
	s.handle("POST "+PathUserinfo, h)
	s.setMetadata("userinfo_endpoint", s.Endpoint(PathUserinfo))
}

// userinfoAddress is the address claim (Core §5.1.1): keypad knows the
// formatted form only.
type userinfoAddress struct {
	Formatted string `json:"formatted"`
}

// userinfo is the userinfo response: sub always, the rest by scope.
type userinfo struct {
	Subject           string           `json:"sub"`
	Name              string           `json:"name,omitempty"`
	PreferredUsername string           `json:"preferred_username,omitempty"`
	UpdatedAt         int64            `json:"updated_at,omitempty"`
	Email             string           `json:"email,omitempty"`
	PhoneNumber       string           `json:"phone_number,omitempty"`
	Address           *userinfoAddress `json:"address,omitempty"`
}

// handleUserinfo answers the claims of the person an access token acts
// for (Core §5.3): the token comes as a Bearer header (RFC 6750 §2.1), or,
// when it is bound to a DPoP key, as a DPoP header with a proof of that
// key naming the token (RFC 9449 §7); it must be active, carry scope
// openid, act for a person (not a client), and be meant for this server
// (its aud names the issuer, or is the default).
func (s *Server) handleUserinfo(w http.ResponseWriter, r *http.Request) {
	s.setDPoPNonce(w.Header())
	scheme, tok, ok := authorizationToken(r)
	switch {
	case !ok && r.Header.Get("Authorization") == "":
		// RFC 6750 §3.1: no token sent, so no error code, just the
		// challenge.
		bearerError(w, http.StatusUnauthorized, "", "")
		return
	case !ok:
		bearerError(w, http.StatusBadRequest, "invalid_request", "send the access token as 'Authorization: Bearer <token>', or 'Authorization: DPoP <token>' with a DPoP proof")
		return
	}
	in, err := s.tokens.Introspect(r.Context(), tok)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	switch {
	case !in.Active || in.TokenType == "" || in.GrantID == "":
		bearerError(w, http.StatusUnauthorized, "invalid_token", "the access token is not valid, or does not act for a person")
		return
	case !s.forUserinfo(in.Aud):
		bearerError(w, http.StatusUnauthorized, "invalid_token", "the access token is meant for another resource")
		return
	}
	if !s.userinfoDPoP(w, r, scheme, tok, in.Cnf) {
		return
	}
	if !slices.Contains(strings.Fields(in.Scope), "openid") {
		bearerError(w, http.StatusForbidden, "insufficient_scope", "the access token lacks scope openid")
		return
	}
	sub, err := s.store.GetSubject(r.Context(), in.Sub)
	if errors.Is(err, keypad.ErrNotFound) {
		bearerError(w, http.StatusUnauthorized, "invalid_token", "the person of this token no longer exists")
		return
	}
	if err != nil {
		s.writeError(w, r, fmt.Errorf("userinfo: %w", err))
		return
	}
	noStore(w.Header())
	writeJSON(w, http.StatusOK, claimsOf(sub, strings.Fields(in.Scope)))
}

// claimsOf picks the claims the scopes allow (Core §5.4).
func claimsOf(sub *keypad.Subject, scopes []string) userinfo {
	u := userinfo{Subject: sub.ID}
	if hasScope(scopes, "profile") {
		u.Name, u.PreferredUsername = sub.Name, sub.Username
		if !sub.UpdatedAt.IsZero() {
			u.UpdatedAt = sub.UpdatedAt.Unix()
		}
	}
	if hasScope(scopes, "email") {
		u.Email = sub.Email
	}
	if hasScope(scopes, "phone") {
		u.PhoneNumber = sub.Phone
	}
	if hasScope(scopes, "address") {
		for _, id := range sub.Identifiers {
			if id.Type == keypad.IdentifierAddress {
				u.Address = &userinfoAddress{Formatted: id.Value}
				break
			}
		}
	}
	return u
}

// forUserinfo reports whether a token's audience includes this server:
// the issuer itself, or the issuer's default audience (a token whose
// request named no resource).
func (s *Server) forUserinfo(aud []string) bool {
	if slices.Contains(aud, s.issuer) {
		return true
	}
	def := s.tokens.DefaultAudience
	return len(def) > 0 && slices.Equal(aud, def)
}

// bearerToken reads an RFC 6750 §2.1 Authorization header.
func bearerToken(r *http.Request) (string, bool) {
	scheme, tok, ok := authorizationToken(r)
	return tok, ok && scheme == token.TypeBearer
}

// authorizationToken reads an Authorization header of scheme Bearer (RFC
// 6750 §2.1) or DPoP (RFC 9449 §7.1); scheme is returned as
// token.TypeBearer or token.TypeDPoP.
func authorizationToken(r *http.Request) (scheme, tok string, ok bool) {
	scheme, tok, ok = strings.Cut(r.Header.Get("Authorization"), " ")
	tok = strings.TrimSpace(tok)
	switch {
	case !ok || tok == "":
		return "", "", false
	case strings.EqualFold(scheme, token.TypeBearer):
		return token.TypeBearer, tok, true
	case strings.EqualFold(scheme, token.TypeDPoP):
		return token.TypeDPoP, tok, true
	}
	return "", "", false
}

// bearerError answers as RFC 6750 §3 says: the error in WWW-Authenticate
// and the JSON body; with no code (the request carried no token, §3.1)
// only the challenge, and no body.
func bearerError(w http.ResponseWriter, status int, code, description string) {
	v := `Bearer realm="keypad"`
	if code != "" {
		v += fmt.Sprintf(`, error=%q, error_description=%q`, code, wireText(description))
	}
	if code == "insufficient_scope" {
		v += `, scope="openid"`
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
