package manage

import (
	"fmt"
	"regexp"
)

// FieldError is a value of a management request that breaks a rule.
// Field is the field at fault, as the API's JSON names it (access_ttl);
// Text says what is wrong and what is allowed, naming fields as
// "{access_ttl}", so that the CLI can say "--access-ttl" and the API
// "access_ttl".
type FieldError struct {
	Field string
	Text  string
}

// fieldRef is a field's name in a FieldError's Text.
var fieldRef = regexp.MustCompile(`\{([a-z_]+)\}`)

// Render is the text with each field named by name.
func (e *FieldError) Render(name func(field string) string) string {
	return fieldRef.ReplaceAllStringFunc(e.Text, func(ref string) string {
		return name(ref[1 : len(ref)-1])
	})
}

// Error names the fields as the API does.
func (e *FieldError) Error() string {
	return e.Render(func(f string) string { return f })
}

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Text: fmt.Sprintf(format, args...)}
}
