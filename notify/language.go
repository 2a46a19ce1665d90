package notify

import (
	"maps"
	"slices"
	"strings"

	"golang.org/x/text/language"
)

// Languages returns the tags of the languages the templates have, the
// default first.
func (t *Templates) Languages() []string {
	out := slices.Sorted(maps.Keys(t.langs))
	return append([]string{t.def}, slices.DeleteFunc(out, func(s string) bool { return s == t.def })...)
}

// DefaultLanguage returns the default language's tag.
func (t *Templates) DefaultLanguage() string { return t.def }

// Match returns the first of the space-separated BCP 47 tags in list
// (OpenID Connect's ui_locales, or one stored preference) that the
// templates have, or "" when none is. A tag matches a language exactly or
// by its base language ("es-MX" finds "es"). Malformed and unsupported
// tags are skipped, never an error.
func (t *Templates) Match(list string) string {
	for i, f := range strings.Fields(list) {
		if i == maxLanguageTags {
			break
		}
		tag, err := language.Parse(f)
		if err != nil {
			continue
		}
		if _, ok := t.langs[tag.String()]; ok {
			return tag.String()
		}
		base, _ := tag.Base()
		if _, ok := t.langs[base.String()]; ok {
			return base.String()
		}
	}
	return ""
}

// maxLanguageTags bounds the tags Match reads of one list.
const maxLanguageTags = 16

// lang returns the templates of tag, or the default language's.
func (t *Templates) lang(tag string) *langTemplates {
	if l, ok := t.langs[t.Match(tag)]; ok {
		return l
	}
	return t.langs[t.def]
}
