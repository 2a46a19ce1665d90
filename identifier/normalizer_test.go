package identifier

import (
	"errors"
	"strings"
	"testing"

	"github.com/keypadauth/keypad"
)

func TestInfer(t *testing.T) {
	tests := []struct {
		raw  string
		want keypad.IdentifierType
	}{
		{"heather@example.com", keypad.IdentifierEmail},
		{"heather@", keypad.IdentifierEmail}, // invalid, but clearly meant as an email
		{"(415) 555-0142", keypad.IdentifierPhone},
		{"415.555.0142", keypad.IdentifierPhone},
		{"+44 7911 123456", keypad.IdentifierPhone},
		{"4155550142", keypad.IdentifierPhone},
		{"ACCT-0012-3456", keypad.IdentifierAccount},
		{"0012345", keypad.IdentifierAccount}, // too short for a phone number
		{"98765432101234", keypad.IdentifierAccount},
		{"123 Main St", keypad.IdentifierAddress},
		{"123 N Main St #4, 94110", keypad.IdentifierAddress},
		{"12 34 56", keypad.IdentifierAddress},
		{"MAINSTREET", keypad.IdentifierAddress},
	}
	for _, tt := range tests {
		if got := (Normalizer{}).Infer(tt.raw); got != tt.want {
			t.Errorf("Infer(%q) = %q, want %q", tt.raw, got, tt.want)
		}
	}
}

func TestParse(t *testing.T) {
	n := Normalizer{}
	t.Run("OK", func(t *testing.T) {
		tests := []struct {
			raw, typ string
			want     keypad.Identifier
		}{
			{"Heather@Example.com", "", keypad.Identifier{Type: keypad.IdentifierEmail, Value: "heather@example.com"}},
			{"(415) 555-0142", "", keypad.Identifier{Type: keypad.IdentifierPhone, Value: "+14155550142"}},
			{"123 north main street apt 4", "", keypad.Identifier{Type: keypad.IdentifierAddress, Value: "123 N MAIN ST # 4"}},
			{"acct-0012-3456", "", keypad.Identifier{Type: keypad.IdentifierAccount, Value: "ACCT00123456"}},
			{"4155550142", "account", keypad.Identifier{Type: keypad.IdentifierAccount, Value: "4155550142"}},
			{"4155550142", " Phone ", keypad.Identifier{Type: keypad.IdentifierPhone, Value: "+14155550142"}},
		}
		for _, tt := range tests {
			got, err := n.Parse(tt.raw, tt.typ)
			if err != nil || got != tt.want {
				t.Errorf("Parse(%q, %q) = %+v, %v; want %+v", tt.raw, tt.typ, got, err, tt.want)
			}
		}
	})
	t.Run("ErrUnknownType", func(t *testing.T) {
		_, err := n.Parse("4155550142", "fax")
		var ve *keypad.ValidationError
		if !errors.As(err, &ve) || ve.Field != "identifier_type" {
			t.Fatalf("Parse(_, fax) error = %v, want a *keypad.ValidationError for identifier_type", err)
		}
		for _, typ := range Types {
			if !strings.Contains(ve.Message, string(typ)) {
				t.Errorf("message %q does not offer %q", ve.Message, typ)
			}
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		_, err := n.Parse("heather@", "")
		var ve *keypad.ValidationError
		if !errors.As(err, &ve) || ve.Field != "email" {
			t.Errorf("Parse(heather@) error = %v, want a *keypad.ValidationError for email", err)
		}
	})
}

func TestAccount(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		tests := []struct{ raw, want string }{
			{"0012 3456", "00123456"},
			{" acct-12-34 ", "ACCT1234"},
			{"AB\t12", "AB12"},
			{strings.Repeat("9", AccountMaxLen), strings.Repeat("9", AccountMaxLen)},
		}
		for _, tt := range tests {
			got, err := Account(tt.raw)
			if err != nil || got != tt.want {
				t.Errorf("Account(%q) = %q, %v; want %q", tt.raw, got, err, tt.want)
			}
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		for _, raw := range []string{"", "123", "- - -", "12.34.56", "1234/5678", "ÄB1234", strings.Repeat("9", AccountMaxLen+1)} {
			_, err := Account(raw)
			var ve *keypad.ValidationError
			if !errors.As(err, &ve) || ve.Field != "account" {
				t.Errorf("Account(%q) error = %v, want a *keypad.ValidationError for account", raw, err)
			}
		}
	})
}
