package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/keypadauth/keypad"
)

// clientMetadata is a registration request's client metadata (RFC 7591
// §2): the JSON members, with a software statement's claims in place of
// the members they name (§2.3).
type clientMetadata struct {
	members map[string]json.RawMessage
	// statement is the software statement as sent (echoed back), and
	// issuer the authority that signed it; both "" without one.
	statement, issuer string
}

// dynamicGrants are the grant types a registration may ask for. The
// others change who a client can act for or what it costs to run
// (password: people's passwords; jwt-bearer and saml2-bearer: any
// subject an assertion names; otp and CIBA: text messages keypad pays
// for), so only an operator gives them (`keypad client update`).
var dynamicGrants = []string{
	keypad.GrantAuthorizationCode, keypad.GrantRefreshToken, keypad.GrantClientCredentials, keypad.GrantDeviceCode,
}

// metadataOf reads the metadata of a request body, verifying its software
// statement, if any, and putting the statement's claims first.
func (s *Server) metadataOf(ctx context.Context, body map[string]json.RawMessage) (*clientMetadata, error) {
	md := &clientMetadata{members: body}
	raw, ok := body["software_statement"]
	if !ok {
		if s.reg.cfg.RequireSoftwareStatement {
			return nil, NewError(CodeInvalidSoftwareStatement, "software_statement is required: this server registers only client software vouched for by a registered authority")
		}
		return md, nil
	}
	if err := json.Unmarshal(raw, &md.statement); err != nil || md.statement == "" {
		return nil, NewError(CodeInvalidSoftwareStatement, "software_statement must be a signed JWT as a string (RFC 7591 section 2.3)")
	}
	claims, iss, err := s.verifyStatement(ctx, md.statement)
	if err != nil {
		return nil, err
	}
	md.issuer = iss
	md.members = maps.Clone(body)
	for name, v := range claims {
		if !slices.Contains(statementOnlyClaims, name) {
			md.members[name] = v
		}
	}
	return md, nil
}

// statementOnlyClaims are a software statement's JWT claims that are not
// client metadata.
var statementOnlyClaims = []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti"}

// clientOf builds the client the metadata describe (without ID, secret or
// times) and the metadata keypad.Client has no field for, and holds them
// to keypad.Client.Validate. admin is the caller's admin token, nil for
// other registrants: it decides which management scopes may be asked
// for. prev is the client an update replaces (nil for a new one): the
// scopes and grant types it has stay allowed, and the caller validates
// the client it makes of both.
func (s *Server) clientOf(ctx context.Context, md *clientMetadata, admin *AdminCaller, prev *keypad.Client) (*keypad.Client, keypad.RegistrationMetadata, error) {
	m := md.members
	var meta keypad.RegistrationMetadata
	c := &keypad.Client{TokenFormat: keypad.FormatJWT}
	var err error
	if c.RedirectURIs, err = strings1(m, "redirect_uris"); err != nil {
		return nil, meta, err
	}
	grants, err := strings1(m, "grant_types")
	if err != nil {
		return nil, meta, err
	}
	if _, present := m["grant_types"]; !present {
		grants = []string{keypad.GrantAuthorizationCode} // RFC 7591 §2
	}
	for _, g := range grants {
		if !slices.Contains(dynamicGrants, g) && (prev == nil || !prev.AllowsGrant(g)) {
			if slices.Contains(keypad.AllGrantTypes, g) {
				return nil, meta, metadataError("grant_types", "%s cannot be registered dynamically; ask the operator to register the client. Registration offers %s", g, strings.Join(dynamicGrants, ", "))
			}
			return nil, meta, metadataError("grant_types", "unknown grant type %q; registration offers %s", g, strings.Join(dynamicGrants, ", "))
		}
		if !slices.Contains(c.GrantTypes, g) {
			c.GrantTypes = append(c.GrantTypes, g)
		}
	}
	if err := checkResponseTypes(m, c); err != nil {
		return nil, meta, err
	}
	if err := authMethodOf(m, c); err != nil {
		return nil, meta, err
	}
	if c.Name, err = string1(m, "client_name"); err != nil {
		return nil, meta, err
	}
	if strings.TrimSpace(c.Name) == "" {
		return nil, meta, metadataError("client_name", "is required: the name people see on consent pages and in messages")
	}
	if err := s.scopesOf(ctx, m, c, admin, prev); err != nil {
		return nil, meta, err
	}
	if err := registrationKeys(m, c); err != nil {
		return nil, meta, err
	}
	if raw, ok := m["dpop_bound_access_tokens"]; ok {
		var bound bool
		if err := json.Unmarshal(raw, &bound); err != nil {
			return nil, meta, metadataError("dpop_bound_access_tokens", "must be true or false")
		}
		if bound {
			c.Options.DPoP = keypad.DPoPRequired
		}
	}
	if meta, err = descriptiveOf(m); err != nil {
		return nil, meta, err
	}
	meta.StatementIssuer = md.issuer
	if err := meta.Validate(); err != nil {
		return nil, meta, validationToMetadata(err)
	}
	if prev != nil {
		return c, meta, nil
	}
	v := *c
	v.ID = "drawn-later"
	if err := v.Validate(); err != nil {
		return nil, meta, validationToMetadata(err)
	}
	return c, meta, nil
}

