package oauth

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/token/jose"
)

// Client authentication methods, named as in RFC 7591 §2 and listed in the
// metadata.
const (
	AuthSecretBasic   = keypad.AuthMethodSecretBasic
	AuthSecretPost    = keypad.AuthMethodSecretPost
	AuthNone          = keypad.AuthMethodNone
	AuthPrivateKeyJWT = keypad.AuthMethodPrivateKeyJWT
)

// authMethods is what token_endpoint_auth_methods_supported says.
var authMethods = []string{AuthSecretBasic, AuthSecretPost, AuthPrivateKeyJWT, AuthNone}

// authSigningAlgs is what token_endpoint_auth_signing_alg_values_supported
// says: the algorithms the assertion reader (assertionjws.go) verifies.
var authSigningAlgs = jose.Algorithms()

// errAuthFailed is the one answer for an unknown client, a wrong secret, a
// confidential client without a secret and a public client with one: the
// caller learns nothing about which client IDs exist.
var errAuthFailed = InvalidClient("client authentication failed; check the client ID and secret")

// dummyHash is compared against when the client is unknown, so an unknown
// client costs the same time as a wrong secret.
var dummyHash = keypad.SecretHash("keypad-no-such-client")

// authenticateClient identifies the client of a request to any endpoint
// that authenticates clients (RFC 6749 §2.3). Exactly one method per
// request: client_secret_basic (the Authorization header),
// client_secret_post (client_id and client_secret in the body),
// private_key_jwt (client_assertion, clientassertion.go), or none
// (client_id alone, for public clients only); and only the method the
// client registered, when it registered one. It returns the client and
// the method used.
func (s *Server) authenticateClient(r *http.Request, form url.Values) (*keypad.Client, string, error) {
	if hasClientAssertion(form) {
		return s.assertedClient(r, form)
	}
	c, method, err := s.secretClient(r, form)
	if err != nil {
		return nil, "", err
	}
	if m := c.Options.TokenEndpointAuthMethod; m != "" && m != method {
		return nil, "", InvalidClient("this client is registered to authenticate with %s, not %s", m, method)
	}
	return c, method, nil
}

// secretClient authenticates by secret, or by client_id alone for a
// public client.
func (s *Server) secretClient(r *http.Request, form url.Values) (*keypad.Client, string, error) {
	ctx := r.Context()
	if h := r.Header.Get("Authorization"); h != "" {
		id, secret, ok := parseBasicAuth(h)
		if !ok {
			return nil, "", InvalidClient("the Authorization header must be HTTP Basic with the percent-encoded client ID and secret (RFC 6749 section 2.3.1)")
		}
		if form.Has("client_secret") {
			return nil, "", InvalidRequest("use one client authentication method: HTTP Basic or client_secret in the body, not both")
		}
		if bid := form.Get("client_id"); bid != "" && bid != id {
			return nil, "", InvalidRequest("client_id in the body differs from the one in the Authorization header")
		}
		c, err := s.checkSecret(ctx, id, secret)
		return c, AuthSecretBasic, err
	}
	id := form.Get("client_id")
	if id == "" {
		return nil, "", InvalidClient("client authentication required: send HTTP Basic credentials, client_id (and client_secret) in the body, or a client_assertion")
	}
	if form.Has("client_secret") {
		c, err := s.checkSecret(ctx, id, form.Get("client_secret"))
		return c, AuthSecretPost, err
	}
	c, err := s.client(ctx, id)
	if errors.Is(err, keypad.ErrNotFound) {
		return nil, "", errAuthFailed
	}
	if err != nil {
		return nil, "", err
	}
	if !c.Public {
		return nil, "", errAuthFailed
	}
	return c, AuthNone, nil
}

// checkSecret verifies a confidential client's secret in constant time.
func (s *Server) checkSecret(ctx context.Context, id, secret string) (*keypad.Client, error) {
	c, err := s.client(ctx, id)
	if errors.Is(err, keypad.ErrNotFound) {
		keypad.SecretMatches(dummyHash, secret)
		return nil, errAuthFailed
	}
	if err != nil {
		return nil, err
	}
	// A public client has no SecretHash, so no secret ever matches.
	if c.Public || !keypad.SecretMatches(c.SecretHash, secret) {
		return nil, errAuthFailed
	}
	return c, nil
}

// parseBasicAuth parses an HTTP Basic Authorization header whose user and
// password are the form-urlencoded client ID and secret (RFC 6749 §2.3.1;
// so '+' is a space and "%3A" a colon).
func parseBasicAuth(h string) (id, secret string, ok bool) {
	scheme, cred, found := strings.Cut(h, " ")
	if !found || !strings.EqualFold(scheme, "Basic") {
		return "", "", false
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(strings.TrimLeft(cred, " "))
	if err != nil {
		return "", "", false
	}
	u, p, found := strings.Cut(string(raw), ":")
	if !found {
		return "", "", false
	}
	if id, err = url.QueryUnescape(u); err != nil || id == "" {
		return "", "", false
	}
	if secret, err = url.QueryUnescape(p); err != nil {
		return "", "", false
	}
	return id, secret, true
}
