package keypad

import (
	"fmt"
	"net/url"
	"strings"
)

// maxAudiences bounds a client's registered audiences.
const maxAudiences = 20

// validateAudiences checks ClientOptions.Audiences: each an absolute URI
// without a fragment (a resource indicator, RFC 8707 §2), at most
// maxAudiences, no duplicates.
func (o ClientOptions) validateAudiences() error {
	if len(o.Audiences) > maxAudiences {
		return &ValidationError{Field: "audiences", Message: fmt.Sprintf("lists %d; register at most %d", len(o.Audiences), maxAudiences)}
	}
	seen := map[string]bool{}
	for _, a := range o.Audiences {
		u, err := url.Parse(a)
		if err != nil || !u.IsAbs() || strings.Contains(a, "#") || strings.ContainsFunc(a, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			return &ValidationError{Field: "audiences", Message: fmt.Sprintf("%q is not a resource indicator: use an absolute URI without a fragment, e.g. https://api.example.com/ (RFC 8707 section 2)", a)}
		}
		if seen[a] {
			return &ValidationError{Field: "audiences", Message: fmt.Sprintf("%q is listed twice", a)}
		}
		seen[a] = true
	}
	return nil
}
