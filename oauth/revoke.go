package oauth

import "net/http"

// handleRevoke is token revocation (RFC 7009). The client authenticates
// (public clients by client_id, §2.1) and names the token; the server
// revokes it only if it was issued to that client, and answers 200 whether
// or not anything was revoked (§2.2), so the endpoint tells nobody which
// tokens exist. token_type_hint is accepted and not needed.
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
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
	tok := form.Get("token")
	if tok == "" {
		s.writeError(w, r, InvalidRequest("token is missing"))
		return
	}
	if err := s.tokens.Revoke(r.Context(), tok, client.ID); err != nil {
		s.writeError(w, r, err)
		return
	}
	noStore(w.Header())
	w.WriteHeader(http.StatusOK)
}
