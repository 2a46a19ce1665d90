package oauth

import (
	"slices"
	"strings"
)

// Scopes in keypad are plain strings, except that a client may be
// registered with patterns such as device:{id}:control (DESIGN.md, story
// 3). A pattern is never granted as it is: a request names one concrete
// instance (device:abc123:control) and the token carries exactly that
// string. From then on the instance is an ordinary scope: narrowing a
// grant (a refresh, a token request with scope) compares strings, so a
// token for device:abc123:read can never become one for another device.
// Every scope rule of the protocol lives in this file: what a client gets
// by default, what it may request, what a refresh may narrow to, and the
// pattern matcher.

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

// isScopePattern reports whether a client scope is a pattern such as
// device:{id}:control, which stands for a family of scopes. Patterns are
// never granted as they are, nor by default: a flow that binds the pattern
// to one concrete value (the device flow, say) grants that value.
func isScopePattern(s string) bool { return strings.ContainsAny(s, "{}") }

// defaultScopes is what a client gets when it asks for none (RFC 6749
// §3.3): its registered scopes minus patterns.
func defaultScopes(client []string) []string {
	var out []string
	for _, s := range client {
		if !isScopePattern(s) {
			out = append(out, s)
		}
	}
	return out
}

// checkScopes resolves a requested scope against the client's registered
// ones: none requested gives the defaults; otherwise every requested scope
// must be a literal client scope, else invalid_scope naming the first one
// that is not.
func checkScopes(requested, client []string) ([]string, error) {
	if len(requested) == 0 {
		return defaultScopes(client), nil
	}
	for _, r := range requested {
		if isScopePattern(r) || !slices.Contains(client, r) {
			return nil, InvalidScope("scope '%s' is not allowed for this client", r)
		}
	}
	return requested, nil
}

// deviceScopes resolves the requested scope like checkScopes, and also
// lets a device ask for one concrete instance of a client's scope pattern
// (device:abc123:control under device:{id}:control, DESIGN.md story 3):
// the person then approves exactly that device, never the whole family.
func deviceScopes(requested, client []string) ([]string, error) {
	if len(requested) == 0 {
		return checkScopes(nil, client)
	}
	var literal []string
	for _, r := range requested {
		if isScopePattern(r) || slices.Contains(client, r) || !matchesPattern(client, r) {
			literal = append(literal, r)
		}
	}
	if _, err := checkScopes(literal, client); err != nil {
		return nil, err
	}
	return requested, nil
}

// matchesPattern reports whether s instantiates one of the patterns among
// scopes: each {name} stands for one non-empty run of letters, digits,
// '.', '_' or '-' (never ':' or a space, so a value cannot reach into the
// next segment).
func matchesPattern(scopes []string, s string) bool {
	for _, p := range scopes {
		if isScopePattern(p) && matchPattern(p, s) {
			return true
		}
	}
	return false
}

// matchPattern reports whether s instantiates the one pattern.
func matchPattern(pattern, s string) bool {
	for pattern != "" {
		open := strings.IndexByte(pattern, '{')
		if open < 0 {
			return pattern == s
		}
		end := strings.IndexByte(pattern[open:], '}')
		if end < 0 || !strings.HasPrefix(s, pattern[:open]) {
			return false
		}
		s, pattern = s[open:], pattern[open+end+1:]
		n := 0
		for n < len(s) && isValueByte(s[n]) {
			n++
		}
		if n == 0 {
			return false
		}
		s = s[n:]
	}
	return s == ""
}

// isValueByte reports whether c may stand in a pattern's {name}.
func isValueByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '.' || c == '_' || c == '-'
}
