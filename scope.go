package keypad

import (
	"context"
	"fmt"
	"strings"
)

// Scope is an entry of the scope catalogue: the description says in plain
// words what the scope lets a client do ("read your energy usage history").
// Consent pages and OTP messages show the description, never the name.
type Scope struct {
	Name        string
	Description string
	// Descriptions are Description in other languages (description.go).
	Descriptions Descriptions
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

// Validate checks a catalogue entry before it is stored: the name is a
// scope-token (RFC 6749 §3.3) and the description, which people read on
// consent pages and in one-time-code messages, is one line of printable
// text. It returns a *ValidationError naming the field.
func (s *Scope) Validate() error {
	if !ValidScopeToken(s.Name) {
		return &ValidationError{Field: "name", Message: fmt.Sprintf("%q is not a valid scope name (RFC 6749 §3.3: printable ASCII without spaces, '\"' or '\\')", s.Name)}
	}
	if strings.TrimSpace(s.Description) == "" {
		return &ValidationError{Field: "description", Message: "is required: people read it when they consent"}
	}
	if err := checkText("description", s.Description); err != nil {
		return err
	}
	return s.Descriptions.validate("descriptions")
}
