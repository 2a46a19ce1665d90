package manage

import (
	"errors"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/identifier"
)

// Identify normalises what a person is found by into s, as `keypad user
// import` does: the identifiers, and the email and phone that codes are
// sent to. Phone numbers without a country code are read in region (the
// server's otp.region). A value that cannot be read is a
// *keypad.ValidationError naming the field (email, phone, address,
// account).
func Identify(s *keypad.Subject, rec identifier.Record, region string) error {
	ids, err := rec.Identifiers(identifier.Normalizer{DefaultRegion: region})
	if err != nil {
		var re *identifier.RowError
		if errors.As(err, &re) && re.Field != "" {
			return &keypad.ValidationError{Field: re.Field, Message: re.Reason}
		}
		return err
	}
	s.SetIdentifiers(ids)
	return nil
}
