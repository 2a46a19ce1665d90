package oauth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/keypadauth/keypad"
)

// ClientAssertionType is the only client_assertion_type keypad takes
// (RFC 7523 §2.2).
const ClientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// Bounds of a client assertion: those of the jwt-bearer grant. An hour
// is what widespread clients sign by default (Authlib's PrivateKeyJWT
// sets exp to iat + 3600, and Okta accepts up to that), and the jti is
// single-use, so a longer life does not make an assertion reusable; a
// tighter bound would refuse those clients as they come.
const (
	clientAssertionSkew        = DefaultAssertionSkew
	clientAssertionMaxLifetime = DefaultAssertionMaxLifetime
)

// keyClientAssertionJTI prefixes the replay counters of client
// assertions: a hash of the client ID and jti, kept apart from the
// jwt-bearer grant's.
const keyClientAssertionJTI = "clientauth:jti:"

// hasClientAssertion reports whether a request tries private_key_jwt.
func hasClientAssertion(form url.Values) bool {
	return form.Has("client_assertion") || form.Has("client_assertion_type")
}

// assertedClient authenticates a client by a JWT it signed with one of its
// registered keys (RFC 7523 §2.2 and §3, OpenID Connect Core §9,
// private_key_jwt): iss and sub are the client ID, aud names this server
// (its issuer, its token endpoint, or the endpoint called), exp lies
// within clientAssertionMaxLifetime, and the jti is used once. The
// signature is checked by the same reader as the jwt-bearer grant's
// assertions (assertionjws.go), so the same algorithms (ES256, RS256,
// PS256, EdDSA) and nothing else are accepted. Every refusal is invalid_client saying
// which check failed.
func (s *Server) assertedClient(r *http.Request, form url.Values) (*keypad.Client, string, error) {
	ctx := r.Context()
	if r.Header.Get("Authorization") != "" || form.Has("client_secret") {
		return nil, "", InvalidRequest("use one client authentication method: a client_assertion, HTTP Basic or client_secret, not several")
	}
	if t := form.Get("client_assertion_type"); t != ClientAssertionType {
		return nil, "", InvalidClient("client_assertion_type must be %s (RFC 7523 section 2.2)", ClientAssertionType)
	}
	raw := form.Get("client_assertion")
	if raw == "" {
		return nil, "", InvalidClient("client_assertion is missing: send a JWT signed with one of the client's registered keys")
	}
	j, fail := parseJWS(raw)
	if fail != nil {
		return nil, "", s.refuseClientAssertion(r, "", fail)
	}
	iss, _ := stringMember(j.claims, "iss")
	if iss == "" {
		return nil, "", s.refuseClientAssertion(r, "", failed("iss", "the client assertion's iss is missing: it must be the client ID"))
	}
	if id := form.Get("client_id"); id != "" && id != iss {
		return nil, "", InvalidClient("client_id differs from the client assertion's iss; both must be the client ID")
	}
	c, err := s.client(ctx, iss)
	if errors.Is(err, keypad.ErrNotFound) {
		return nil, "", errAuthFailed
	}
	if err != nil {
		return nil, "", err
	}
	if m := c.Options.TokenEndpointAuthMethod; m != keypad.AuthMethodPrivateKeyJWT {
		return nil, "", s.refuseClientAssertion(r, c.ID, failed("method", "this client is not registered for private_key_jwt; authenticate with %s", registeredMethodText(c)))
	}
	now := s.now()
	if fail, err := s.verifyClientAssertion(ctx, c, j, now); err != nil {
		return nil, "", err
	} else if fail != nil {
		return nil, "", s.refuseClientAssertion(r, c.ID, fail)
	}
	exp, jti, fail := checkClientAssertionClaims(j, c.ID, s.assertionAudiences(r), now)
	if fail != nil {
		return nil, "", s.refuseClientAssertion(r, c.ID, fail)
	}
	// Last, so an assertion refused for anything else is not used up. The
	// count is atomic in the store: of concurrent uses, on any number of
	// instances, exactly one is first.
	sum := sha256.Sum256(fmt.Appendf(nil, "%d:%s|%s", len(c.ID), c.ID, jti))
	n, err := s.store.Hit(ctx, keyClientAssertionJTI+hex.EncodeToString(sum[:]), exp.Add(clientAssertionSkew).Sub(now), now)
	if err != nil {
		return nil, "", fmt.Errorf("client assertion: count jti: %w", err)
	}
	if n != 1 {
		return nil, "", s.refuseClientAssertion(r, c.ID, failed("replayed", "client assertion already used: its jti was seen before; sign a new assertion with a fresh jti for every request"))
	}
	return c, keypad.AuthMethodPrivateKeyJWT, nil
}

