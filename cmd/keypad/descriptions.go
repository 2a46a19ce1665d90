package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/i18n"
	"github.com/spf13/pflag"
)

// Descriptions in other languages than the default --description, for
// scopes and clients (keypad.Descriptions): --description-<tag> for each
// language keypad's pages speak besides English (--description-es), and
// --description-in TAG=TEXT, repeatable, for any BCP 47 tag. An empty
// text removes that language's description, so update can take one back.

// descriptionFlags binds both kinds of flag to *d.
func descriptionFlags(f *pflag.FlagSet, d *keypad.Descriptions, what string) {
	langs := i18n.MustLoad("en")
	for _, tag := range langs.Languages() {
		if tag == "en" {
			continue
		}
		name := langs.Localizer(tag).T("language.name")
		f.Var(&descValue{d: d, tag: tag}, "description-"+tag,
			fmt.Sprintf("%s in %s (%s); \"\" removes it", what, name, tag))
	}
	f.Var(&descValue{d: d}, "description-in",
		fmt.Sprintf("%s in another language, as TAG=TEXT (a BCP 47 tag, e.g. pt-BR=...); repeat for more; TAG= removes one", what))
}

// descValue is one description flag: of one language (tag set), or
// TAG=TEXT pairs (tag empty).
type descValue struct {
	d   *keypad.Descriptions
	tag string
	set []string // what was given, for String and GetSlice
}

func (v *descValue) Type() string {
	if v.tag == "" {
		return "TAG=TEXT"
	}
	return "text"
}

func (v *descValue) String() string {
	if v.tag != "" {
		return (*v.d)[v.tag]
	}
	return "[" + strings.Join(v.set, ",") + "]"
}

// Set takes one text (or one TAG=TEXT).
func (v *descValue) Set(s string) error {
	tag, text := v.tag, s
	if tag == "" {
		var ok bool
		if tag, text, ok = strings.Cut(s, "="); !ok || strings.TrimSpace(tag) == "" {
			return fmt.Errorf("%q: write TAG=TEXT, e.g. es=lea su historial de consumo", s)
		}
		tag = strings.TrimSpace(tag)
	}
	v.set = append(v.set, s)
	if *v.d == nil {
		*v.d = keypad.Descriptions{}
	}
	text = strings.TrimSpace(text)
	if text == "" {
		delete(*v.d, tag)
		return nil
	}
	(*v.d)[tag] = text
	return nil
}

// The slice methods let `client update` replay a repeated --description-in.

func (v *descValue) Append(s string) error { return v.Set(s) }

func (v *descValue) Replace(ss []string) error {
	for _, s := range ss {
		if err := v.Set(s); err != nil {
			return err
		}
	}
	return nil
}

func (v *descValue) GetSlice() []string { return slices.Clone(v.set) }

// descriptionsJSON is how --json prints descriptions: null for none.
func descriptionsJSON(d keypad.Descriptions) map[string]string {
	if len(d) == 0 {
		return nil
	}
	return maps.Clone(d)
}

// descriptionLines prints descriptions in other languages for the text
// output, one "description (es):" line each.
func descriptionLines(d keypad.Descriptions) []string {
	var out []string
	for _, tag := range slices.Sorted(maps.Keys(d)) {
		out = append(out, fmt.Sprintf("description (%s):\t%s", tag, d[tag]))
	}
	return out
}

// noneIfEmpty is nil for an empty map.
func noneIfEmpty(d keypad.Descriptions) keypad.Descriptions {
	if len(d) == 0 {
		return nil
	}
	return d
}
