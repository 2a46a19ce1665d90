package identifier

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/keypadauth/keypad"
)

// maxAddressLen bounds the work one address costs: no real delivery line
// and last line come near it.
const maxAddressLen = 256

// AddressParts is a normalised US address split into what a lookup matches
// on: the delivery line (USPS Publication 28 form) and the 5-digit ZIP.
//
// The city and state are dropped: the ZIP already pins them down, and
// people spell cities every way ("St Louis", "Saint Louis", "STL"). The
// ZIP+4 extension is dropped too: few people know it, and the delivery
// line already names the door.
type AddressParts struct {
	// Street is the delivery line: "123 N MAIN ST # 4".
	Street string
	// ZIP is the 5-digit ZIP code, or "" when none was given.
	ZIP string
}

// Key is the value stored and looked up: the street, then the ZIP when
// there is one ("123 N MAIN ST # 4 94110"). Matching is string equality.
func (a AddressParts) Key() string {
	if a.ZIP == "" {
		return a.Street
	}
	return a.Street + " " + a.ZIP
}

// Address returns the lookup key of a US service address (see
// ParseAddress for the rules). The import and the OTP lookup both call it,
// so "123 North Main Street Apt 4", "123 N Main St #4" and
// "123 n. main st., apartment 4" all find the same person.
func Address(raw string) (string, error) {
	p, err := ParseAddress(raw)
	if err != nil {
		return "", err
	}
	return p.Key(), nil
}

// ParseAddress normalises a US address after USPS Publication 28:
// upper case, no punctuation, standard suffix abbreviations (STREET → ST),
// directionals abbreviated only where they are directionals ("NORTH MAIN
// ST" → "N MAIN ST", but "NORTH ST" keeps its name), and one canonical
// form, "# 4", for APT, SUITE, UNIT and "#". A trailing ZIP is kept (5
// digits); a trailing city and state are dropped. Without commas the city
// is taken to start after the street suffix ("… MAIN ST SPRINGFIELD IL");
// a street without a suffix ("123 BROADWAY") cannot be told from a city
// that follows it, so such addresses should separate the city with a comma
// or leave it out.
//
// The rules are heuristics, and on odd input one pass may leave something
// a second pass would read differently; ParseAddress therefore repeats
// until the result is stable (two passes for real addresses), so that
// normalising a normalised address always gives it back, and refuses the
// rare input that does not settle.
func ParseAddress(raw string) (AddressParts, error) {
	p, err := parseAddress(raw)
	if err == nil && p.Key() == raw {
		// Already a fixpoint: the next pass would parse the same string
		// again. Saves a pass on every key checked for being one (an
		// import checks each address's street line).
		return p, nil
	}
	for range 3 {
		if err != nil {
			return AddressParts{}, err
		}
		var q AddressParts
		q, err = parseAddress(p.Key())
		if err == nil && q == p {
			return p, nil
		}
		p = q
	}
	return AddressParts{}, invalid(keypad.IdentifierAddress, "cannot be read as an address; type the street line and ZIP code only, e.g. 123 Main St 94110")
}

// parseAddress is one pass of ParseAddress.
func parseAddress(raw string) (AddressParts, error) {
	if len(raw) > maxAddressLen {
		return AddressParts{}, invalid(keypad.IdentifierAddress, "too long; type the street line and ZIP code only")
	}
	segs := tokenize(raw)
	if len(segs) == 0 {
		return AddressParts{}, invalid(keypad.IdentifierAddress, "empty; type a street address, e.g. 123 Main St 94110")
	}
	if n := len(segs); n > 1 && isCountry(segs[n-1]) {
		segs = segs[:n-1] // ", USA"
	}
	last := dropCountry(segs[len(segs)-1])
	var zip string
	if n := len(last); n > 0 && (n > 1 || len(segs) > 1) {
		if z, ok := zipOf(last[n-1]); ok && (n == 1 || !blocksZip(last[n-2])) {
			zip, last = z, last[:n-1]
		}
	}
	segs[len(segs)-1] = last
	street := popStates(splitGlued(streetTokens(segs)))
	out := parseStreet(street).out
	s := strings.Join(out, " ")
	if !hasLetterAndDigit(s) {
		return AddressParts{}, invalid(keypad.IdentifierAddress, "needs a house or box number and a street name, e.g. 123 Main St")
	}
	return AddressParts{Street: s, ZIP: zip}, nil
}

