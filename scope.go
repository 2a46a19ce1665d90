package keypad

import (
	"context"
	"strings"
)

// Scope is an entry of the scope catalogue: the description says in plain
// words what the scope lets a client do ("read your energy usage history").
// Consent pages and OTP messages show the description, never the name.
type Scope struct {
	Name        string
	Description string
}

// ScopeStore keeps the scope catalogue.
type ScopeStore interface {
	// PutScope creates or replaces a scope.
	PutScope(ctx context.Context, s *Scope) error
	// GetScope returns a scope, or ErrNotFound.
	GetScope(ctx context.Context, name string) (*Scope, error)
	// ListScopes returns the whole catalogue ordered by name.
	ListScopes(ctx context.Context) ([]*Scope, error)
	// DeleteScope removes a scope, or returns ErrNotFound.
	DeleteScope(ctx context.Context, name string) error
}

// ParseScope splits a space-delimited scope parameter (RFC 6749 §3.3) into
// its distinct values, keeping their first-seen order.
func ParseScope(s string) []string {
	var out []string
	seen := map[string]bool{}
	for _, f := range strings.Fields(s) {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

// FormatScope joins scopes for the wire.
func FormatScope(scopes []string) string { return strings.Join(scopes, " ") }
