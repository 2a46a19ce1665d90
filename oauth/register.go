package oauth

import (
	"cmp"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/keypadauth/keypad/ratelimit"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/token"
	"github.com/keypadauth/keypad/token/jose"
)

// Dynamic client registration (RFC 7591) at PathRegister, and the
// management of a registration by its client (RFC 7592, registermanage.go).
// Registration is closed unless RegistrationConfig.Open: a request needs
// an initial access token the operator issued (registertoken.go) or an
// access token with ScopeClients. A software statement
// (registerstatement.go) vouches for metadata. Every path builds a
// keypad.Client from the metadata (registermeta.go) and holds it to
// Client.Validate, the rules the CLI applies.

// PathRegister is the registration endpoint; a client's configuration
// endpoint (RFC 7592 §2) is PathRegister + "/" + its client_id.
const PathRegister = "/oauth2/register"

// Error codes of RFC 7591 §3.2.2.
const (
	CodeInvalidRedirectURI       = "invalid_redirect_uri"
	CodeInvalidClientMetadata    = "invalid_client_metadata"
	CodeInvalidSoftwareStatement = "invalid_software_statement"
)

// codeInvalidToken is RFC 6750's answer to a missing or refused initial
// or registration access token.
const codeInvalidToken = "invalid_token"

// maxRegistrationBody bounds a registration request; real ones are a
// few kilobytes, a software statement and a JWK Set included.
const maxRegistrationBody = 64 << 10

// RegistrationConfig turns on dynamic client registration. The zero value
// serves the endpoints closed: only holders of an initial access token or
// of an access token with ScopeClients register.
type RegistrationConfig struct {
	// Open lets anyone register without a token (public native apps
	// that register themselves at first start).
	Open bool
	// RequireSoftwareStatement refuses registrations (and updates)
	// without a software statement from one of Authorities.
	RequireSoftwareStatement bool
	// Authorities are the issuers whose software statements keypad
	// accepts.
	Authorities []StatementAuthority
	// OpenPerHour bounds the registrations without a token that one
	// address may attempt in an hour (DefaultOpenRegistrationsPerHour
	// when 0), so open registration cannot be used to fill the database
	// from one machine.
	OpenPerHour int
	// ClientIPHeader names the header a trusted reverse proxy sets with
	// the client address, which OpenPerHour counts by; empty uses the
	// connection's address.
	ClientIPHeader string
}

// DefaultOpenRegistrationsPerHour is RegistrationConfig.OpenPerHour's
// default.
const DefaultOpenRegistrationsPerHour = 60

// StatementAuthority is an issuer of software statements (RFC 7591 §2.3):
// a directory or federation that vouches for client software. Its keys
// are a JWK Set given inline (JWKS, e.g. a file's content) or fetched from
// JWKSURI, never both.
type StatementAuthority struct {
	Issuer  string
	JWKS    []byte
	JWKSURI string
}

// registration is the installed flow: the settings and each authority's
// parsed keys.
type registration struct {
	cfg  RegistrationConfig
	keys map[string][]keypad.AssertionKey // by issuer, for inline sets
	uris map[string]string                // by issuer, for jwks_uri
}

// installRegistration checks the authorities and serves the endpoints.
func (s *Server) installRegistration(cfg RegistrationConfig) error {
	reg := &registration{cfg: cfg, keys: map[string][]keypad.AssertionKey{}, uris: map[string]string{}}
	for _, a := range cfg.Authorities {
		switch {
		case a.Issuer == "":
			return errors.New("a software statement authority has no issuer")
		case reg.keys[a.Issuer] != nil || reg.uris[a.Issuer] != "":
			return fmt.Errorf("software statement authority %q is listed twice", a.Issuer)
		case (len(a.JWKS) == 0) == (a.JWKSURI == ""):
			return fmt.Errorf("software statement authority %q needs either a JWK Set or a jwks_uri", a.Issuer)
		case a.JWKSURI != "":
			if err := keypad.CheckJWKSURI(a.JWKSURI); err != nil {
				return fmt.Errorf("software statement authority %q: jwks_uri %q %v", a.Issuer, a.JWKSURI, err)
			}
			reg.uris[a.Issuer] = a.JWKSURI
		default:
			keys, err := jose.ParsePublicKeySet(a.JWKS)
			if err != nil {
				return fmt.Errorf("software statement authority %q: JWK Set: %v", a.Issuer, err)
			}
			reg.keys[a.Issuer] = keys
		}
	}
	if cfg.RequireSoftwareStatement && len(cfg.Authorities) == 0 {
		return errors.New("software statements are required but no authority is registered to issue them")
	}
	s.reg = reg
	s.handle("POST "+PathRegister, http.HandlerFunc(s.handleRegister))
	s.handle("GET "+PathRegister+"/{client_id}", http.HandlerFunc(s.handleRegistrationRead))
	s.handle("PUT "+PathRegister+"/{client_id}", http.HandlerFunc(s.handleRegistrationUpdate))
	s.handle("DELETE "+PathRegister+"/{client_id}", http.HandlerFunc(s.handleRegistrationDelete))
	s.setMetadata("registration_endpoint", s.Endpoint(PathRegister))
	return nil
}

