package notify

import (
	"fmt"
	"strings"
	texttemplate "text/template"
)

// Shortening stops at these widths (in septets, or UTF-16 units for a
// UCS-2 template): below them a name or a description stops saying
// anything.
const (
	minClientWidth     = 24
	minScopeWidth      = 16
	minClientWidthLast = 12
)

// SMS renders the OTP text message in d's language so that it fits ONE
// segment: 160 GSM-7 septets, or 70 UCS-2 units when the template's own
// words are not GSM-7. Names and descriptions are first rewritten into
// GSM-7 (ToGSM7) when the template is GSM-7, since one curly apostrophe
// would cut the room from 160 to 70. A UCS-2 template of a language whose
// words allow it ("sms-gsm7-fallback = yes": Spanish) keeps its accents
// when the whole text fits 70 units, and is otherwise written in GSM-7
// with the accents GSM-7 lacks dropped ("código" becomes "codigo"),
// keeping the whole sentence in 160. When the message is still too long,
// details go in this fixed order until it fits:
//
//  1. the template's optional words (TemplateData.Short);
//  2. scopes after the first, summarised as "and N more permissions";
//  3. the client's name, cut to 24 with "...";
//  4. the first scope's description, cut to 16 with "...";
//  5. the client's name, cut to 12.
//
// The code, the expiry and a recognisable start of who asks and what for
// always remain. An error means the template itself leaves no room, which
// NewTemplates rejects up front.
func (t *Templates) SMS(d OTPData) (string, error) {
	if err := d.validate(); err != nil {
		return "", err
	}
	l := t.lang(d.Language)
	base := TemplateData{Code: d.Code, ExpiresIn: l.words.duration(d.ExpiresIn), Purpose: d.Purpose, Language: l.tag.String()}
	return l.fitSMS(l.text[FileSMS], base, d.ClientName, d.ScopeDescriptions)
}

// fitSMS renders tmpl with base, the client's name and the scopes in one
// segment (see SMS).
func (l *langTemplates) fitSMS(tmpl *texttemplate.Template, base TemplateData, clientName string, descriptions []string) (string, error) {
	client, scopes := cleanText(clientName), cleanScopes(descriptions, l.words)
	gsmScopes := make([]string, len(descriptions))
	for i, s := range descriptions {
		gsmScopes[i] = ToGSM7(s)
	}
	gsmScopes = cleanScopes(gsmScopes, l.words)
	f := &smsFitter{tmpl: tmpl, base: base, words: l.words}

	// Probe with GSM-7 fields: if the template's words are GSM-7 too, the
	// whole message is, and it is measured in septets.
	gsmClient := cleanText(ToGSM7(client))
	f.reset(gsmClient, gsmScopes, septetWidth)
	probe, _, err := f.render()
	if err != nil {
		return "", err
	}
	if _, ok := GSM7Length(probe); ok {
		return f.fit()
	}
	f.reset(client, scopes, utf16Width)
	if !l.words.gsm7Fallback() {
		return f.fit()
	}
	if msg, ok, err := f.try(); ok || err != nil {
		return msg, err
	}
	f.reset(gsmClient, gsmScopes, septetWidth)
	f.transliterate = true
	return f.fit()
}

// smsFitter holds one SMS being shortened.
type smsFitter struct {
	tmpl  *texttemplate.Template
	base  TemplateData
	words *words
	width func(rune) int
	// transliterate writes the whole text in GSM-7 (ToGSM7), template
	// words included.
	transliterate bool

	client, fullClient string
	first, fullFirst   string   // the first scope, maybe cut, and in full
	scopes             []string // all scopes, in full
	shown              int
	short              bool
}

func (f *smsFitter) reset(client string, scopes []string, width func(rune) int) {
	f.client, f.fullClient = client, client
	f.scopes, f.first, f.fullFirst = scopes, scopes[0], scopes[0]
	f.shown, f.short, f.width = len(scopes), false, width
}

// render runs the template with the current shortening and reports by how
// much the result overflows one segment.
func (f *smsFitter) render() (msg string, overflow int, err error) {
	data := f.base
	data.Client = f.client
	data.Scopes = append([]string{f.first}, f.scopes[1:f.shown]...)
	data.MoreScopes = len(f.scopes) - f.shown
	data.ScopeText = f.words.scopeText(data.Scopes, data.MoreScopes)
	data.Short = f.short
	var b strings.Builder
	if err := f.tmpl.Execute(&b, data); err != nil {
		return "", 0, fmt.Errorf("notify: sms template: %w", err)
	}
	// A cut description ends in "..." and the sentence adds ".".
	msg = b.String()
	if f.transliterate {
		msg = ToGSM7(msg)
	}
	msg = strings.ReplaceAll(strings.TrimSpace(msg), "....", "...")
	return msg, smsOverflow(msg), nil
}

func (f *smsFitter) fit() (string, error) {
	steps := []func() (string, bool, error){
		func() (string, bool, error) { return f.try() },
		func() (string, bool, error) { f.short = true; return f.try() },
		f.fewerScopes,
		func() (string, bool, error) { return f.shrink(&f.client, f.fullClient, minClientWidth) },
		func() (string, bool, error) { return f.shrink(&f.first, f.fullFirst, minScopeWidth) },
		func() (string, bool, error) { return f.shrink(&f.client, f.fullClient, minClientWidthLast) },
	}
	for _, step := range steps {
		if msg, ok, err := step(); ok || err != nil {
			return msg, err
		}
	}
	return "", fmt.Errorf("notify: sms template leaves no room for the client's name and scopes in one segment (160 GSM-7 characters, or 70 otherwise): shorten its fixed words")
}

// fewerScopes shows the most scopes that fit, at least one. Each scope
// shown adds more than the shorter "and N more" saves, so the fit is
// monotone and a binary search finds it in a few renders.
func (f *smsFitter) fewerScopes() (string, bool, error) {
	lo, hi := 1, len(f.scopes)-1 // all scopes already failed
	best := ""
	for lo <= hi {
		f.shown = (lo + hi) / 2
		msg, ok, err := f.try()
		if err != nil {
			return "", false, err
		}
		if ok {
			best, lo = msg, f.shown+1
		} else {
			hi = f.shown - 1
		}
	}
	if best == "" {
		f.shown = 1
		return "", false, nil
	}
	f.shown = hi
	return best, true, nil
}

func (f *smsFitter) try() (string, bool, error) {
	msg, over, err := f.render()
	return msg, err == nil && over <= 0, err
}

// shrink cuts *field (whose full text is full) until the message fits or
// the field is down to floor. Each round cuts by the overflow, so it ends
// within a few renders.
func (f *smsFitter) shrink(field *string, full string, floor int) (string, bool, error) {
	for {
		msg, over, err := f.render()
		if err != nil || over <= 0 {
			return msg, err == nil, err
		}
		w := stringWidth(*field, f.width)
		if w <= floor {
			return "", false, nil
		}
		*field = truncateTo(full, max(w-over, floor), f.width)
	}
}
