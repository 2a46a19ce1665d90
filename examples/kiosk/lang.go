package kiosk

import (
	"bufio"
	"embed"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"path"
	"slices"
	"strings"
)

// The kiosk speaks English and the languages of its catalogue files,
// messages/<tag>.txt: English text is the key, so a phrase missing from a
// catalogue shows in English rather than not at all. A file is pairs of
// lines, "en: " the English text (a fmt format where the screen fills in
// numbers) and "<tag>: " its translation with the same verbs; its first
// line, "name: ", is the language's name in itself, for the button.
// Adding a language is adding a file.

//go:embed messages/*.txt
var messageFiles embed.FS

// langCookie keeps the language a person picked with the button until
// the visit ends.
const langCookie = "kiosk_lang"

// catalogue holds every language's translations: tag → English → text.
type catalogue struct {
	names map[string]string // tag → name in itself
	text  map[string]map[string]string
	tags  []string // "en" first
}

func loadCatalogue() (*catalogue, error) {
	c := &catalogue{names: map[string]string{"en": "English"}, text: map[string]map[string]string{}, tags: []string{"en"}}
	files, err := messageFiles.ReadDir("messages")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		tag := strings.TrimSuffix(f.Name(), ".txt")
		b, err := messageFiles.ReadFile(path.Join("messages", f.Name()))
		if err != nil {
			return nil, err
		}
		name, m, err := parseMessages(tag, string(b))
		if err != nil {
			return nil, fmt.Errorf("kiosk: messages/%s: %w", f.Name(), err)
		}
		c.names[tag], c.text[tag] = name, m
		c.tags = append(c.tags, tag)
	}
	return c, nil
}

// parseMessages reads one catalogue file of language tag.
func parseMessages(tag, src string) (name string, m map[string]string, err error) {
	m = map[string]string{}
	key := ""
	sc := bufio.NewScanner(strings.NewReader(src))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "name: "):
			name = strings.TrimPrefix(line, "name: ")
		case strings.HasPrefix(line, "en: "):
			if key != "" {
				return "", nil, fmt.Errorf("line %d: %q has no translation", n, key)
			}
			key = strings.TrimPrefix(line, "en: ")
		case strings.HasPrefix(line, tag+": ") && key != "":
			m[key], key = strings.TrimPrefix(line, tag+": "), ""
		default:
			return "", nil, fmt.Errorf("line %d: want \"en: \" then %q", n, tag+": ")
		}
	}
	if name == "" {
		return "", nil, fmt.Errorf("no \"name: \" line")
	}
	return name, m, nil
}

// tr translates the English format s into lang and fills in args.
func (c *catalogue) tr(lang, s string, args ...any) string {
	if t, ok := c.text[lang][s]; ok {
		s = t
	}
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}

// lang is the language the request's screen is in: the one picked with
// the button, else English.
func (k *kiosk) lang(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil && slices.Contains(k.msgs.tags, c.Value) {
		return c.Value
	}
	return "en"
}

// tr translates s into the request's language.
func (k *kiosk) tr(r *http.Request, s string, args ...any) string {
	return k.msgs.tr(k.lang(r), s, args...)
}

// language is a choice on the language button.
type language struct{ Tag, Name string }

// others are the languages a screen in lang offers to switch to.
func (c *catalogue) others(lang string) []language {
	var out []language
	for _, t := range c.tags {
		if t != lang {
			out = append(out, language{t, c.names[t]})
		}
	}
	return out
}

// setLanguage serves POST /lang: the language button. It keeps the
// choice in a cookie until the visit ends and shows the same screen
// again.
func (k *kiosk) setLanguage(w http.ResponseWriter, r *http.Request) {
	lang, back := r.PostFormValue("lang"), r.PostFormValue("back")
	if !slices.Contains(k.msgs.tags, lang) {
		http.Error(w, "Unknown language.", http.StatusBadRequest)
		return
	}
	if back != "/" && !slices.Contains(slices.Collect(maps.Values(backTo)), back) {
		back = "/"
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: lang, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// forgetLanguage returns the kiosk to English for the next person.
func forgetLanguage(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// templateFuncs are the translating helpers of the screens.
func (c *catalogue) templateFuncs() template.FuncMap {
	return template.FuncMap{
		"tr": c.tr,
		"trArgs": func(lang, s string, args []any) string {
			return c.tr(lang, s, args...)
		},
		"month": func(lang string, m monthUse) string { return c.tr(lang, m.Start.Format("January")) },
		"chart": func(lang string, months []monthUse) template.HTML {
			return chartSVG(months, func(s string, args ...any) string { return c.tr(lang, s, args...) })
		},
		"channelLabel": func(lang string, ch channel) string {
			if ch.Type == "email" {
				return c.tr(lang, "Email %s", ch.Hint)
			}
			return c.tr(lang, "Text %s", ch.Hint)
		},
		"channelWords": func(lang string, ch channel) string {
			if ch.Type == "email" {
				return c.tr(lang, "by email to %s", ch.Hint)
			}
			return c.tr(lang, "by text to %s", ch.Hint)
		},
		"askLabel": func(lang, t string) string {
			switch t {
			case "phone":
				return c.tr(lang, "phone number")
			case "email":
				return c.tr(lang, "email address")
			}
			return c.tr(lang, "account number")
		},
		"minutes": func(lang string, n int) string {
			if n == 1 {
				return c.tr(lang, "1 minute")
			}
			return c.tr(lang, "%d minutes", n)
		},
	}
}
