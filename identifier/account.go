package identifier

import (
	"fmt"
	"strings"

	"github.com/keypadauth/keypad"
)

// Account number length bounds, after removing spaces and dashes: short
// enough to type, long enough that guessing one is not trivial.
const (
	AccountMinLen = 4
	AccountMaxLen = 32
)

// Account normalises an account number as printed on a bill: spaces and
// dashes go ("1234-5678 90" is "1234567890"), letters are upper-cased,
// and leading zeros stay (they are part of the number to the data
// holder). Only ASCII letters and digits are allowed.
func Account(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if len(s) > 4*AccountMaxLen {
		return "", invalid(keypad.IdentifierAccount, "too long for an account number; type it as printed on the bill")
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '-' || c == '\t':
		case c >= 'a' && c <= 'z':
			b.WriteByte(c - 'a' + 'A')
		case isASCIIAlnum(c):
			b.WriteByte(c)
		default:
			return "", invalid(keypad.IdentifierAccount, "may hold only letters, digits, spaces and dashes; type it as printed on the bill")
		}
	}
	if n := b.Len(); n < AccountMinLen || n > AccountMaxLen {
		return "", invalid(keypad.IdentifierAccount, fmt.Sprintf("must be %d to %d letters or digits; type it as printed on the bill", AccountMinLen, AccountMaxLen))
	}
	return b.String(), nil
}
