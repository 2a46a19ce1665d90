package identifier

import (
	"net/mail"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/keypadauth/keypad"
)

// Email normalises an email address: trimmed, and the whole address
// lower-cased. RFC 5321 lets a mailbox name be case-sensitive, but no
// mainstream provider treats it so, and customer records spell the same
// address with any capitalisation ("Heather@Example.COM" in the billing
// system, "heather@example.com" at the kiosk); matching those matters
// more than a theoretical mailbox that differs only in case.
//
// The address must be a bare addr-spec (no display name, no comments),
// with exactly one "@" and a dotted domain. Internationalised domains are
// kept in Unicode (NFC), not converted to punycode, so "bücher.de" and
// "xn--bcher-kva.de" do not match.
func Email(raw string) (string, error) {
	s := norm.NFC.String(strings.ToLower(norm.NFC.String(strings.TrimSpace(raw))))
	switch {
	case s == "":
		return "", invalid(keypad.IdentifierEmail, "empty; type an email address, e.g. name@example.com")
	case len(s) > 254:
		return "", invalid(keypad.IdentifierEmail, "too long for an email address; check what was typed")
	case strings.Count(s, "@") != 1:
		return "", invalid(keypad.IdentifierEmail, "needs exactly one @, e.g. name@example.com")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "", invalid(keypad.IdentifierEmail, "is not a valid email address; check it for typos, e.g. name@example.com")
	}
	local, domain, _ := strings.Cut(s, "@")
	if len(local) > 64 {
		return "", invalid(keypad.IdentifierEmail, "the part before @ is too long; check what was typed")
	}
	if !validDomain(domain) {
		return "", invalid(keypad.IdentifierEmail, "the part after @ is not a valid domain, e.g. example.com")
	}
	return s, nil
}

// validDomain checks a lower-cased domain: at least two dot-separated
// labels of letters, digits and inner hyphens, and a top-level label that
// is not all digits (so "1.2.3.4" is not a domain).
func validDomain(d string) bool {
	if len(d) > 253 {
		return false
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.M, r) {
				return false
			}
		}
	}
	return !allDigits(labels[len(labels)-1])
}
