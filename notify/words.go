package notify

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
)

// FileWords holds the words a language's messages are built from besides
// the templates: units of time with their plural forms, "and", the
// summary of scopes left out, the time-of-day layout. Lines are
// "key = value"; "#" starts a comment. A plural key has one line per CLDR
// form the language uses ("minute.one", "minute.other"; "other" is
// required); "{n}" stands for the number.
const FileWords = "words.txt"

// The keys of FileWords. Every language has every key (a missing one
// comes from the default language).
var wordKeys = []string{
	"and", "any-scope", "more.other", "second.other", "minute.other", "hour.other", "time-layout",
}

// words are one language's FileWords.
type words struct {
	tag language.Tag
	m   map[string]string
}

// parseWords reads a FileWords file; fallback supplies missing keys.
func parseWords(tag language.Tag, b []byte, fallback *words) (*words, error) {
	w := &words{tag: tag, m: map[string]string{}}
	if fallback != nil {
		for k, v := range fallback.m {
			w.m[k] = v
		}
	}
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%s line %d: want key = value", FileWords, n)
		}
		w.m[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	for _, k := range wordKeys {
		if w.m[k] == "" {
			return nil, fmt.Errorf("%s: %q is missing", FileWords, k)
		}
	}
	return w, nil
}

// pluralForms names plural.Form values as FileWords keys name them.
var pluralForms = map[plural.Form]string{
	plural.Zero: "zero", plural.One: "one", plural.Two: "two",
	plural.Few: "few", plural.Many: "many", plural.Other: "other",
}

// count says n of key ("minute") in the form CLDR's cardinal rules pick
// for the language (golang.org/x/text/feature/plural), falling back to
// the "other" form.
func (w *words) count(key string, n int) string {
	form := plural.Cardinal.MatchPlural(w.tag, n, 0, 0, 0, 0)
	s, ok := w.m[key+"."+pluralForms[form]]
	if !ok {
		s = w.m[key+".other"]
	}
	return strings.ReplaceAll(s, "{n}", strconv.Itoa(n))
}

// duration says d the way people say it, rounding down: better the
// person hurries than finds a dead code.
func (w *words) duration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return w.count("second", int(d/time.Second))
	case d%time.Hour == 0:
		return w.count("hour", int(d/time.Hour))
	}
	return w.count("minute", int(d/time.Minute))
}

// clock says t's time of day in loc, in the language's layout.
func (w *words) clock(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format(w.m["time-layout"])
}

// scopeText lists scopes in words, adding "and N more permissions" when
// more were left out.
func (w *words) scopeText(shown []string, more int) string {
	parts := append([]string(nil), shown...)
	if more > 0 {
		parts = append(parts, w.count("more", more))
	}
	switch len(parts) {
	case 0:
		return w.m["any-scope"]
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " " + w.m["and"] + " " + parts[len(parts)-1]
}

// gsm7Fallback reports whether a text too long for one UCS-2 segment may
// be written in GSM-7 instead, dropping the accents GSM-7 lacks
// ("sms-gsm7-fallback = yes"): for a Latin-script language this keeps
// the whole sentence in 160 characters rather than cutting it to 70.
func (w *words) gsm7Fallback() bool { return w.m["sms-gsm7-fallback"] == "yes" }
