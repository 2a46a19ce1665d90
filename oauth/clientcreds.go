package oauth

import (
	"context"

	"github.com/keypadauth/keypad"
)

// clientCredentials is the client credentials grant (RFC 6749 §4.4): a
// confidential client gets a token for itself (§4.4.2), the subject is the
// client, and no refresh token is issued (§4.4.3) since the client can
// always ask again. A resource parameter (RFC 8707 §2) becomes the
// token's aud.
func (s *Server) clientCredentials(ctx context.Context, req *TokenRequest) (*TokenResponse, error) {
	if req.Client.Public {
		// §4.4: "MUST only be used by confidential clients".
		return nil, UnauthorizedClient("client_credentials is for confidential clients; a public client cannot use it")
	}
	scopes, err := checkScopes(keypad.ParseScope(req.Form.Get("scope")), req.Client.Scopes)
	if err != nil {
		return nil, err
	}
	aud, err := s.directAudience(req.Form)
	if err != nil {
		return nil, err
	}
	return s.issue(ctx, keypad.GrantClientCredentials, Issue{
		Client: req.Client, Subject: req.Client.ID, Scopes: scopes, Audience: aud,
	})
}
