package keypad

import (
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"unicode"
)

// Validate checks the rules every registered client must meet, wherever
// it is created or changed (the CLI, the demo seed, an API), so that they
// cannot disagree. It returns a *ValidationError naming the field (its
// registration name: id, name, grant_types, public, scopes,
// redirect_uris, token_format, or an option's), whose message says what
// is allowed. Secrets and times are not its business.
func (c *Client) Validate() error {
	if !ValidClientID(c.ID) {
		return &ValidationError{Field: "id", Message: fmt.Sprintf("%q is not a usable client ID: use 1 to 64 letters, digits, '.', '_' or '-'", c.ID)}
	}
	if strings.TrimSpace(c.Name) == "" {
		return &ValidationError{Field: "name", Message: "is required: a name people recognise on consent pages and in messages"}
	}
	if err := checkText("name", c.Name); err != nil {
		return err
	}
	if err := checkText("description", c.Description); err != nil {
		return err
	}
	if err := c.Descriptions.validate("descriptions"); err != nil {
		return err
	}
	if err := c.validateGrants(); err != nil {
		return err
	}
	for _, sc := range c.Scopes {
		if !ValidScopeToken(sc) {
			return &ValidationError{Field: "scopes", Message: fmt.Sprintf("%q is not a valid scope (RFC 6749 §3.3: printable ASCII without spaces, '\"' or '\\')", sc)}
		}
	}
	for _, u := range c.RedirectURIs {
		if err := CheckRedirectURI(u); err != nil {
			return &ValidationError{Field: "redirect_uris", Message: fmt.Sprintf("%q %v", u, err)}
		}
	}
	if c.AllowsGrant(GrantAuthorizationCode) && len(c.RedirectURIs) == 0 {
		return &ValidationError{Field: "redirect_uris", Message: "is required with authorization_code: where to send people back after sign-in"}
	}
	switch c.TokenFormat {
	case "", FormatJWT, FormatOpaque:
	default:
		return &ValidationError{Field: "token_format", Message: fmt.Sprintf("%q: use jwt or opaque", c.TokenFormat)}
	}
	if err := c.Options.Validate(); err != nil {
		return err
	}
	if c.AllowsGrant(GrantJWTBearer) && len(c.Options.AssertionKeys) == 0 {
		return &ValidationError{Field: "assertion_keys", Message: "is required with jwt-bearer: a file with the partner's public keys (a JWK Set, or PEM), which its assertions are checked against"}
	}
	if c.AllowsGrant(GrantSAML2Bearer) && len(c.Options.SAMLIdPs) == 0 {
		return &ValidationError{Field: "saml_idps", Message: "is required with saml2-bearer: the IDs of the identity providers whose assertions the client may trade (keypad idp list)"}
	}
	for _, id := range c.Options.SAMLIdPs {
		if !ValidIdPID(id) {
			return &ValidationError{Field: "saml_idps", Message: fmt.Sprintf("%q is not an identity provider ID (idp_ and letters or digits; keypad idp list shows them)", id)}
		}
	}
	if err := c.validateAuthMethod(); err != nil {
		return err
	}
	return c.validateProfile()
}

// validateAuthMethod checks the registered token_endpoint_auth_method
// against the client's kind and keys: none is for public clients only,
// and a public client can use nothing else; private_key_jwt needs keys,
// inline or at a jwks_uri, but not both (two sources could disagree);
// client_secret_jwt is refused (see AuthMethodSecretJWT).
func (c *Client) validateAuthMethod() error {
	o := c.Options
	bad := func(format string, args ...any) error {
		return &ValidationError{Field: "token_endpoint_auth_method", Message: fmt.Sprintf(format, args...)}
	}
	switch m := o.TokenEndpointAuthMethod; m {
	case "":
	case AuthMethodSecretJWT:
		return bad("client_secret_jwt is not offered: keypad stores only a hash of each client secret, and an HS256 signature needs the secret itself; register the client's public keys and use private_key_jwt")
	case AuthMethodNone:
		if !c.Public {
			return bad("none is for public clients only; a confidential client authenticates with its secret or its keys")
		}
	case AuthMethodSecretBasic, AuthMethodSecretPost, AuthMethodPrivateKeyJWT:
		if c.Public {
			return bad("%s needs a confidential client; a public client authenticates with none", m)
		}
	default:
		return bad("unknown method %q; use %s, %s, %s or %s", m, AuthMethodSecretBasic, AuthMethodSecretPost, AuthMethodPrivateKeyJWT, AuthMethodNone)
	}
	keyJWT := o.TokenEndpointAuthMethod == AuthMethodPrivateKeyJWT
	switch {
	case o.JWKSURI != "" && !keyJWT:
		return &ValidationError{Field: "jwks_uri", Message: "is only read for private_key_jwt clients: set token_endpoint_auth_method to private_key_jwt, or remove it"}
	case o.JWKSURI != "" && len(o.AssertionKeys) > 0:
		return &ValidationError{Field: "jwks_uri", Message: "and registered keys exclude each other: give the keys inline (a JWK Set) or a jwks_uri, not both"}
	case keyJWT && o.JWKSURI == "" && len(o.AssertionKeys) == 0:
		return &ValidationError{Field: "jwks", Message: "is required with private_key_jwt: register the client's public keys (a JWK Set) or a jwks_uri where it publishes them"}
	}
	return nil
}

