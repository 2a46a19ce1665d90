package keypad

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"golang.org/x/text/language"
)

// Descriptions are a scope's or a client's descriptions in other
// languages than its default Description, by BCP 47 tag ("es": "lea su
// historial de consumo"). The pages and messages show the one in the
// person's language (In), else the default.
type Descriptions map[string]string

// MaxDescriptions bounds the languages one scope or client describes
// itself in.
const MaxDescriptions = 32

// In returns the description for the language tag: the tag's own, else
// its base language's ("es" for "es-MX"), else def.
func (d Descriptions) In(tag, def string) string {
	if len(d) == 0 || tag == "" {
		return def
	}
	if s, ok := d[tag]; ok && s != "" {
		return s
	}
	t, err := language.Parse(tag)
	if err != nil {
		return def
	}
	base, _ := t.Base()
	if s, ok := d[base.String()]; ok && s != "" {
		return s
	}
	return def
}

// validate checks each tag is a canonical BCP 47 tag and each text one
// line of printable text, as Description is.
func (d Descriptions) validate(field string) error {
	if len(d) > MaxDescriptions {
		return &ValidationError{Field: field, Message: fmt.Sprintf("has %d languages; at most %d", len(d), MaxDescriptions)}
	}
	for _, tag := range slices.Sorted(maps.Keys(d)) {
		t, err := language.Parse(tag)
		if err != nil || t.String() != tag {
			return &ValidationError{Field: field, Message: fmt.Sprintf("%q is not a language tag in canonical form: use a BCP 47 tag such as es or pt-BR", tag)}
		}
		if strings.TrimSpace(d[tag]) == "" {
			return &ValidationError{Field: field, Message: fmt.Sprintf("the %s description is empty: leave the language out instead", tag)}
		}
		if err := checkText(field, d[tag]); err != nil {
			return err
		}
	}
	return nil
}

// DescriptionIn is the scope's description in the language tag, else its
// default Description.
func (s *Scope) DescriptionIn(tag string) string { return s.Descriptions.In(tag, s.Description) }

// DescriptionIn is the client's description in the language tag, else
// its default Description.
func (c *Client) DescriptionIn(tag string) string { return c.Descriptions.In(tag, c.Description) }
