package keypad_test

import (
	"slices"
	"testing"

	"github.com/keypadauth/keypad"
)

func TestSubjectSetIdentifiers(t *testing.T) {
	ids := []keypad.Identifier{
		{Type: keypad.IdentifierAccount, Value: "1001"},
		{Type: keypad.IdentifierEmail, Value: "h@example.com"},
		{Type: keypad.IdentifierPhone, Value: "+15555550100"},
	}
	t.Run("OK", func(t *testing.T) {
		var s keypad.Subject
		s.SetIdentifiers(ids)
		if s.Email != "h@example.com" || s.Phone != "+15555550100" || !slices.Equal(s.Identifiers, ids) {
			t.Errorf("got email %q, phone %q, identifiers %v; want the email, the phone and all three identifiers", s.Email, s.Phone, s.Identifiers)
		}
	})
	t.Run("OKKeepsUnnamedChannel", func(t *testing.T) {
		s := keypad.Subject{Email: "old@example.com", Phone: "+15555550199"}
		s.SetIdentifiers(ids[2:])
		if s.Email != "old@example.com" || s.Phone != "+15555550100" {
			t.Errorf("got email %q, phone %q; want the old email kept and the new phone", s.Email, s.Phone)
		}
	})
}
