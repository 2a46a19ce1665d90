package notify

import (
	"strings"
	"time"
)

// SMSCount is one text as a phone network counts it.
type SMSCount struct {
	Text     string
	Encoding string // "GSM-7" or "UCS-2"
	// Chars is its length in the encoding's units: septets (an extension
	// character such as "€" counts two) or UTF-16 units.
	Chars int
	// PerSegment is what one segment holds: 160 or 70.
	PerSegment int
	// Segments is how many parts it is sent as: one up to PerSegment,
	// else 153 or 67 to a part (the rest carries the joining header).
	Segments int
}

// CountSMS counts s as a network does.
func CountSMS(s string) SMSCount {
	c := SMSCount{Text: s, Encoding: "GSM-7", PerSegment: gsm7SegmentSeptets}
	part := 153
	if n, ok := GSM7Length(s); ok {
		c.Chars = n
	} else {
		c.Encoding, c.Chars, c.PerSegment, part = "UCS-2", utf16Len(s), ucs2SegmentUnits, 67
	}
	c.Segments = 1
	if c.Chars > c.PerSegment {
		c.Segments = (c.Chars + part - 1) / part
	}
	return c
}

// SMSCheck is the check of one SMS template in one language.
type SMSCheck struct {
	Template string // FileSMS or FileCIBASMS
	Purpose  string // "token" or "login" for FileSMS; "ciba"
	Language string
	// Words is the encoding of the template's own words: UCS-2 as soon as
	// one of them is outside GSM-7.
	Words string
	// Sample is the story's text (Bright Audits reading 12 months of
	// usage); Worst is the text at the longest values keypad accepts.
	Sample, Worst SMSCount
	// Err says why a text could not be made to fit one segment.
	Err error
}

// OK reports whether both texts were made and fit one segment.
func (c SMSCheck) OK() bool { return c.Err == nil && c.Sample.Segments == 1 && c.Worst.Segments == 1 }

// CheckSMS renders every SMS template of every language with the story's
// values and with the longest values keypad accepts (client names and
// scope descriptions far longer than any registered, forty scopes, a
// 10-character code, a 20-character binding message), and counts each
// text. Unlike NewTemplates it reports a template that leaves no room
// instead of refusing the whole set. It is `keypad templates check`.
func CheckSMS(c TemplateConfig) ([]SMSCheck, error) {
	t, err := newUnchecked(c)
	if err != nil {
		return nil, err
	}
	var out []SMSCheck
	for _, lang := range t.Languages() {
		for _, purpose := range []string{"token", "login"} {
			d := OTPData{ClientName: sampleClient, ScopeDescriptions: []string{sampleScope}, Code: sampleCode,
				ExpiresIn: 10 * time.Minute, Purpose: purpose, Language: lang}
			w := worstOTP(purpose)
			w.Language = lang
			out = append(out, t.checkOne(FileSMS, purpose, lang,
				func() (string, error) { return t.SMS(d) },
				func() (string, error) { return t.SMS(w) }))
		}
		d := CIBAData{ClientName: sampleClient, ScopeDescriptions: []string{sampleScope}, BindingMessage: "4821",
			Link: sampleLink, ExpiresIn: 10 * time.Minute, Language: lang}
		w := worstCIBA()
		w.Language = lang
		ciba := func(d CIBAData) func() (string, error) {
			return func() (string, error) {
				m, err := t.CIBAMessage(ChannelSMS, "", d)
				return m.Text, err
			}
		}
		out = append(out, t.checkOne(FileCIBASMS, "ciba", lang, ciba(d), ciba(w)))
	}
	return out, nil
}

func (t *Templates) checkOne(file, purpose, lang string, sample, worst func() (string, error)) SMSCheck {
	c := SMSCheck{Template: file, Purpose: purpose, Language: lang, Words: t.wordsEncoding(file, purpose, lang)}
	s, err := sample()
	if err != nil {
		c.Err = err
		return c
	}
	c.Sample = CountSMS(s)
	w, err := worst()
	if err != nil {
		c.Err = err
		return c
	}
	c.Worst = CountSMS(w)
	return c
}

// wordsEncoding runs a template on plain ASCII values, unshortened, to
// tell the encoding its own words need.
func (t *Templates) wordsEncoding(file, purpose, lang string) string {
	l := t.lang(lang)
	data := TemplateData{Code: "1", Client: "C", Scopes: []string{"s"}, ScopeText: "s", ExpiresIn: "1",
		Purpose: purpose, Link: "https://x", Binding: "1", Language: lang}
	var b strings.Builder
	if err := l.text[file].Execute(&b, data); err != nil {
		return "?"
	}
	return CountSMS(b.String()).Encoding
}

// newUnchecked builds templates like NewTemplates without rendering the
// samples.
func newUnchecked(c TemplateConfig) (*Templates, error) {
	t, op, err := prepare(c)
	if err != nil {
		return nil, err
	}
	if err := t.parseAll(op); err != nil {
		return nil, templatesError(c.Dir, err)
	}
	return t, nil
}
