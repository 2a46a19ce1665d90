package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/keypadauth/keypad"
)

// The client configuration endpoint (RFC 7592 §2): a registered client
// reads, replaces or deletes its own registration with the registration
// access token it got at registration. The token works for that client
// only; a client the CLI made has none.

// handleRegistrationRead is RFC 7592 §2.1.
func (s *Server) handleRegistrationRead(w http.ResponseWriter, r *http.Request) {
	c, rec, tok, ok := s.registered(w, r)
	if !ok {
		return
	}
	noStore(w.Header())
	writeJSON(w, http.StatusOK, s.registrationResponse(c, rec, "", tok, ""))
}

// handleRegistrationUpdate is RFC 7592 §2.2: the body replaces every
// metadata value; values left out return to their defaults. The client's
// ID and secret stay; so does what only an operator sets (description,
// token format and lifetimes, policy options), and whatever management
// scopes or operator-only grant types the client already had.
func (s *Server) handleRegistrationUpdate(w http.ResponseWriter, r *http.Request) {
	old, rec, tok, ok := s.registered(w, r)
	if !ok {
		return
	}
	if err := s.updateRegistration(w, r, old, rec, tok); err != nil {
		s.writeError(w, r, err)
	}
}

func (s *Server) updateRegistration(w http.ResponseWriter, r *http.Request, old *keypad.Client, rec *keypad.ClientRegistration, tok string) error {
	ctx := r.Context()
	body, err := readJSONObject(w, r)
	if err != nil {
		return err
	}
	id, err := string1(body, "client_id")
	if err != nil {
		return err
	}
	if id != old.ID {
		return metadataError("client_id", "must be sent and be this client's ID, %q (RFC 7592 section 2.2)", old.ID)
	}
	if _, sent := body["client_secret"]; sent {
		secret, err := string1(body, "client_secret")
		if err != nil {
			return err
		}
		if len(old.SecretHash) == 0 || !keypad.SecretMatches(old.SecretHash, secret) {
			return metadataError("client_secret", "cannot be changed by the client: send the current secret or leave it out; the operator rotates secrets")
		}
	}
	md, err := s.metadataOf(ctx, body)
	if err != nil {
		return err
	}
	c, meta, err := s.clientOfUpdate(ctx, md, old)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	c.UpdatedAt = now
	next := *rec
	next.Metadata, next.UpdatedAt = meta, now
	if err := s.store.UpdateRegisteredClient(ctx, c, &next); err != nil {
		if errors.Is(err, keypad.ErrNotFound) {
			tokenError(w, "the registration access token is not valid")
			return nil
		}
		return fmt.Errorf("update registered client: %w", err)
	}
	s.forgetClient(c.ID)
	s.authzAudit(ctx, r, "registration.updated", c.ID, "", registrationDetail("registration_access_token", meta))
	noStore(w.Header())
	writeJSON(w, http.StatusOK, s.registrationResponse(c, &next, "", tok, md.statement))
	return nil
}

// clientOfUpdate is clientOf for a replacement of old: the client keeps
// its ID, secret, kind and operator settings, and may keep what only an
// operator could have given it.
func (s *Server) clientOfUpdate(ctx context.Context, md *clientMetadata, old *keypad.Client) (*keypad.Client, keypad.RegistrationMetadata, error) {
	c, meta, err := s.clientOf(ctx, md, nil, old)
	if err != nil {
		return nil, meta, err
	}
	if kind(c) != kind(old) {
		return nil, meta, metadataError("token_endpoint_auth_method", "cannot change from %s to %s: the kind of client (public, secret or keys) is fixed at registration; register a new client instead", kind(old), kind(c))
	}
	next := *old
	next.Name, next.GrantTypes, next.Scopes, next.RedirectURIs = c.Name, c.GrantTypes, c.Scopes, c.RedirectURIs
	next.Options.TokenEndpointAuthMethod = c.Options.TokenEndpointAuthMethod
	next.Options.AssertionKeys, next.Options.JWKSURI = c.Options.AssertionKeys, c.Options.JWKSURI
	next.Options.DPoP = c.Options.DPoP
	if err := next.Validate(); err != nil {
		return nil, meta, validationToMetadata(err)
	}
	return &next, meta, nil
}

// kind is how a client authenticates, in words.
func kind(c *keypad.Client) string {
	switch {
	case c.Public:
		return "a public client (none)"
	case c.Options.TokenEndpointAuthMethod == keypad.AuthMethodPrivateKeyJWT:
		return "a client with keys (private_key_jwt)"
	}
	return "a client with a secret (client_secret_basic or client_secret_post)"
}

// handleRegistrationDelete is RFC 7592 §2.3: the client, its grants and
// tokens and its registration go.
func (s *Server) handleRegistrationDelete(w http.ResponseWriter, r *http.Request) {
	c, _, _, ok := s.registered(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	if err := s.store.DeleteClient(ctx, c.ID); err != nil {
		if errors.Is(err, keypad.ErrNotFound) {
			tokenError(w, "the registration access token is not valid")
			return
		}
		s.writeError(w, r, fmt.Errorf("delete registered client: %w", err))
		return
	}
	s.forgetClient(c.ID)
	s.authzAudit(ctx, r, "registration.deleted", c.ID, "", "auth=registration_access_token")
	noStore(w.Header())
	w.WriteHeader(http.StatusNoContent)
}

// registered authenticates a configuration request: a Bearer
// registration access token matching the one stored for the client the
// path names. On failure it has answered 401 invalid_token, the same for
// an unknown client, a client without a registration and a wrong token
// (RFC 7592 §2: no telling which).
func (s *Server) registered(w http.ResponseWriter, r *http.Request) (*keypad.Client, *keypad.ClientRegistration, string, bool) {
	const refused = "the registration access token is not valid for this client: send the registration_access_token you got when the client was registered, as 'Authorization: Bearer kp_rg_…'"
	scheme, tok, ok := authorizationToken(r)
	if !ok || scheme != "Bearer" {
		tokenError(w, refused)
		return nil, nil, "", false
	}
	ctx := r.Context()
	id := r.PathValue("client_id")
	rec, err := s.store.GetClientRegistration(ctx, id)
	if errors.Is(err, keypad.ErrNotFound) || err == nil && !keypad.SecretMatches(rec.TokenHash, tok) {
		tokenError(w, refused)
		return nil, nil, "", false
	}
	if err != nil {
		s.writeError(w, r, err)
		return nil, nil, "", false
	}
	c, err := s.store.GetClient(ctx, id)
	if errors.Is(err, keypad.ErrNotFound) {
		tokenError(w, refused)
		return nil, nil, "", false
	}
	if err != nil {
		s.writeError(w, r, err)
		return nil, nil, "", false
	}
	return c, rec, tok, true
}
