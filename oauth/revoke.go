package oauth

import (
	"context"
	"net/http"

	"github.com/keypadauth/keypad/token"
)

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

// RevokeToken is the operator's revocation of one token by its value (the
// admin API): it revokes tok whichever client holds it, the way the
// client itself could at the revocation endpoint, and says what ended.
func (s *Server) RevokeToken(ctx context.Context, tok string) (token.Revocation, error) {
	return s.tokens.RevokeAny(ctx, tok)
}