// checkResponseTypes allows response_types code (the default) and none
// at all, each consistent with the grant types (RFC 7591 §2.1).
func checkResponseTypes(m map[string]json.RawMessage, c *keypad.Client) error {
	types, err := strings1(m, "response_types")
	if err != nil {
		return err
	}
	if _, present := m["response_types"]; !present && c.AllowsGrant(keypad.GrantAuthorizationCode) {
		types = []string{"code"}
	}
	for _, t := range types {
		if t != "code" {
			return metadataError("response_types", "%q is not supported: keypad answers authorization requests with a code only", t)
		}
	}
	if code := slices.Contains(types, "code"); code != c.AllowsGrant(keypad.GrantAuthorizationCode) {
		return metadataError("response_types", "code and the grant type authorization_code go together (RFC 7591 section 2.1): list both or neither")
	}
	return nil
}

// authMethodOf reads token_endpoint_auth_method (client_secret_basic by
// default, RFC 7591 §2); none makes a public client.
func authMethodOf(m map[string]json.RawMessage, c *keypad.Client) error {
	method, err := string1(m, "token_endpoint_auth_method")
	if err != nil {
		return err
	}
	switch method {
	case "":
		method = keypad.AuthMethodSecretBasic
	case keypad.AuthMethodSecretBasic, keypad.AuthMethodSecretPost, keypad.AuthMethodPrivateKeyJWT:
	case keypad.AuthMethodNone:
		c.Public = true
	default:
		// Client.Validate words client_secret_jwt and unknown methods.
	}
	c.Options.TokenEndpointAuthMethod = method
	return nil
}

// scopesOf reads scope: scopes of the catalogue (and OpenID Connect's),
// the management scopes only for a caller with ScopeAdmin.
func (s *Server) scopesOf(ctx context.Context, m map[string]json.RawMessage, c *keypad.Client, admin *AdminCaller, prev *keypad.Client) error {
	scope, err := string1(m, "scope")
	if err != nil || scope == "" {
		return err
	}
	catalogue, err := s.store.ListScopes(ctx)
	if err != nil {
		return err
	}
	known := func(sc string) bool {
		if slices.Contains(AdminScopes, sc) {
			return true // needs no catalogue entry; registrationScopeAllowed decides
		}
		if slices.ContainsFunc(catalogue, func(k *keypad.Scope) bool { return k.Name == sc }) {
			return true
		}
		_, err := s.authCode()
		return err == nil && slices.ContainsFunc(OIDCScopes, func(k keypad.Scope) bool { return k.Name == sc })
	}
	for _, sc := range keypad.ParseScope(scope) {
		switch {
		case prev != nil && slices.Contains(prev.Scopes, sc):
		case !registrationScopeAllowed(admin, sc):
			return metadataError("scope", "%s is a management scope: only a registration authorised with an access token carrying %s may ask for it", sc, ScopeAdmin)
		case !known(sc):
			return metadataError("scope", "%q is not a scope this server offers; the metadata's scopes_supported lists them", sc)
		}
		c.Scopes = append(c.Scopes, sc)
	}
	return nil
}

// registrationKeys reads jwks (the client's public keys, inline) and jwks_uri.
func registrationKeys(m map[string]json.RawMessage, c *keypad.Client) error {
	if raw, ok := m["jwks"]; ok && string(raw) != "null" {
		if len(raw) == 0 || raw[0] != '{' {
			return metadataError("jwks", "must be a JWK Set: a JSON object with a keys array (RFC 7517 section 5)")
		}
		c.Options.AssertionKeys = slices.Clone(raw)
	}
	uri, err := string1(m, "jwks_uri")
	c.Options.JWKSURI = uri
	return err
}

