package keypad

import (
	"fmt"
	"slices"
)

// ProfileFAPI2 is ClientOptions.Profile for the FAPI 2.0 Security
// Profile (docs/fapi.md): the client must be registered as the profile
// asks, and the endpoints hold it to the profile whatever else it sends.
const ProfileFAPI2 = "fapi2"

// fapi2Grants are the grant types a FAPI 2.0 client may use: the
// authorization code flow, its refresh tokens, and client credentials.
var fapi2Grants = []string{GrantAuthorizationCode, GrantRefreshToken, GrantClientCredentials}

// FAPI2 reports whether the client follows the FAPI 2.0 profile.
func (o ClientOptions) FAPI2() bool { return o.Profile == ProfileFAPI2 }

// DPoPRequired reports whether every token request must carry a DPoP
// proof: --dpop required, or the FAPI 2.0 profile.
func (o ClientOptions) DPoPRequired() bool { return o.DPoP == DPoPRequired || o.FAPI2() }

// PARRequired reports whether authorization requests must be pushed:
// --require-par, or the FAPI 2.0 profile.
func (o ClientOptions) PARRequired() bool { return o.RequirePAR || o.FAPI2() }

// validateProfile checks that a FAPI 2.0 client is registered as the
// profile asks (FAPI 2.0 Security Profile §5.3.2, §5.3.3): confidential,
// private_key_jwt (mTLS is not offered), DPoP required, PAR required, no
// plain PKCE, and only the grants the profile covers.
func (c *Client) validateProfile() error {
	o := c.Options
	bad := func(format string, args ...any) error {
		return &ValidationError{Field: "profile", Message: fmt.Sprintf("fapi2 "+format, args...)}
	}
	switch {
	case o.Profile == "":
		return nil
	case o.Profile != ProfileFAPI2:
		return bad("is the only profile; %q is unknown", o.Profile)
	case c.Public:
		return bad("clients are confidential: register the client without --public")
	case o.TokenEndpointAuthMethod != AuthMethodPrivateKeyJWT:
		return bad("clients authenticate with private_key_jwt (mutual TLS is not offered): set --auth-method private_key_jwt and register its keys")
	case o.DPoP != DPoPRequired:
		return bad("clients get sender-constrained tokens: set --dpop required")
	case !o.RequirePAR:
		return bad("clients push their authorization requests: set --require-par")
	case o.AllowPlainPKCE:
		return bad("clients use PKCE with S256 only: remove --allow-plain-pkce")
	}
	for _, g := range c.GrantTypes {
		if !slices.Contains(fapi2Grants, g) {
			return bad("clients use authorization_code, refresh_token and client_credentials only, not %s", g)
		}
	}
	return nil
}
