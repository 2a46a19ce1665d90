package identifier

import (
	"fmt"
	"strings"

	"github.com/nyaruka/phonenumbers"

	"github.com/keypadauth/keypad"
)

// Types lists the identifier types a person may be found by, in the order
// error messages offer them.
var Types = []keypad.IdentifierType{
	keypad.IdentifierAddress, keypad.IdentifierPhone, keypad.IdentifierEmail, keypad.IdentifierAccount,
}

// Normalizer turns what a person typed, or what a customer file holds,
// into keypad.Identifier values. The zero value is ready to use and
// assumes US phone numbers.
type Normalizer struct {
	// DefaultRegion is the ISO 3166-1 region assumed for phone numbers
	// written without a country code ("(415) 555-0142"); "" means "US".
	// Decoy phone hints look like numbers of this region too.
	DefaultRegion string
}

func (n Normalizer) region() string {
	if n.DefaultRegion == "" {
		return "US"
	}
	return strings.ToUpper(n.DefaultRegion)
}

// Email normalises an email address; see the package function Email.
func (n Normalizer) Email(raw string) (string, error) { return Email(raw) }

// Address returns an address's lookup key; see the package function
// Address.
func (n Normalizer) Address(raw string) (string, error) { return Address(raw) }

// Account normalises an account number; see the package function Account.
func (n Normalizer) Account(raw string) (string, error) { return Account(raw) }

// Phone returns the E.164 form of a phone number. region is the region
// assumed when the number has no country code; "" means DefaultRegion.
func (n Normalizer) Phone(raw, region string) (string, error) {
	if region == "" {
		region = n.region()
	}
	return Phone(raw, region)
}

// Infer guesses what kind of identifier a person typed, for clients that
// do not send identifier_type: an email has an "@"; a phone number is
// mostly digits and punctuation and is a valid number of the default
// region (or has a country code); an account number is one run of letters
// and digits; anything else is an address. An account number that is also
// a valid phone number is taken for a phone number: clients that ask for
// account numbers should say so.
func (n Normalizer) Infer(raw string) keypad.IdentifierType {
	s := strings.TrimSpace(raw)
	switch {
	case strings.Contains(s, "@"):
		return keypad.IdentifierEmail
	case n.looksLikePhone(s):
		return keypad.IdentifierPhone
	case looksLikeAccount(s):
		return keypad.IdentifierAccount
	}
	return keypad.IdentifierAddress
}

func (n Normalizer) looksLikePhone(s string) bool {
	if len(s) > maxPhoneLen {
		return false
	}
	digits := 0
	for _, r := range s {
		switch {
		case isDigit(r):
			digits++
		case strings.ContainsRune(" +().-/", r):
		default:
			return false
		}
	}
	if digits < 7 {
		return false
	}
	num, err := phonenumbers.Parse(s, n.region())
	return err == nil && phonenumbers.IsValidNumber(num)
}

func looksLikeAccount(s string) bool {
	if s == "" || !hasDigit(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isASCIIAlnum(s[i]) && s[i] != '-' {
			return false
		}
	}
	return true
}

// Normalize normalises raw as an identifier of type typ. Errors are
// *keypad.ValidationError with Field set to the type, and say what to type
// instead.
func (n Normalizer) Normalize(typ keypad.IdentifierType, raw string) (keypad.Identifier, error) {
	var v string
	var err error
	switch typ {
	case keypad.IdentifierEmail:
		v, err = Email(raw)
	case keypad.IdentifierPhone:
		v, err = n.Phone(raw, "")
	case keypad.IdentifierAddress:
		v, err = Address(raw)
	case keypad.IdentifierAccount:
		v, err = Account(raw)
	default:
		return keypad.Identifier{}, unknownType(string(typ))
	}
	if err != nil {
		return keypad.Identifier{}, err
	}
	return keypad.Identifier{Type: typ, Value: v}, nil
}

// Parse normalises what a client sent to the OTP lookup: raw is the
// identifier as typed and typ the optional identifier_type; when typ is
// empty the type is inferred.
func (n Normalizer) Parse(raw, typ string) (keypad.Identifier, error) {
	t := keypad.IdentifierType(strings.ToLower(strings.TrimSpace(typ)))
	if t == "" {
		t = n.Infer(raw)
	}
	return n.Normalize(t, raw)
}

// unknownType is the error for an identifier_type keypad does not know.
func unknownType(typ string) error {
	names := make([]string, len(Types))
	for i, t := range Types {
		names[i] = string(t)
	}
	return &keypad.ValidationError{
		Field:   "identifier_type",
		Message: fmt.Sprintf("unknown type %q; use one of %s, or leave it out to let keypad infer it", typ, strings.Join(names, ", ")),
	}
}

// invalid is the error for a value that does not normalise.
func invalid(typ keypad.IdentifierType, msg string) error {
	return &keypad.ValidationError{Field: string(typ), Message: msg}
}
