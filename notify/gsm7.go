package notify

import (
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// One SMS segment holds 160 GSM-7 septets or, as soon as one character is
// outside GSM-7, only 70 UCS-2 (UTF-16) code units.
const (
	gsm7SegmentSeptets = 160
	ucs2SegmentUnits   = 70
)

// gsm7Basic is the GSM 03.38 default alphabet, less the escape character
// (0x1B), which only introduces the extension table.
const gsm7Basic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"

// gsm7Extension holds the characters sent as escape + one septet.
const gsm7Extension = "\f^{}\\[~]|€"

// gsm7Table holds each character's width in septets (0: not GSM-7) up to
// the last Greek capital; "€" is the only GSM-7 character beyond it.
var gsm7Table = func() (t [0x3AA]uint8) {
	for _, r := range gsm7Basic {
		t[r] = 1
	}
	for _, r := range gsm7Extension {
		if r < rune(len(t)) {
			t[r] = 2
		}
	}
	return t
}()

// gsm7RuneWidth returns r's width in septets, or 0 if GSM-7 lacks it.
func gsm7RuneWidth(r rune) int {
	if r >= 0 && r < rune(len(gsm7Table)) {
		return int(gsm7Table[r])
	}
	if r == '€' {
		return 2
	}
	return 0
}

// GSM7Length returns how many septets s takes in the GSM-7 alphabet:
// characters of the extension table ("€", "[", "{", ...) count two. ok is
// false when s has a character outside GSM-7 (or is not valid UTF-8): the
// whole message then goes as UCS-2, with 70 characters to a segment.
func GSM7Length(s string) (septets int, ok bool) {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size <= 1 {
				return 0, false
			}
		}
		w := gsm7RuneWidth(r)
		if w == 0 {
			return 0, false
		}
		septets += w
	}
	return septets, true
}

// smsOverflow returns by how many units s overflows one segment (zero or
// less means it fits), counting septets when s is GSM-7 and UTF-16 units
// otherwise.
func smsOverflow(s string) int {
	if n, ok := GSM7Length(s); ok {
		return n - gsm7SegmentSeptets
	}
	return utf16Len(s) - ucs2SegmentUnits
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s { // invalid bytes come out as U+FFFD: one unit
		n += utf16.RuneLen(r)
	}
	return n
}

// gsm7Lookalikes maps characters people paste into names and descriptions
// to GSM-7 text that reads the same.
var gsm7Lookalikes = map[rune]string{
	'‘': "'", '’': "'", '‚': "'", '‛': "'", '′': "'", '`': "'", '´': "'",
	'“': `"`, '”': `"`, '„': `"`, '«': `"`, '»': `"`, '″': `"`,
	'–': "-", '—': "-", '−': "-", '‐': "-", '‑': "-", '•': "-", '·': "-",
	'…': "...", '©': "(c)", '®': "(R)", '™': "TM",
	'ç': "c", 'ł': "l", 'Ł': "L", 'đ': "d", 'Đ': "D", 'ð': "d", 'Ð': "D",
	'þ': "th", 'Þ': "Th", 'œ': "oe", 'Œ': "OE", 'ı': "i", 'ħ': "h", 'Ħ': "H",
}

// ToGSM7 rewrites s into the GSM-7 alphabet so an SMS keeps its 160
// characters: typographic quotes and dashes become ASCII ones, accents the
// alphabet lacks are dropped ("á" becomes "a"; "é" stays), control
// characters go, and anything else becomes "?". The result always has
// GSM7Length ok.
func ToGSM7(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case gsm7RuneWidth(r) > 0 && !unicode.IsControl(r):
			b.WriteRune(r)
		case unicode.IsSpace(r):
			b.WriteByte(' ')
		case unicode.IsControl(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Cf, r):
			// dropped
		case gsm7Lookalikes[r] != "":
			b.WriteString(gsm7Lookalikes[r])
		default:
			b.WriteString(gsm7Base(r))
		}
	}
	return b.String()
}

// gsm7Base returns r's base letter when r is a letter with an accent that
// GSM-7 lacks, or "?".
func gsm7Base(r rune) string {
	var out strings.Builder
	for _, d := range norm.NFD.String(string(r)) {
		if unicode.Is(unicode.Mn, d) {
			continue
		}
		if gsm7RuneWidth(d) == 0 || unicode.IsControl(d) {
			return "?"
		}
		out.WriteRune(d)
	}
	if out.Len() == 0 {
		return "?"
	}
	return out.String()
}

// cleanText makes a name or description fit for one line of a message:
// control characters go and runs of white space become one space.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "?")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && !unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// truncateTo shortens s so that it is at most limit wide (width sums
// runeWidth), ending it with "...". It cuts at a rune boundary and drops
// trailing spaces and punctuation so the cut reads as deliberate.
func truncateTo(s string, limit int, runeWidth func(rune) int) string {
	if stringWidth(s, runeWidth) <= limit {
		return s
	}
	const ellipsis = "..."
	budget := limit - len(ellipsis) // "." is one septet and one UTF-16 unit
	if budget <= 0 {
		return ellipsis[:max(limit, 0)]
	}
	end, used := 0, 0
	for i, r := range s {
		w := runeWidth(r)
		if used+w > budget {
			break
		}
		used += w
		end = i + utf8.RuneLen(r)
	}
	return strings.TrimRight(s[:end], " ,;:-") + ellipsis
}

func stringWidth(s string, runeWidth func(rune) int) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

// septetWidth is gsm7RuneWidth counting a character GSM-7 lacks as one,
// so widths stay usable on any text.
func septetWidth(r rune) int { return max(gsm7RuneWidth(r), 1) }

// utf16Width is a character's length in UCS-2/UTF-16 units.
func utf16Width(r rune) int { return utf16.RuneLen(r) }
