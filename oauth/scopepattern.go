package oauth

import (
	"slices"
)

// Scopes in keypad are plain strings, except that a client may be
// registered with patterns such as device:{id}:control (DESIGN.md, story
// 3). A pattern is never granted as it is: a request names one concrete
// instance (device:abc123:control) and the token carries exactly that
// string. From then on the instance is an ordinary scope: narrowing a
// grant (a refresh, a token request with scope) compares strings, so a
// token for device:abc123:read can never become one for another device.
// The matcher itself (matchPattern) lives in device.go, whose flow was the
// first to need it.

// requestableScopes resolves the scope of an authorization or password
// request against the client's registration: none requested gives the
// client's literal scopes; otherwise each requested scope must be a
// literal client scope or one instance of a client pattern. Patterns
// themselves cannot be requested.
func requestableScopes(requested, client []string) ([]string, error) {
	return deviceScopes(requested, client)
}

// narrowScopes resolves a scope parameter that may only narrow what was
// granted (RFC 6749 §6 for refresh, §4.1.3-style for the code exchange):
// none requested keeps the grant's scopes; otherwise every requested scope
// must be one of the granted strings exactly.
func narrowScopes(requested, granted []string) ([]string, error) {
	if len(requested) == 0 {
		return granted, nil
	}
	for _, r := range requested {
		if !slices.Contains(granted, r) {
			return nil, InvalidScope("scope '%s' was not granted; a refresh may only ask for the granted scopes or fewer", r)
		}
	}
	return requested, nil
}

// hasScope reports whether scopes holds s.
func hasScope(scopes []string, s string) bool { return slices.Contains(scopes, s) }