// fold removes accents and case: "Señora" and "SENORA" are the same
// street to a mail carrier.
func fold(s string) string {
	ascii := true
	for i := 0; i < len(s) && ascii; i++ {
		ascii = s[i] < utf8.RuneSelf
	}
	if ascii {
		return strings.ToUpper(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range norm.NFKD.String(s) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		switch r {
		case 'ß', 'ẞ':
			b.WriteString("SS")
		case 'Ø', 'ø':
			b.WriteByte('O')
		case 'Ł', 'ł':
			b.WriteByte('L')
		case 'Æ', 'æ':
			b.WriteString("AE")
		case 'Œ', 'œ':
			b.WriteString("OE")
		case 'Đ', 'đ':
			b.WriteByte('D')
		case 'Þ', 'þ':
			b.WriteString("TH")
		case 'ı':
			b.WriteByte('I')
		default:
			b.WriteRune(unicode.ToUpper(r))
		}
	}
	return b.String()
}

// tokenize splits an address into comma-separated segments of words.
// Punctuation goes, except where it carries meaning: "P.O." is "PO", "#"
// is a word of its own, hyphens next to a digit ("94110-1234", "12-14",
// "12-A") and the slash in "1/2" stay (the parser decides what they
// mean), other hyphens split words ("WILKES-BARRE"), and apostrophes
// vanish ("O'FARRELL" is "OFARRELL").
func tokenize(raw string) [][]string {
	rs := []rune(fold(raw))
	var segs [][]string
	var cur []string
	tok := make([]rune, 0, 16)
	run := 0 // letters since the token started or since a joined dot
	flush := func() {
		if len(tok) > 0 {
			cur = append(cur, string(tok))
			tok = tok[:0]
		}
		run = 0
	}
	endSegment := func() {
		flush()
		if len(cur) > 0 {
			segs = append(segs, cur)
			cur = nil
		}
	}
	next := func(i int) rune {
		if i+1 < len(rs) {
			return rs[i+1]
		}
		return 0
	}
	for i, r := range rs {
		switch {
		case isAlnum(r):
			tok = append(tok, r)
			run++
		case r == '\'' || r == '’' || r == '`':
			// dropped without a break
		case r == '.':
			if run == 1 && unicode.IsLetter(tok[len(tok)-1]) && unicode.IsLetter(next(i)) {
				run = 0 // "P.O." and "N.E." are one word
				continue
			}
			flush()
		case r == '-':
			if len(tok) > 0 && isAlnum(tok[len(tok)-1]) && isAlnum(next(i)) && (isDigit(tok[len(tok)-1]) || isDigit(next(i))) {
				tok = append(tok, r)
				continue
			}
			flush()
		case r == '/':
			if len(tok) > 0 && isDigit(tok[len(tok)-1]) && isDigit(next(i)) {
				tok = append(tok, r)
				continue
			}
			flush()
		case r == '#':
			flush()
			cur = append(cur, "#")
		case r == ',' || r == ';' || r == '\n' || r == '\r':
			endSegment()
		default:
			flush()
		}
	}
	endSegment()
	return segs
}

// countries are the ways people end an address with its country.
var countries = [][]string{{"USA"}, {"UNITED", "STATES"}, {"UNITED", "STATES", "OF", "AMERICA"}}

// dropCountry removes a trailing "USA" or "UNITED STATES (OF AMERICA)".
func dropCountry(seg []string) []string {
	for _, c := range countries {
		if len(seg) > len(c) && hasTail(seg, c) {
			return seg[:len(seg)-len(c)]
		}
	}
	return seg
}

func isCountry(seg []string) bool {
	for _, c := range countries {
		if len(seg) == len(c) && hasTail(seg, c) {
			return true
		}
	}
	return false
}

// zipOf recognises "94110", "94110-1234" and "941101234" and returns the
// 5-digit ZIP.
func zipOf(t string) (string, bool) {
	switch {
	case len(t) == 5 && allDigits(t):
		return t, true
	case len(t) == 10 && t[5] == '-' && allDigits(t[:5]) && allDigits(t[6:]):
		return t[:5], true
	case len(t) == 9 && allDigits(t):
		return t[:5], true
	}
	return "", false
}

// blocksZip reports whether a number after prev is a box or unit number
// rather than a ZIP: "PO BOX 12345", "# 10001". Other designators are not
// checked: "FL" before a ZIP is Florida far more often than a floor.
func blocksZip(prev string) bool {
	return prev == "BOX" || prev == "#"
}

// streetTokens picks the delivery line out of comma-separated segments:
// the first segment, plus following segments that only name a unit
// ("123 Main St, Apt 4, Springfield"). A leading unit segment ("Apt 4, 123
// Main St") moves after the street that follows it.
func streetTokens(segs [][]string) []string {
	var street []string
	first := 0
	for first < len(segs) && len(segs[first]) == 0 {
		first++
	}
	if first == len(segs) {
		return nil
	}
	street = append(street, segs[first]...)
	rest := segs[first+1:]
	if allUnits(street) && len(rest) > 0 && len(rest[0]) > 0 && isDigit(rune(rest[0][0][0])) {
		street = append(append([]string(nil), rest[0]...), street...)
		rest = rest[1:]
	}
	for _, s := range rest {
		if !allUnits(s) {
			break
		}
		street = append(street, s...)
	}
	return street
}

func allUnits(s []string) bool {
	u, end := parseUnits(s, 0, false)
	return len(u) > 0 && end == len(s)
}

// splitGlued separates a designator typed glued to its number: "APT4",
// "STE200".
func splitGlued(s []string) []string {
	var out []string
	for _, t := range s {
		split := false
		for _, g := range gluedUnits {
			if len(t) > len(g) && strings.HasPrefix(t, g) && isDigit(rune(t[len(g)])) {
				out = append(out, g, t[len(g):])
				split = true
				break
			}
		}
		if !split {
			out = append(out, t)
		}
	}
	return out
}

// popStates removes trailing state names or codes. A state is only
// removed when what precedes it still parses as a street with a city in
// between ("… MAIN ST HARTFORD CT"), or as a complete street whose last
// word the state cannot be part of: "123 MAIN ST NE" keeps NE (the
// post-directional, not Nebraska) and "123 OAK CT" keeps CT (the suffix,
// not Connecticut).
func popStates(s []string) []string {
	for {
		n := stateTail(s)
		if n == 0 || n >= len(s) {
			return s
		}
		stripped := s[:len(s)-n]
		r := parseStreet(stripped)
		if !r.structured {
			return s
		}
		if r.end == len(stripped) && n == 1 {
			last := s[len(s)-1]
			_, dir := directionals[last]
			_, sfx := suffixes[last]
			if dir || sfx {
				return s
			}
		}
		s = stripped
	}
}

// stateTail returns how many trailing tokens of s name a state, or 0.
func stateTail(s []string) int {
	for _, name := range stateNames {
		if hasTail(s, name) {
			return len(name)
		}
	}
	if len(s) > 0 && states[s[len(s)-1]] {
		return 1
	}
	return 0
}
