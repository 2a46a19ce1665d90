package i18n

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// message is one catalogue entry: a text, or one text per CLDR plural
// category ("one", "other", ...).
type message struct {
	text   string
	plural map[string]string
}

// UnmarshalJSON reads a string or an object of plural categories.
func (m *message) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &m.text)
	}
	if err := json.Unmarshal(b, &m.plural); err != nil {
		return fmt.Errorf("want a string or an object of plural forms: %w", err)
	}
	for cat := range m.plural {
		if _, ok := pluralForms[cat]; !ok {
			return fmt.Errorf("%q is not a CLDR plural category (zero, one, two, few, many, other)", cat)
		}
	}
	if _, ok := m.plural["other"]; !ok {
		return fmt.Errorf("a plural message needs its \"other\" form")
	}
	return nil
}

// texts are the message's texts, the plural forms in a fixed order.
func (m message) texts() []string {
	if m.plural == nil {
		return []string{m.text}
	}
	var out []string
	for _, k := range slices.Sorted(maps.Keys(m.plural)) {
		out = append(out, m.plural[k])
	}
	return out
}

// catalogue is one language's messages.
type catalogue map[string]message

// parseCatalogue reads a catalogue file.
func parseCatalogue(name string, b []byte) (catalogue, error) {
	var c catalogue
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("i18n: catalogue %s: %w", name, err)
	}
	return c, nil
}

// placeholderRE finds "{Name}" in a text.
var placeholderRE = regexp.MustCompile(`\{([A-Za-z][A-Za-z0-9]*)\}`)

// placeholders are the names a text uses, sorted, each once.
func placeholders(texts ...string) []string {
	set := map[string]bool{}
	for _, t := range texts {
		for _, m := range placeholderRE.FindAllStringSubmatch(t, -1) {
			set[m[1]] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// fill replaces each {Name} with its value; an unknown name stays as it
// is, so a mistake shows rather than vanishes.
func fill(text string, vals map[string]string) string {
	if !strings.Contains(text, "{") {
		return text
	}
	return placeholderRE.ReplaceAllStringFunc(text, func(m string) string {
		if v, ok := vals[m[1:len(m)-1]]; ok {
			return v
		}
		return m
	})
}
