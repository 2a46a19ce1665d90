package keypad_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/keypadauth/keypad"
)

// wantInvalid checks that err is a *keypad.ValidationError for field whose
// message contains want ("" means err must be nil).
func wantInvalid(t *testing.T, err error, field, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("Validate() = %v, want nil", err)
		}
		return
	}
	var ve *keypad.ValidationError
	if !errors.As(err, &ve) || ve.Field != field || !strings.Contains(ve.Message, want) {
		t.Fatalf("Validate() = %v, want a %s error containing %q", err, field, want)
	}
}

func TestClientValidate(t *testing.T) {
	good := func() *keypad.Client {
		return &keypad.Client{
			ID: "tv", Name: "Living Room TV", Description: "Plays music", Public: true,
			GrantTypes: []string{keypad.GrantDeviceCode}, Scopes: []string{"music:read"},
		}
	}
	for _, tt := range []struct {
		name, field, want string
		mutate            func(*keypad.Client)
	}{
		{"OK", "", "", func(*keypad.Client) {}},
		{"OKResourceServer", "", "", func(c *keypad.Client) { c.GrantTypes, c.Public = nil, false }},
		{"ErrNameCRLF", "name", "control character", func(c *keypad.Client) { c.Name = "TV\r\nBcc: victim@example.com" }},
		{"ErrNameLF", "name", "control character", func(c *keypad.Client) { c.Name = "TV\n" }},
		{"ErrNameLineSeparator", "name", "control character", func(c *keypad.Client) { c.Name = "TV\u2028x" }},
		{"ErrNameNUL", "name", "control character", func(c *keypad.Client) { c.Name = "TV\x00" }},
		{"ErrDescriptionCR", "description", "control character", func(c *keypad.Client) { c.Description = "a\rb" }},
		{"ErrNoName", "name", "is required", func(c *keypad.Client) { c.Name = " " }},
		{"ErrID", "id", "use 1 to 64 letters", func(c *keypad.Client) { c.ID = "a\nb" }},
		{"ErrNoID", "id", "use 1 to 64 letters", func(c *keypad.Client) { c.ID = "" }},
		{"ErrUnknownGrant", "grant_types", `unknown grant type "implicit"`, func(c *keypad.Client) { c.GrantTypes = []string{"implicit"} }},
		{"ErrSAML2NoIdPs", "saml_idps", "is required with saml2-bearer", func(c *keypad.Client) { c.Public = false; c.GrantTypes = []string{keypad.GrantSAML2Bearer} }},
		{"ErrSAML2BadIdPID", "saml_idps", "is not an identity provider ID", func(c *keypad.Client) {
			c.Public = false
			c.GrantTypes = []string{keypad.GrantSAML2Bearer}
			c.Options.SAMLIdPs = []string{"idp_ok", "x y"}
		}},
		{"ErrPublicSAML", "public", "cannot use assertion grants", func(c *keypad.Client) { c.GrantTypes = []string{keypad.GrantSAML2Bearer} }},
		{"ErrPublicClientCredentials", "public", "cannot use client_credentials", func(c *keypad.Client) { c.GrantTypes = []string{keypad.GrantClientCredentials} }},
		{"ErrPublicAssertion", "public", "cannot use assertion grants", func(c *keypad.Client) { c.GrantTypes = []string{keypad.GrantJWTBearer} }},
		{"ErrScopeCRLF", "scopes", "is not a valid scope", func(c *keypad.Client) { c.Scopes = []string{"read\r\n"} }},
		{"ErrAuthCodeNoRedirect", "redirect_uris", "is required with authorization_code", func(c *keypad.Client) { c.GrantTypes = []string{keypad.GrantAuthorizationCode} }},
		{"ErrRedirectCRLF", "redirect_uris", "control character", func(c *keypad.Client) { c.RedirectURIs = []string{"https://a.example/cb\r\nX: y"} }},
		{"ErrRedirectHTTP", "redirect_uris", "must use https", func(c *keypad.Client) { c.RedirectURIs = []string{"http://a.example/cb"} }},
		{"OKRedirectLoopback", "", "", func(c *keypad.Client) { c.RedirectURIs = []string{"http://127.0.0.1:8765/cb", "http://[::1]/cb"} }},
		{"ErrTokenFormat", "token_format", "use jwt or opaque", func(c *keypad.Client) { c.TokenFormat = "paseto" }},
		{"ErrJWTBearerNoKeys", "assertion_keys", "is required with jwt-bearer", func(c *keypad.Client) { c.Public = false; c.GrantTypes = []string{keypad.GrantJWTBearer} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := good()
			tt.mutate(c)
			wantInvalid(t, c.Validate(), tt.field, tt.want)
		})
	}
}

func TestSubjectValidate(t *testing.T) {
	for _, tt := range []struct {
		name, field, want string
		s                 keypad.Subject
	}{
		{"OK", "", "", keypad.Subject{ID: "s1", Username: "heather", Name: "Heather Q", Email: "h@example.com"}},
		{"OKNoUsername", "", "", keypad.Subject{ID: "s1", Phone: "+14155550123"}},
		{"ErrNoID", "id", "is required", keypad.Subject{Username: "heather"}},
		{"ErrUsernameCRLF", "username", "control character", keypad.Subject{ID: "s1", Username: "heather\r\nx"}},
		{"ErrUsernameSpace", "username", "starts or ends with a space", keypad.Subject{ID: "s1", Username: "heather "}},
		{"ErrNameLF", "name", "control character", keypad.Subject{ID: "s1", Name: "Heather\nBcc: x"}},
		{"ErrEmailCR", "email", "control character", keypad.Subject{ID: "s1", Email: "h@example.com\r"}},
		{"ErrIdentifier", "address", "control character", keypad.Subject{ID: "s1", Identifiers: []keypad.Identifier{{Type: keypad.IdentifierAddress, Value: "1 Main\nSt"}}}},
	} {
		t.Run(tt.name, func(t *testing.T) { wantInvalid(t, tt.s.Validate(), tt.field, tt.want) })
	}
}

