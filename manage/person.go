package manage

import (
	"strings"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/identifier"
)

// PersonSpec is a person as an administrator describes them (`keypad
// user create`, the admin API's people): who they are, and what they are
// found by, as typed. Apply turns it into a keypad.Subject.
type PersonSpec struct {
	ExternalID, Username, Name string
	// Email, Phone, Address and Account are what the OTP flow finds the
	// person by (phone and email are also where codes go), as typed;
	// Apply normalises them as `keypad user import` does.
	Email, Phone, Address, Account string
	// PreferredLanguage is a BCP 47 tag, or "" for the server's default.
	PreferredLanguage string
	Disabled          bool
}

// Findable reports a *FieldError unless the spec names something the
// person is found by: a username or an identifier. None is required on
// its own (a utility customer may have no username).
func (p PersonSpec) Findable() error {
	if strings.TrimSpace(p.Username) == "" && p.Email == "" && p.Phone == "" && p.Address == "" && p.Account == "" {
		return fieldErr("username", "give at least one of {username}, {email}, {phone}, {address}, {account}: something the person is found by")
	}
	return nil
}

// Apply gives s (a new subject with its ID, or a copy of a stored one)
// everything the spec describes, and checks the result: the spec is the
// whole description, so an identifier or channel it leaves out goes.
// Phone numbers without a country code are read in region. The ID,
// password and times are s's own. An error is a *FieldError or a
// *keypad.ValidationError naming the field.
func (p PersonSpec) Apply(s *keypad.Subject, region string) error {
	if err := p.Findable(); err != nil {
		return err
	}
	s.ExternalID = strings.TrimSpace(p.ExternalID)
	s.Username = strings.TrimSpace(p.Username)
	s.Name = p.Name
	s.PreferredLanguage = p.PreferredLanguage
	s.Disabled = p.Disabled
	s.Email, s.Phone = "", ""
	rec := identifier.Record{Email: p.Email, Phone: p.Phone, Address: p.Address, Account: p.Account}
	if err := Identify(s, rec, region); err != nil {
		return err
	}
	return s.Validate()
}

// SpecOfPerson is the spec that describes s, for an update to change only
// what it is told: its email and phone, and its first address and account
// identifier.
func SpecOfPerson(s *keypad.Subject) PersonSpec {
	p := PersonSpec{ExternalID: s.ExternalID, Username: s.Username, Name: s.Name, Email: s.Email, Phone: s.Phone,
		PreferredLanguage: s.PreferredLanguage, Disabled: s.Disabled}
	for _, id := range s.Identifiers {
		switch {
		case id.Type == keypad.IdentifierAddress && p.Address == "":
			p.Address = id.Value
		case id.Type == keypad.IdentifierAccount && p.Account == "":
			p.Account = id.Value
		}
	}
	return p
}