// registrant is who asks to register: the hash of an initial access
// token, an admin caller, or nobody (open registration); auth names it
// for the audit log.
type registrant struct {
	initialToken []byte
	admin        *AdminCaller
	auth         string
}

// handleRegister is RFC 7591 §3.1: the client posts its metadata as JSON
// and gets its client_id, secret and registration access token (§3.2.1).
func (s *Server) handleRegister(w http.ResponseWriter, r *http.Request) {
	who, ok := s.registrant(w, r)
	if !ok {
		return
	}
	body, err := readJSONObject(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.register(w, r, who, body); err != nil {
		s.writeError(w, r, err)
	}
}

// registrant authorises a registration request (RFC 7591 §3): with an
// initial access token (kp_it_…, checked when it is used) or an access
// token with ScopeClients, or nothing when registration is open. On
// refusal it has answered.
func (s *Server) registrant(w http.ResponseWriter, r *http.Request) (*registrant, bool) {
	scheme, tok, ok := authorizationToken(r)
	switch {
	case !ok && r.Header.Get("Authorization") == "" && s.reg.cfg.Open:
		return &registrant{auth: "open"}, s.openAllowed(w, r)
	case !ok && r.Header.Get("Authorization") == "":
		tokenError(w, "registration is closed: send an initial access token from the operator as 'Authorization: Bearer kp_it_…' (or an access token with the "+ScopeClients+" scope)")
		return nil, false
	case scheme == "Bearer" && strings.HasPrefix(tok, keypad.PrefixInitialAccessToken):
		return &registrant{initialToken: keypad.SecretHash(tok), auth: "initial_access_token"}, true
	}
	caller, ok := s.AuthorizeAdmin(w, r, ScopeClients)
	if !ok {
		return nil, false
	}
	return &registrant{admin: caller, auth: "admin:" + caller.ClientID}, true
}

// openAllowed counts a registration without a token against its
// address's hourly limit; past it, it answers 429 and returns false.
func (s *Server) openAllowed(w http.ResponseWriter, r *http.Request) bool {
	limit := cmp.Or(s.reg.cfg.OpenPerHour, DefaultOpenRegistrationsPerHour)
	ip := ratelimit.ClientIP(r, s.reg.cfg.ClientIPHeader)
	n, err := s.store.Hit(r.Context(), "registration:open:"+ip, time.Hour, s.now())
	switch {
	case err != nil:
		s.writeError(w, r, fmt.Errorf("count open registrations: %w", err))
		return false
	case n > int64(limit):
		s.writeError(w, r, &Error{Code: CodeTooManyRequests, RetryAfter: time.Hour, Description: fmt.Sprintf(
			"this address has tried %d registrations without a token within the hour, the most allowed; try again later, or ask the operator for an initial access token", limit)})
		return false
	}
	return true
}

// register builds, checks and stores the client body describes, and
// answers 201 with what was registered.
func (s *Server) register(w http.ResponseWriter, r *http.Request, who *registrant, body map[string]json.RawMessage) error {
	ctx := r.Context()
	md, err := s.metadataOf(ctx, body)
	if err != nil {
		return err
	}
	c, meta, err := s.clientOf(ctx, md, who.admin, nil)
	if err != nil {
		return err
	}
	if c.ID, err = newClientID(s.rand); err != nil {
		return err
	}
	var secret string
	if !c.Public && c.Options.TokenEndpointAuthMethod != keypad.AuthMethodPrivateKeyJWT {
		if secret, err = token.NewSecret(s.rand, keypad.PrefixClientSecret); err != nil {
			return err
		}
		c.SecretHash = keypad.SecretHash(secret)
	}
	regToken, err := token.NewSecret(s.rand, keypad.PrefixRegistrationToken)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	c.CreatedAt, c.UpdatedAt = now, now
	rec := &keypad.ClientRegistration{ClientID: c.ID, TokenHash: keypad.SecretHash(regToken), Metadata: meta, CreatedAt: now, UpdatedAt: now}
	if err := s.store.RegisterClient(ctx, c, rec, who.initialToken, now); err != nil {
		if msg := initialTokenRefusal(err); msg != "" {
			s.authzAudit(ctx, r, "registration.refused", "", "", "auth="+who.auth+" "+msg)
			tokenError(w, "the initial access token "+msg+"; ask the operator for a new one")
			return nil
		}
		return fmt.Errorf("register client: %w", err)
	}
	s.authzAudit(ctx, r, "registration.created", c.ID, "", registrationDetail(who.auth, meta))
	h := w.Header()
	noStore(h)
	h.Set("Location", s.Endpoint(PathRegister+"/"+c.ID))
	writeJSON(w, http.StatusCreated, s.registrationResponse(c, rec, secret, regToken, md.statement))
	return nil
}

// initialTokenRefusal says why a store refused an initial access token,
// "" for any other error.
func initialTokenRefusal(err error) string {
	switch {
	case errors.Is(err, keypad.ErrNotFound):
		return "is not valid"
	case errors.Is(err, keypad.ErrExpired):
		return "has expired"
	case errors.Is(err, keypad.ErrConsumed):
		return "is used up"
	}
	return ""
}

// registrationDetail is the audit detail of a registration: how it was
// authorised and which authority's statement it carried.
func registrationDetail(auth string, meta keypad.RegistrationMetadata) string {
	d := "auth=" + auth
	if meta.StatementIssuer != "" {
		d += " software_statement=" + meta.StatementIssuer
	}
	if meta.SoftwareID != "" {
		d += " software_id=" + meta.SoftwareID
	}
	return d
}

// newClientID draws a client ID: 128 random bits in lower-case base32,
// easy to type and safe in a URL path.
func newClientID(r io.Reader) (string, error) {
	b := make([]byte, 16)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("draw client id: %w", err)
	}
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)), nil
}

