package oauth

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/keypadauth/keypad/token"
	"github.com/keypadauth/keypad/token/jose"
)

// userinfoDPoP checks the sender constraint of a token at userinfo (RFC
// 9449 §7): a bound token (cnf not nil) must come with scheme DPoP and a
// proof of its key naming it in ath; a bearer token must not claim scheme
// DPoP. It answers the error itself and reports whether to go on.
func (s *Server) userinfoDPoP(w http.ResponseWriter, r *http.Request, scheme, tok string, cnf *token.Confirmation) bool {
	switch {
	case cnf == nil && scheme == token.TypeDPoP:
		bearerError(w, http.StatusUnauthorized, "invalid_token", "the access token is not bound to a DPoP key: send it as 'Authorization: Bearer <token>'")
		return false
	case cnf == nil:
		return true
	case scheme != token.TypeDPoP:
		// §7.2: a bound token presented as a bearer token is refused,
		// or a stolen copy would work without the key.
		dpopChallenge(w, http.StatusUnauthorized, "invalid_token", "the access token is bound to a DPoP key: send it as 'Authorization: DPoP <token>' with a DPoP proof")
		return false
	}
	proof, err := s.dpopProof(r, tok)
	var e *Error
	switch {
	case errors.As(err, &e):
		dpopChallenge(w, http.StatusUnauthorized, e.Code, e.Description)
		return false
	case err != nil:
		s.writeError(w, r, fmt.Errorf("userinfo: %w", err))
		return false
	case proof == nil:
		dpopChallenge(w, http.StatusUnauthorized, CodeInvalidDPoPProof, "send a DPoP proof in the DPoP header, naming the access token in ath")
		return false
	case proof.JKT != cnf.JKT:
		dpopChallenge(w, http.StatusUnauthorized, "invalid_token", "the DPoP proof is signed with another key than the one the access token is bound to")
		return false
	}
	return true
}

// dpopChallenge answers an error at a resource for the DPoP scheme (RFC
// 9449 §7.1): WWW-Authenticate names the scheme, the algorithms and the
// error, and the JSON body repeats the error.
func dpopChallenge(w http.ResponseWriter, status int, code, description string) {
	v := fmt.Sprintf(`DPoP algs=%q, error=%q, error_description=%q`,
		strings.Join(jose.Algorithms(), " "), code, wireText(description))
	h := w.Header()
	noStore(h)
	h.Set("WWW-Authenticate", v)
	writeJSON(w, status, errorBody{Error: code, ErrorDescription: wireText(description)})
}