// verifyClientAssertion checks the signature with the client's keys:
// those registered, or those its jwks_uri serves, fetched once more when
// the assertion names a key the cached set lacks (the client rotated).
// A fetch that fails is the client's problem, told as invalid_client.
func (s *Server) verifyClientAssertion(ctx context.Context, c *keypad.Client, j *jws, now time.Time) (*assertionFailure, error) {
	if len(c.Options.AssertionKeys) > 0 {
		keys, err := keypad.ParseAssertionKeys(c.Options.AssertionKeys)
		if err != nil {
			return nil, fmt.Errorf("client assertion: client %s: stored keys: %v", c.ID, err)
		}
		return j.verify(keys), nil
	}
	if c.Options.JWKSURI == "" {
		return nil, fmt.Errorf("client assertion: client %s: private_key_jwt without keys or jwks_uri", c.ID)
	}
	s.jwks.init(s.cfg.ClientJWKS)
	keys, _, err := s.jwks.keys(ctx, c, now, false)
	if err != nil {
		return failed("jwks_uri", "%v", err), nil
	}
	fail := j.verify(keys)
	if fail == nil || fail.reason != "key" {
		return fail, nil
	}
	keys, refetched, err := s.jwks.keys(ctx, c, now, true)
	if err != nil || !refetched {
		return fail, nil
	}
	return j.verify(keys), nil
}

// checkClientAssertionClaims checks the claims of a verified client
// assertion (RFC 7523 §3) and returns its exp and jti.
func checkClientAssertionClaims(j *jws, clientID string, auds []string, now time.Time) (time.Time, string, *assertionFailure) {
	var zero time.Time
	iss, _ := stringMember(j.claims, "iss")
	sub, ok := stringMember(j.claims, "sub")
	if !ok || sub != clientID || iss != clientID {
		return zero, "", failed("sub", "the client assertion's iss and sub must both be the client ID")
	}
	aud, ok := audienceMember(j.claims, "aud")
	if !ok || !slices.ContainsFunc(aud, func(a string) bool { return slices.Contains(auds, a) }) {
		return zero, "", failed("aud", "the client assertion's aud must name this server: its issuer %s or the endpoint %s", auds[0], auds[len(auds)-1])
	}
	exp, present, ok := timeMember(j.claims, "exp")
	switch {
	case !present || !ok:
		return zero, "", failed("exp", "the client assertion's exp is missing or not a NumericDate (seconds since 1970-01-01 UTC)")
	case !now.Before(exp.Add(clientAssertionSkew)):
		return zero, "", failed("expired", "the client assertion expired at %s (server time %s); sign a new one", stamp(exp), stamp(now))
	case exp.After(now.Add(clientAssertionMaxLifetime + clientAssertionSkew)):
		return zero, "", failed("lifetime", "the client assertion's exp is more than %s ahead; sign one per request that expires sooner", shortDuration(clientAssertionMaxLifetime))
	}
	for _, name := range []string{"nbf", "iat"} {
		t, present, ok := timeMember(j.claims, name)
		switch {
		case !ok:
			return zero, "", failed(name, "the client assertion's %s is not a NumericDate", name)
		case present && t.After(now.Add(clientAssertionSkew)):
			return zero, "", failed(name, "the client assertion's %s is in the future (server time %s); check the client's clock", name, stamp(now))
		case present && name == "iat" && exp.Sub(t) > clientAssertionMaxLifetime+clientAssertionSkew:
			return zero, "", failed("lifetime", "the client assertion lives from iat to exp for more than %s; sign one that expires sooner", shortDuration(clientAssertionMaxLifetime))
		}
	}
	jti, ok := stringMember(j.claims, "jti")
	if !ok || jti == "" {
		return zero, "", failed("jti", "the client assertion's jti is missing: every assertion needs a unique jti so that it cannot be replayed")
	}
	return exp, jti, nil
}

// assertionAudiences are the aud values a client assertion may carry:
// the issuer, the token endpoint, and the URL of the endpoint called
// (introspection, revocation, …).
func (s *Server) assertionAudiences(r *http.Request) []string {
	auds := []string{s.issuer, s.issuer + "/", s.Endpoint(PathToken)}
	return append(auds, s.Endpoint(r.URL.Path))
}

// refuseClientAssertion counts and audits a refused client assertion and
// answers invalid_client with what to fix.
func (s *Server) refuseClientAssertion(r *http.Request, clientID string, fail *assertionFailure) error {
	s.metrics.Event("client_assertion", fail.reason)
	s.authzAudit(r.Context(), r, "client_assertion.refused", clientID, "", "check="+fail.reason)
	return InvalidClient("%s", fail.msg)
}

// registeredMethodText names how a client must authenticate, for errors.
func registeredMethodText(c *keypad.Client) string {
	switch m := c.Options.TokenEndpointAuthMethod; {
	case m != "":
		return m
	case c.Public:
		return keypad.AuthMethodNone
	}
	return keypad.AuthMethodSecretBasic + " or " + keypad.AuthMethodSecretPost
}