// readJSONObject reads a request's JSON object: Content-Type
// application/json, at most maxRegistrationBody bytes, no member twice.
func readJSONObject(w http.ResponseWriter, r *http.Request) (map[string]json.RawMessage, error) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return nil, InvalidRequest("send the client metadata as a JSON object with Content-Type: application/json (RFC 7591 section 3.1)")
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRegistrationBody))
	if err != nil {
		return nil, InvalidRequest("the request body is larger than %d bytes or could not be read", maxRegistrationBody)
	}
	raw, err := jose.Object(b)
	if err != nil {
		return nil, InvalidRequest("the request body is not one JSON object: %v", err)
	}
	return raw, nil
}

// tokenError answers 401 invalid_token (RFC 6750 §3.1) for a missing or
// refused initial or registration access token.
func tokenError(w http.ResponseWriter, description string) {
	h := w.Header()
	noStore(h)
	h.Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="keypad", error=%q, error_description=%q`, codeInvalidToken, wireText(description)))
	writeJSON(w, http.StatusUnauthorized, errorBody{Error: codeInvalidToken, ErrorDescription: wireText(description)})
}

// metadataError is invalid_client_metadata, or invalid_redirect_uri for
// the redirect URIs (RFC 7591 §3.2.2).
func metadataError(field, format string, args ...any) *Error {
	code := CodeInvalidClientMetadata
	if field == "redirect_uris" {
		code = CodeInvalidRedirectURI
	}
	return NewError(code, "%s", field+": "+fmt.Sprintf(format, args...))
}

// registrationScopeAllowed reports whether the admin caller (nil for
// others) may register a client with scope sc: the management scopes
// only for a caller holding ScopeAdmin, so that registration cannot mint
// a key to keypad itself.
func registrationScopeAllowed(admin *AdminCaller, sc string) bool {
	if !slices.Contains(AdminScopes, sc) {
		return true
	}
	return admin != nil && slices.Contains(admin.Scopes, ScopeAdmin)
}

// forgetClient drops a changed or deleted client from this instance's
// cache at once; other instances hear of it through the store.
func (s *Server) forgetClient(id string) { s.clients.forget(id) }
