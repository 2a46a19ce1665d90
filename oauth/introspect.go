package oauth

import "net/http"

// handleIntrospect is token introspection (RFC 7662). The caller must
// authenticate as a confidential client (§2.1 requires some authorization,
// so that the endpoint is no token-scanning oracle); it names the token in
// "token" and may add a token_type_hint, which keypad does not need, since
// its tokens say what they are. Anything not active answers only
// {"active":false} (§2.2).
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
	noStore(w.Header())
	writeJSON(w, http.StatusOK, in)
}
