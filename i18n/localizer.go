package i18n

import (
	"fmt"
	"html/template"
	"strconv"
	"time"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
)

// Localizer speaks one language of a bundle, and shows times in one zone.
// It is a small value: make one per request or message.
type Localizer struct {
	b   *Bundle
	i   int // index of the language in b
	loc *time.Location
}

// Localizer speaks the first of prefs the bundle speaks (see Match), else
// the default language. Times are in UTC until In.
func (b *Bundle) Localizer(prefs ...string) *Localizer {
	i, _ := b.match(prefs...)
	return &Localizer{b: b, i: i, loc: time.UTC}
}

// In returns a copy that shows times in loc (nil: UTC).
func (l *Localizer) In(loc *time.Location) *Localizer {
	c := *l
	c.loc = loc
	if c.loc == nil {
		c.loc = time.UTC
	}
	return &c
}

// Tag is the BCP 47 tag of the language spoken, as in <html lang>.
func (l *Localizer) Tag() string { return l.b.tags[l.i].String() }

// Location is the zone times are shown in.
func (l *Localizer) Location() *time.Location { return l.loc }

// lookup finds key in the language, else in the default language.
func (l *Localizer) lookup(key string) (message, bool) {
	if m, ok := l.b.cats[l.i][key]; ok {
		return m, true
	}
	m, ok := l.b.cats[0][key]
	return m, ok
}

// T is the text of key with its placeholders filled from args: pairs of
// a name and a value ("Client", name, ...) or one map[string]any. A value
// is formatted with fmt's %v. A missing key shows as the key itself.
func (l *Localizer) T(key string, args ...any) string {
	m, ok := l.lookup(key)
	if !ok {
		return key
	}
	text := m.text
	if m.plural != nil {
		text = m.plural["other"]
	}
	return fill(text, values(args))
}

// HTML is T for a text that holds markup of its own (a catalogue's
// "<strong>"); the values are escaped, the catalogue is trusted.
func (l *Localizer) HTML(key string, args ...any) template.HTML {
	vals := values(args)
	for k, v := range vals {
		vals[k] = template.HTMLEscapeString(v)
	}
	m, ok := l.lookup(key)
	if !ok {
		return template.HTML(template.HTMLEscapeString(key))
	}
	return template.HTML(fill(m.text, vals))
}

// Plural is the text of key in the plural form the language uses for n,
// with {Count} set to n and the other placeholders from args as in T.
func (l *Localizer) Plural(key string, n int, args ...any) string {
	m, ok := l.lookup(key)
	if !ok {
		return key
	}
	vals := values(args)
	vals["Count"] = strconv.Itoa(n)
	if m.plural == nil {
		return fill(m.text, vals)
	}
	text, ok := m.plural[formName[category(l.b.tags[l.i], n)]]
	if !ok {
		text = m.plural["other"]
	}
	return fill(text, vals)
}

// Minutes says d in whole minutes, rounded up, at least one ("3 minutes").
func (l *Localizer) Minutes(d time.Duration) string {
	n := max(int((d+time.Minute-1)/time.Minute), 1)
	return l.Plural("duration.minutes", n)
}

// Seconds says d in seconds, rounded up, at least one, or in minutes
// past a minute and a half.
func (l *Localizer) Seconds(d time.Duration) string {
	if d > 90*time.Second {
		return l.Minutes(d)
	}
	n := max(int((d+time.Second-1)/time.Second), 1)
	return l.Plural("duration.seconds", n)
}

// Date shows the day of t in the localizer's zone ("2 Dec 2026").
func (l *Localizer) Date(t time.Time) string {
	t = t.In(l.loc)
	return l.T("date.format", "Day", t.Day(), "Month", l.T(fmt.Sprintf("date.month.%d", t.Month())),
		"Year", t.Year())
}

// Time shows the time of day of t in the localizer's zone ("14:02 PST").
func (l *Localizer) Time(t time.Time) string {
	t = t.In(l.loc)
	h12 := t.Hour() % 12
	if h12 == 0 {
		h12 = 12
	}
	ampm := l.T("time.am")
	if t.Hour() >= 12 {
		ampm = l.T("time.pm")
	}
	return l.T("time.format", "Hour", fmt.Sprintf("%02d", t.Hour()), "Hour12", h12,
		"Minute", fmt.Sprintf("%02d", t.Minute()), "AMPM", ampm, "Zone", t.Format("MST"))
}

// DateTime shows t's day and time.
func (l *Localizer) DateTime(t time.Time) string {
	return l.T("datetime.format", "Date", l.Date(t), "Time", l.Time(t))
}

// values reads T's arguments.
func values(args []any) map[string]string {
	out := map[string]string{}
	if len(args) == 1 {
		if m, ok := args[0].(map[string]any); ok {
			for k, v := range m {
				out[k] = fmt.Sprint(v)
			}
			return out
		}
	}
	for i := 0; i+1 < len(args); i += 2 {
		out[fmt.Sprint(args[i])] = fmt.Sprint(args[i+1])
	}
	return out
}

// pluralForms names CLDR's plural categories.
var pluralForms = map[string]plural.Form{
	"zero": plural.Zero, "one": plural.One, "two": plural.Two,
	"few": plural.Few, "many": plural.Many, "other": plural.Other,
}

var formName = map[plural.Form]string{
	plural.Zero: "zero", plural.One: "one", plural.Two: "two",
	plural.Few: "few", plural.Many: "many", plural.Other: "other",
}

// category is the CLDR cardinal category of the whole number n.
func category(tag language.Tag, n int) plural.Form {
	if n < 0 {
		n = -n
	}
	return plural.Cardinal.MatchPlural(tag, n%10_000_000, 0, 0, 0, 0)
}

// Categories are the CLDR cardinal categories the language's whole
// numbers fall in, as names ("one", "other"): the forms its plural
// messages need.
func Categories(tag string) []string {
	t := language.Make(tag)
	seen := map[plural.Form]bool{}
	for n := range 1200 {
		seen[category(t, n)] = true
	}
	for _, n := range []int{1_000_000, 2_000_000, 5_000_000} {
		seen[category(t, n)] = true
	}
	var out []string
	for _, name := range []string{"zero", "one", "two", "few", "many", "other"} {
		if seen[pluralForms[name]] {
			out = append(out, name)
		}
	}
	return out
}