// CheckJWKSURI applies the rules of a client's jwks_uri: an absolute
// https URL (plain http only to a loopback host, for tests and local
// development) without user info or fragment. Whether its host may be a
// private address is decided when it is fetched, against the address
// actually dialled. The error reads after the URI.
func CheckJWKSURI(s string) error {
	if hasControl(s) {
		return fmt.Errorf("contains a control character (such as a line break)")
	}
	u, err := url.Parse(s)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "":
		return fmt.Errorf("is not an absolute URL")
	case u.User != nil || u.Fragment != "":
		return fmt.Errorf("must not have user info or a fragment")
	case u.Scheme == "https":
	case u.Scheme == "http":
		ip, err := netip.ParseAddr(u.Hostname())
		if u.Hostname() != "localhost" && (err != nil || !ip.IsLoopback()) {
			return fmt.Errorf("must use https: the keys must come from the client, not whoever sits on the network path")
		}
	default:
		return fmt.Errorf("must be an https URL")
	}
	return nil
}

// validateGrants checks the grant types and which of them a public
// client may use. None at all is allowed: a resource server registers
// only to introspect tokens.
func (c *Client) validateGrants() error {
	for _, g := range c.GrantTypes {
		if !slices.Contains(AllGrantTypes, g) {
			return &ValidationError{Field: "grant_types", Message: fmt.Sprintf("unknown grant type %q; known: %s", g, strings.Join(AllGrantTypes, ", "))}
		}
	}
	if c.Public && c.AllowsGrant(GrantClientCredentials) {
		return &ValidationError{Field: "public", Message: "clients cannot use client_credentials: that grant needs a client secret"}
	}
	if c.Public && c.AllowsGrant(GrantCIBA) {
		return &ValidationError{Field: "public", Message: "clients cannot use the CIBA grant: CIBA Core §4 requires client authentication at the backchannel endpoint"}
	}
	if !c.AllowsGrant(GrantCIBA) && c.Options.CIBA != (CIBAOptions{}) {
		return &ValidationError{Field: "backchannel_token_delivery_mode", Message: "is set but the client is not registered for the CIBA grant; add " + GrantCIBA + " to its grant types"}
	}
	if c.Public && (c.AllowsGrant(GrantJWTBearer) || c.AllowsGrant(GrantSAML2Bearer)) {
		return &ValidationError{Field: "public", Message: "clients cannot use assertion grants: a partner's assertion must come with client authentication"}
	}
	return nil
}

// CheckRedirectURI applies RFC 6749 §3.1.2 and RFC 8252: an absolute URI
// without a fragment; plain http only to loopback (native apps); other
// schemes only as reverse-domain private-use schemes (com.example.app:/).
// The error reads after the URI ("… is not an absolute URI").
func CheckRedirectURI(s string) error {
	if hasControl(s) {
		return fmt.Errorf("contains a control character (such as a line break)")
	}
	u, err := url.Parse(s)
	switch {
	case err != nil || !u.IsAbs():
		return fmt.Errorf("is not an absolute URI")
	case u.Fragment != "" || strings.Contains(s, "#"):
		return fmt.Errorf("must not have a fragment (RFC 6749 §3.1.2)")
	case u.Scheme == "https":
		if u.Host == "" {
			return fmt.Errorf("has no host")
		}
	case u.Scheme == "http":
		ip, err := netip.ParseAddr(u.Hostname())
		if u.Hostname() != "localhost" && (err != nil || !ip.IsLoopback()) {
			return fmt.Errorf("must use https; plain http is for loopback redirects of native apps only")
		}
	case !strings.Contains(u.Scheme, "."):
		return fmt.Errorf("uses scheme %q: private-use schemes must be reverse domain names like com.example.app (RFC 8252 §7.1)", u.Scheme)
	}
	return nil
}

// ValidScopeToken reports whether s is a scope-token (RFC 6749 §3.3):
// printable ASCII without spaces, '"' or '\', so no control characters.
func ValidScopeToken(s string) bool {
	for _, r := range s {
		if r < 0x21 || r > 0x7e || r == '"' || r == '\\' {
			return false
		}
	}
	return s != ""
}

// ValidClientID keeps client IDs easy to type, log and put in URLs.
func ValidClientID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// hasControl reports a control character (C0, DEL, C1) or a Unicode line
// or paragraph separator: each can end a line in an email header, a text
// message or a log line, so a name holding one could forge a header or
// a line.
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
	})
}

// checkText refuses control characters in a text people read: names and
// descriptions go into emails, texts and pages.
func checkText(field, s string) error {
	if hasControl(s) {
		return &ValidationError{Field: field, Message: fmt.Sprintf("%q contains a control character (such as a line break); names and descriptions appear in emails and text messages, so use printable text on one line", s)}
	}
	return nil
}