// descriptiveOf reads the metadata that only describe the client.
func descriptiveOf(m map[string]json.RawMessage) (keypad.RegistrationMetadata, error) {
	var meta keypad.RegistrationMetadata
	var err error
	if meta.Contacts, err = strings1(m, "contacts"); err != nil {
		return meta, err
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{
		{"logo_uri", &meta.LogoURI}, {"client_uri", &meta.ClientURI}, {"policy_uri", &meta.PolicyURI},
		{"tos_uri", &meta.TOSURI}, {"software_id", &meta.SoftwareID}, {"software_version", &meta.SoftwareVersion},
	} {
		if *f.dst, err = string1(m, f.name); err != nil {
			return meta, err
		}
	}
	for name := range m {
		tag, ok := strings.CutPrefix(name, "client_name#")
		if !ok {
			continue
		}
		v, err := string1(m, name)
		if err != nil {
			return meta, err
		}
		if meta.ClientNames == nil {
			meta.ClientNames = map[string]string{}
		}
		meta.ClientNames[tag] = v
	}
	return meta, nil
}

// validationToMetadata words a domain rule's error as RFC 7591's, naming
// the metadata field rather than keypad's.
func validationToMetadata(err error) error {
	var ve *keypad.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	field := ve.Field
	switch field {
	case "name":
		field = "client_name"
	case "scopes":
		field = "scope"
	case "assertion_keys":
		field = "jwks"
	case "public":
		field = "token_endpoint_auth_method"
		return metadataError(field, "none (a public client): %s", strings.TrimPrefix(ve.Message, "clients "))
	case "dpop":
		field = "dpop_bound_access_tokens"
	}
	return metadataError(field, "%s", ve.Message)
}

// string1 reads an optional string member; "" when absent or null.
func string1(m map[string]json.RawMessage, name string) (string, error) {
	raw, ok := m[name]
	if !ok || string(raw) == "null" {
		return "", nil
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", metadataError(name, "must be a string")
	}
	return v, nil
}

// strings1 reads an optional array of strings; nil when absent or null.
func strings1(m map[string]json.RawMessage, name string) ([]string, error) {
	raw, ok := m[name]
	if !ok || string(raw) == "null" {
		return nil, nil
	}
	var v []string
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, metadataError(name, "must be an array of strings")
	}
	return v, nil
}

// registrationResponse is the client information response (RFC 7591
// §3.2.1, RFC 7592 §3): every metadata value registered, the client's
// credentials, and where and how to manage the registration. secret is
// "" except when it was just made.
func (s *Server) registrationResponse(c *keypad.Client, rec *keypad.ClientRegistration, secret, regToken, statement string) map[string]any {
	o := c.Options
	resp := map[string]any{
		"client_id":                  c.ID,
		"client_id_issued_at":        c.CreatedAt.Unix(),
		"client_name":                c.Name,
		"redirect_uris":              nonNil(c.RedirectURIs),
		"grant_types":                nonNil(c.GrantTypes),
		"response_types":             []string{},
		"token_endpoint_auth_method": o.TokenEndpointAuthMethod,
		"registration_access_token":  regToken,
		"registration_client_uri":    s.Endpoint(PathRegister + "/" + c.ID),
	}
	if c.AllowsGrant(keypad.GrantAuthorizationCode) {
		resp["response_types"] = []string{"code"}
	}
	if secret != "" {
		resp["client_secret"] = secret
	}
	if len(c.SecretHash) > 0 {
		resp["client_secret_expires_at"] = 0 // the secret does not expire
	}
	if len(c.Scopes) > 0 {
		resp["scope"] = keypad.FormatScope(c.Scopes)
	}
	if len(o.AssertionKeys) > 0 {
		resp["jwks"] = json.RawMessage(o.AssertionKeys)
	}
	if o.JWKSURI != "" {
		resp["jwks_uri"] = o.JWKSURI
	}
	if o.DPoPRequired() {
		resp["dpop_bound_access_tokens"] = true
	}
	md := rec.Metadata
	for name, v := range map[string]string{
		"logo_uri": md.LogoURI, "client_uri": md.ClientURI, "policy_uri": md.PolicyURI, "tos_uri": md.TOSURI,
		"software_id": md.SoftwareID, "software_version": md.SoftwareVersion,
	} {
		if v != "" {
			resp[name] = v
		}
	}
	if len(md.Contacts) > 0 {
		resp["contacts"] = md.Contacts
	}
	for tag, name := range md.ClientNames {
		resp["client_name#"+tag] = name
	}
	if statement != "" {
		resp["software_statement"] = statement
	}
	return resp
}

// nonNil makes a nil list encode as [] rather than null.
func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}
