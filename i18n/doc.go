// Package i18n holds keypad's words in every language it speaks, and the
// rules for choosing one.
//
// A language is data: one JSON catalogue per language, embedded from
// catalog/<tag>.json (English and Spanish ship complete), plus an optional
// directory the operator names (languages_dir), whose <tag>.json files add
// a language or replace some of a shipped language's messages. A
// catalogue maps a message key to its text; a text names its values in
// braces ("{Client} asks to:"); a message that depends on a number is an
// object of CLDR plural categories ({"one": "{Count} minute", "other":
// "{Count} minutes"}), chosen with golang.org/x/text/feature/plural.
//
// Use:
//
//	b, err := i18n.Load("en", dir)       // embedded catalogues + dir
//	l := b.Localizer("es-MX", "en")       // best match: Spanish
//	l = l.In(timeLocation)                // dates in this zone
//	l.Tag()                               // "es"
//	l.T("consent.title", "Client", name)  // "¿Permitir que … ?"
//	l.Plural("duration.minutes", 3)       // "3 minutos"
//	l.Minutes(90 * time.Second)           // "2 minutos" (rounded up)
//	l.DateTime(t)                         // "2 de diciembre de 2026, 14:02 PST"
//
// Localizer takes the person's preferences in order (BCP 47 tags or
// Accept-Language lists) and picks the first the bundle speaks, through
// golang.org/x/text/language's Matcher (so "es-MX" gets Spanish and
// "pt-BR" nothing); with no match it speaks the bundle's default
// language. A key missing from a catalogue falls back to the default
// language's text, so an operator's partial file never shows a key.
// Check reports every catalogue's missing keys, placeholders that differ
// from the default language's, and plural categories the language's CLDR
// rules need but the catalogue lacks.
package i18n
