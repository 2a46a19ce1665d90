package identifier

import (
	"strconv"

	"github.com/nyaruka/phonenumbers"
)

// nanpNumber reads, without the general parser, a number of the North
// American Numbering Plan written the plain ways customer files write
// them: "(415) 555-0142", "415.555.0142", "1-415-555-0142",
// "+1 415 555 0142". It gives what phonenumbers.Parse gives for such a
// string in a region of country code 1, and ok is false for anything
// else, which then goes to the parser. The parser's regular expressions
// were half of an import's phone normalisation, itself a sixth of the
// import's CPU (docs/performance.md); validity is still checked by
// phonenumbers.IsValidNumber.
func nanpNumber(s, region string) (num *phonenumbers.PhoneNumber, ok bool) {
	var digits [11]byte
	n, plus := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			if n == len(digits) {
				return nil, false
			}
			digits[n] = c
			n++
		case c == '+' && i == 0:
			plus = true
		case c == ' ' || c == '(' || c == ')' || c == '-' || c == '.':
		default:
			return nil, false
		}
	}
	d := digits[:n]
	switch {
	case n == 11 && d[0] == '1':
		d = d[1:]
	case n == 10 && !plus:
	default:
		return nil, false
	}
	if d[0] < '2' || phonenumbers.GetCountryCodeForRegion(region) != 1 {
		return nil, false
	}
	national, err := strconv.ParseUint(string(d), 10, 64)
	if err != nil {
		return nil, false
	}
	cc := int32(1)
	return &phonenumbers.PhoneNumber{CountryCode: &cc, NationalNumber: &national}, true
}
