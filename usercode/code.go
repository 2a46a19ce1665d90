package usercode

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxInput bounds how much typed text Normalize reads: a code with
// separators is a few dozen bytes, so anything longer is rejected without
// being looked at.
const maxInput = 256

// ErrInvalid is everything a person may be told about a code that does not
// normalise: "not a valid code". Saying more (too short, bad character)
// would help a guesser and helps no honest person, who just retypes it.
// Test for it with errors.Is.
var ErrInvalid = errors.New("not a valid code")

// InvalidError is the error Normalize and NormalizeDigits return. Its
// Error method says only ErrInvalid's text, so showing it to a person is
// safe; Reason, which logs get through LogValue, says why. Reason never
// holds the typed characters: a near miss of a live code is itself
// nearly a secret.
type InvalidError struct {
	Reason string
}

// Error returns ErrInvalid's text and nothing else, on purpose.
func (e *InvalidError) Error() string { return ErrInvalid.Error() }

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *InvalidError) Unwrap() error { return ErrInvalid }

// LogValue lets log/slog record the reason that Error leaves out.
func (e *InvalidError) LogValue() slog.Value {
	return slog.StringValue(ErrInvalid.Error() + ": " + e.Reason)
}

func invalid(format string, args ...any) error {
	return &InvalidError{Reason: fmt.Sprintf(format, args...)}
}

// Generate draws a new code in canonical form (upper case, no
// separators), every code of the space being equally likely. It refuses a
// Config that fails Validate, so a bad configuration cannot quietly hand
// out weak codes.
func (c Config) Generate(rand io.Reader) (string, error) {
	if err := c.Validate(); err != nil {
		return "", err
	}
	return sample(rand, c.Charset, c.Length)
}

// Format returns the display form of a canonical code: groups of
// GroupSize characters joined by dashes (WDJBMJHT becomes WDJB-MJHT).
// Normalize undoes it. Format expects a canonical code; it does not check.
func (c Config) Format(code string) string {
	g := c.GroupSize
	if g <= 0 || len(code) <= g {
		return code
	}
	var b strings.Builder
	b.Grow(len(code) + len(code)/g)
	for i := 0; i < len(code); i += g {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(code[i:min(i+g, len(code))])
	}
	return b.String()
}

// Normalize turns what a person typed into the canonical form, ready to
// hash and look up. It ignores case, separators (see isSeparator) and the
// full-width forms phone keyboards produce, maps a lookalike onto the
// charset where only one of the pair is in it (see lookalike), and
// rejects every other character and every wrong length with an
// *InvalidError.
func (c Config) Normalize(input string) (string, error) {
	if len(input) > maxInput {
		return "", invalid("input is %d bytes, more than %d", len(input), maxInput)
	}
	out := make([]byte, 0, c.Length)
	for _, r := range input {
		r = foldWidth(r)
		if isSeparator(r) {
			continue
		}
		if 'a' <= r && r <= 'z' {
			r -= 'a' - 'A'
		}
		r = c.lookalike(r)
		if r >= utf8.RuneSelf || strings.IndexByte(c.Charset, byte(r)) < 0 {
			return "", invalid("character %d is not in the charset", len(out)+1)
		}
		out = append(out, byte(r))
	}
	if len(out) != c.Length {
		return "", invalid("%d characters, want %d", len(out), c.Length)
	}
	return string(out), nil
}

// lookalikes are pairs people mix up when copying a code. A pair is used
// only when exactly one of its two is in the charset, so the mapping can
// never turn one valid code into another. The default charset holds
// neither side of either pair, so it maps nothing; vowels are never
// mapped onto consonants.
var lookalikes = [...][2]rune{{'0', 'O'}, {'1', 'I'}}

// lookalike returns the charset member r is commonly mistaken for, or r.
func (c Config) lookalike(r rune) rune {
	in := func(r rune) bool { return strings.ContainsRune(c.Charset, r) }
	for _, p := range lookalikes {
		switch {
		case r == p[0] && !in(p[0]) && in(p[1]):
			return p[1]
		case r == p[1] && !in(p[1]) && in(p[0]):
			return p[0]
		}
	}
	return r
}

// isSeparator reports whether r is something people put between groups
// or that copy and paste drags along: white space, any dash (hyphen, en
// and em dash, minus sign), dots, underscores and invisible formatting
// characters such as zero-width spaces and direction marks.
func isSeparator(r rune) bool {
	switch r {
	case '.', '_', '\u00b7', '\u2212': // middle dot, minus sign
		return true
	}
	return unicode.IsSpace(r) || unicode.In(r, unicode.Pd, unicode.Cf)
}

// foldWidth maps full-width ASCII (U+FF01 to U+FF5E), which East Asian
// input methods produce, onto ASCII.
func foldWidth(r rune) rune {
	if '\uff01' <= r && r <= '\uff5e' {
		return r - 0xfee0
	}
	return r
}
