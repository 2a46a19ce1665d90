package oauth

import (
	"net/http"
	"slices"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/token"
)

// handleIntrospect is token introspection (RFC 7662). The caller must
// authenticate as a confidential client (§2.1 requires some authorization,
// so that the endpoint is no token-scanning oracle); it names the token in
// "token" and may add a token_type_hint, which keypad does not need, since
// its tokens say what they are. Anything not active answers only
// {"active":false} (§2.2), and so does a token the caller may not see
// (§2.2, §4: the server decides what to tell whom): a client sees tokens
// issued to it or naming it in aud, and a client registered with
// IntrospectAny (a resource server) sees every token.
func (s *Server) handleIntrospect(w http.ResponseWriter, r *http.Request) {
	form, err := parseForm(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	client, _, err := s.authenticateClient(r, form)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if client.Public {
		s.writeError(w, r, InvalidClient("introspection needs a confidential client: authenticate with a client secret"))
		return
	}
	tok := form.Get("token")
	if tok == "" {
		s.writeError(w, r, InvalidRequest("token is missing"))
		return
	}
	in, err := s.tokens.Introspect(r.Context(), tok)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if in.Active && !mayIntrospect(client, in) {
		s.metrics.Event("introspect", "not_allowed")
		in = &token.Introspection{Active: false}
	}
	noStore(w.Header())
	writeJSON(w, http.StatusOK, in)
}

// mayIntrospect reports whether client may learn about the active token
// in: it was issued to the client, names the client in its audience, or
// the client is a resource server allowed to introspect any token.
func mayIntrospect(client *keypad.Client, in *token.Introspection) bool {
	return client.Options.IntrospectAny || in.ClientID == client.ID || slices.Contains(in.Aud, client.ID)
}
