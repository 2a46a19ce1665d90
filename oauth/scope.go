package oauth

import (
	"slices"
	"strings"
)

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
