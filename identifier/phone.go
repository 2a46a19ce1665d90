package identifier

import (
	"fmt"
	"strings"

	"github.com/nyaruka/phonenumbers"

	"github.com/keypadauth/keypad"
)

// maxPhoneLen bounds the input handed to the phone number parser; the
// longest number written with every separator and a country code is far
// shorter.
const maxPhoneLen = 64

// Phone returns the E.164 form ("+14155550142") of a phone number typed
// in any common way: "(415) 555-0142", "415.555.0142", "+1 415 555 0142",
// "1-415-555-0142". A number without a country code is read as a number
// of region (ISO 3166-1, e.g. "US"). Numbers that are not valid for their
// country, and numbers with an extension (which cannot receive texts),
// are refused.
func Phone(raw, region string) (string, error) {
	region = strings.ToUpper(strings.TrimSpace(region))
	s := strings.TrimSpace(raw)
	switch {
	case s == "":
		return "", invalid(keypad.IdentifierPhone, "empty; type a phone number, e.g. (415) 555-0142 or +44 7911 123456")
	case len(s) > maxPhoneLen:
		return "", invalid(keypad.IdentifierPhone, "too long for a phone number; check what was typed")
	}
	num, ok := nanpNumber(s, region)
	if !ok {
		var err error
		if num, err = phonenumbers.Parse(s, region); err != nil {
			return "", invalid(keypad.IdentifierPhone, fmt.Sprintf("is not a phone number; type its digits, with the country code (e.g. +44) if it is not a %s number", region))
		}
	}
	if num.GetExtension() != "" {
		return "", invalid(keypad.IdentifierPhone, "has an extension; give a number that can receive texts, without the extension")
	}
	if !phonenumbers.IsValidNumber(num) {
		return "", invalid(keypad.IdentifierPhone, fmt.Sprintf("is not a valid phone number; check the digits, and add the country code (e.g. +44) for numbers outside %s", region))
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// Country returns the region ("US", "GB", "CA") of an E.164 number, or ""
// when it is not a valid number. SMS delivery checks it against the
// countries it is allowed to text: texts to some countries cost a lot and
// attract SMS pumping.
func Country(e164 string) string {
	num, ok := parseE164(e164)
	if !ok || !phonenumbers.IsValidNumber(num) {
		return ""
	}
	return phonenumbers.GetRegionCodeForNumber(num)
}

// parseE164 parses a number that must carry its country code.
func parseE164(e164 string) (*phonenumbers.PhoneNumber, bool) {
	s := strings.TrimSpace(e164)
	if !strings.HasPrefix(s, "+") || len(s) > maxPhoneLen {
		return nil, false
	}
	num, err := phonenumbers.Parse(s, "ZZ")
	return num, err == nil
}
