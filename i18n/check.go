package i18n

import (
	"fmt"
	"slices"
	"strings"
)

// Check reports what is wrong with the bundle's catalogues, one line
// each: a key the default language has and another lacks (or the
// reverse), a text whose placeholders differ from the default language's,
// a plural message without a form the language's CLDR rules need, or a
// plain text where the default language has a plural. Nothing reported,
// nothing wrong. Missing keys fall back to the default language at run
// time, so an operator's partial file still works; keypad's own
// catalogues must pass whole (the package's test).
func (b *Bundle) Check() []string {
	var out []string
	def := b.cats[0]
	for i := 1; i < len(b.tags); i++ {
		tag, cat := b.tags[i].String(), b.cats[i]
		for _, key := range sortedKeys(def) {
			m, ok := cat[key]
			if !ok {
				out = append(out, fmt.Sprintf("%s: %s is missing", tag, key))
				continue
			}
			want := def[key]
			if (want.plural == nil) != (m.plural == nil) {
				out = append(out, fmt.Sprintf("%s: %s must be %s, as in %s", tag, key, kind(want), b.tags[0]))
				continue
			}
			if got, w := placeholders(m.texts()...), placeholders(want.texts()...); !slices.Equal(got, w) {
				out = append(out, fmt.Sprintf("%s: %s uses {%s}, %s uses {%s}", tag, key,
					strings.Join(got, "} {"), b.tags[0], strings.Join(w, "} {")))
			}
		}
		for _, key := range sortedKeys(cat) {
			if _, ok := def[key]; !ok {
				out = append(out, fmt.Sprintf("%s: %s is not a key of %s", tag, key, b.tags[0]))
			}
		}
	}
	for i, t := range b.tags {
		cats := Categories(t.String())
		for _, key := range sortedKeys(b.cats[i]) {
			m := b.cats[i][key]
			if m.plural == nil {
				continue
			}
			for _, c := range cats {
				if _, ok := m.plural[c]; !ok {
					out = append(out, fmt.Sprintf("%s: %s lacks the plural form %q", t, key, c))
				}
			}
		}
	}
	return out
}

func kind(m message) string {
	if m.plural != nil {
		return "a plural"
	}
	return "a plain text"
}

func sortedKeys(c catalogue) []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
