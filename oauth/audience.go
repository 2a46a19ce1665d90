package oauth

import (
	"net/url"
	"slices"
	"strings"

	"github.com/keypadauth/keypad"
)

// clientAudiences holds a request to the client's registered audiences
// (keypad.ClientOptions.Audiences): with none registered anything goes;
// with some, the request must name at least one resource and only
// registered ones, else invalid_target (RFC 8707 §2). It is checked at
// the authorization and PAR endpoints, at device authorization, before a
// token grant runs (so nothing is used up), and on the aud of every
// access token Server.issue mints.
func clientAudiences(c *keypad.Client, resources []string) *Error {
	reg := c.Options.Audiences
	if len(reg) == 0 {
		return nil
	}
	if len(resources) == 0 {
		return NewError(CodeInvalidTarget, "this client registered its audiences: name one with resource (%s); tokens without one are not issued to it", strings.Join(reg, ", "))
	}
	for _, r := range resources {
		if !slices.Contains(reg, r) {
			return NewError(CodeInvalidTarget, "resource '%s' is not one of this client's registered audiences (%s)", r, strings.Join(reg, ", "))
		}
	}
	return nil
}

// followsAuthorization are the grants whose resource was named at an
// earlier request (the authorization code, the refresh token, the device
// code): at the token endpoint resource may be left out.
var followsAuthorization = []string{keypad.GrantAuthorizationCode, keypad.GrantRefreshToken, keypad.GrantDeviceCode}

// tokenAudiences is clientAudiences for a token request, before its grant
// runs: a resource it names must be registered, and a grant that follows
// no earlier authorization must name one.
func tokenAudiences(c *keypad.Client, grantType string, form url.Values) *Error {
	rs := form["resource"]
	if len(rs) == 0 && slices.Contains(followsAuthorization, grantType) {
		return nil
	}
	return clientAudiences(c, rs)
}