func TestScopeValidate(t *testing.T) {
	for _, tt := range []struct {
		name, field, want string
		s                 keypad.Scope
	}{
		{"OK", "", "", keypad.Scope{Name: "usage:read", Description: "Read your energy usage"}},
		{"ErrName", "name", "is not a valid scope name", keypad.Scope{Name: "usage\r\nread", Description: "x"}},
		{"ErrNoDescription", "description", "is required", keypad.Scope{Name: "usage:read"}},
		{"ErrDescriptionLF", "description", "control character", keypad.Scope{Name: "usage:read", Description: "Read\nyour usage"}},
	} {
		t.Run(tt.name, func(t *testing.T) { wantInvalid(t, tt.s.Validate(), tt.field, tt.want) })
	}
}

// ecJWKS is a JWK Set with one EC P-256 public key (the P-256 generator).
const ecJWKS = `{"keys":[{"kty":"EC","crv":"P-256","kid":"k1",` +
	`"x":"axfR8uEsQkf4vOblY6RA8ncDfYEt6zOg9KE5RdiYwpY","y":"T-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU"}]}`

func TestClientValidateAuthMethod(t *testing.T) {
	good := func() *keypad.Client {
		return &keypad.Client{ID: "svc", Name: "Service", GrantTypes: []string{keypad.GrantClientCredentials},
			Options: keypad.ClientOptions{TokenEndpointAuthMethod: keypad.AuthMethodPrivateKeyJWT, AssertionKeys: []byte(ecJWKS)}}
	}
	for _, tt := range []struct {
		name, field, want string
		mutate            func(*keypad.Client)
	}{
		{"OKKeyJWTInline", "", "", func(*keypad.Client) {}},
		{"OKKeyJWTURI", "", "", func(c *keypad.Client) {
			c.Options.AssertionKeys, c.Options.JWKSURI = nil, "https://svc.example.com/jwks.json"
		}},
		{"OKKeyJWTURILoopbackHTTP", "", "", func(c *keypad.Client) { c.Options.AssertionKeys, c.Options.JWKSURI = nil, "http://127.0.0.1:8080/jwks" }},
		{"OKUnset", "", "", func(c *keypad.Client) { c.Options.TokenEndpointAuthMethod = "" }},
		{"OKBasic", "", "", func(c *keypad.Client) { c.Options.TokenEndpointAuthMethod = keypad.AuthMethodSecretBasic }},
		{"OKPublicNone", "", "", func(c *keypad.Client) {
			c.Public, c.GrantTypes, c.Options = true, []string{keypad.GrantDeviceCode}, keypad.ClientOptions{TokenEndpointAuthMethod: keypad.AuthMethodNone}
		}},
		{"ErrSecretJWT", "token_endpoint_auth_method", "stores only a hash", func(c *keypad.Client) { c.Options.TokenEndpointAuthMethod = keypad.AuthMethodSecretJWT }},
		{"ErrUnknown", "token_endpoint_auth_method", "unknown method", func(c *keypad.Client) { c.Options.TokenEndpointAuthMethod = "tls_client_auth" }},
		{"ErrNoneConfidential", "token_endpoint_auth_method", "public clients only", func(c *keypad.Client) { c.Options.TokenEndpointAuthMethod = keypad.AuthMethodNone }},
		{"ErrPublicKeyJWT", "token_endpoint_auth_method", "needs a confidential client", func(c *keypad.Client) {
			c.Public, c.GrantTypes = true, []string{keypad.GrantDeviceCode}
		}},
		{"ErrKeyJWTNoKeys", "jwks", "is required with private_key_jwt", func(c *keypad.Client) { c.Options.AssertionKeys = nil }},
		{"ErrKeysAndURI", "jwks_uri", "not both", func(c *keypad.Client) { c.Options.JWKSURI = "https://svc.example.com/jwks.json" }},
		{"ErrURIWithoutKeyJWT", "jwks_uri", "only read for private_key_jwt", func(c *keypad.Client) {
			c.Options = keypad.ClientOptions{JWKSURI: "https://svc.example.com/jwks.json"}
		}},
		{"ErrURIHTTP", "jwks_uri", "must use https", func(c *keypad.Client) {
			c.Options.AssertionKeys, c.Options.JWKSURI = nil, "http://svc.example.com/jwks"
		}},
		{"ErrURIRelative", "jwks_uri", "not an absolute URL", func(c *keypad.Client) { c.Options.AssertionKeys, c.Options.JWKSURI = nil, "/jwks" }},
		{"ErrURIUserinfo", "jwks_uri", "user info", func(c *keypad.Client) {
			c.Options.AssertionKeys, c.Options.JWKSURI = nil, "https://a:b@svc.example.com/jwks"
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := good()
			tt.mutate(c)
			wantInvalid(t, c.Validate(), tt.field, tt.want)
		})
	}
}
