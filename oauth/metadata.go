package oauth

import (
	"maps"
	"net/http"
	"slices"

	"github.com/keypadauth/keypad"
)

// metadata builds the authorization server metadata (RFC 8414 §2) from
// what is registered: the grants, the endpoints of this package, the scope
// catalogue, and whatever later flows set with setMetadata.
func (s *Server) metadata(r *http.Request) (map[string]any, error) {
	scopes, err := s.store.ListScopes(r.Context())
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(scopes)+len(OIDCScopes))
	for _, sc := range scopes {
		names = append(names, sc.Name)
	}
	if _, err := s.authCode(); err == nil {
		// OpenID Connect works whether or not the operator put its
		// scopes in the catalogue, so they are always announced.
		for _, sc := range OIDCScopes {
			if !slices.Contains(names, sc.Name) {
				names = append(names, sc.Name)
			}
		}
	}
	algs := []string{keypad.AlgES256, keypad.AlgRS256}
	m := maps.Clone(s.meta)
	computed := map[string]any{
		"issuer":                                s.issuer,
		"token_endpoint":                        s.Endpoint(PathToken),
		"jwks_uri":                              s.Endpoint(PathJWKS),
		"introspection_endpoint":                s.Endpoint(PathIntrospect),
		"revocation_endpoint":                   s.Endpoint(PathRevoke),
		"grant_types_supported":                 s.grantTypes(),
		"token_endpoint_auth_methods_supported": authMethods,
		"token_endpoint_auth_signing_alg_values_supported":         authSigningAlgs,
		"introspection_endpoint_auth_methods_supported":            []string{AuthSecretBasic, AuthSecretPost, AuthPrivateKeyJWT},
		"introspection_endpoint_auth_signing_alg_values_supported": authSigningAlgs,
		"revocation_endpoint_auth_methods_supported":               authMethods,
		"revocation_endpoint_auth_signing_alg_values_supported":    authSigningAlgs,
		"scopes_supported": names,
		// RFC 9068 access tokens are signed with these.
		"access_token_signing_alg_values_supported": algs,
	}
	if m == nil {
		m = map[string]any{}
	}
	maps.Copy(m, computed)
	return m, nil
}

// handleMetadata serves /.well-known/oauth-authorization-server (RFC 8414
// §3) and, with the same document, /.well-known/openid-configuration.
// Browsers may read it from any origin.
func (s *Server) handleMetadata(w http.ResponseWriter, r *http.Request) {
	m, err := s.metadata(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	writeJSON(w, http.StatusOK, m)
}

// handleJWKS serves the public signing keys (RFC 7517 §5). Resource
// servers re-fetch on an unknown kid, so a short cache is enough.
func (s *Server) handleJWKS(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/jwk-set+json")
	h.Set("Cache-Control", "public, max-age=300")
	w.WriteHeader(http.StatusOK)
	w.Write(s.tokens.Keys.JWKS())
}
