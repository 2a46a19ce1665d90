package identifier

import (
	"errors"
	"testing"

	"github.com/keypadauth/keypad"
)

func TestPhone(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		tests := []struct{ raw, region, want string }{
			{"(415) 555-0142", "US", "+14155550142"},
			{"415.555.0142", "US", "+14155550142"},
			{"+1 415 555 0142", "US", "+14155550142"},
			{"1-415-555-0142", "US", "+14155550142"},
			{"4155550142", "", "+14155550142"},
			{"+1 415 555 0142", "GB", "+14155550142"},
			{"+44 7911 123456", "US", "+447911123456"},
			{"07400 123456", "GB", "+447400123456"},
			{"07400 123456", "gb", "+447400123456"},
			{"+49 151 23456789", "", "+4915123456789"},
			{"+33 6 12 34 56 78", "", "+33612345678"},
			{"+81 3-1234-5678", "", "+81312345678"},
			{"(613) 555-0199", "CA", "+16135550199"},
		}
		for _, tt := range tests {
			got, err := Normalizer{}.Phone(tt.raw, tt.region)
			if err != nil || got != tt.want {
				t.Errorf("Phone(%q, %q) = %q, %v; want %q", tt.raw, tt.region, got, err, tt.want)
			}
		}
	})
	t.Run("DefaultRegion", func(t *testing.T) {
		n := Normalizer{DefaultRegion: "GB"}
		got, err := n.Phone("07400 123456", "")
		if want := "+447400123456"; err != nil || got != want {
			t.Errorf("GB Normalizer.Phone = %q, %v; want %q", got, err, want)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		tests := []struct{ raw, region string }{
			{"", "US"}, {"hello", "US"}, {"555-0142", "US"}, {"(415) 555-014", "US"},
			{"+1 415 555 01422", "US"}, {"(099) 555-0142", "US"}, {"07400 123456", "US"},
			{"415 555 0142 ext 12", "US"}, {"415 555 0142", "XX"}, {"+999 1234 5678", "US"},
			{"1234567890123456789012345678901234567890123456789012345678901234567890", "US"},
		}
		for _, tt := range tests {
			_, err := Phone(tt.raw, tt.region)
			var ve *keypad.ValidationError
			if !errors.As(err, &ve) || ve.Field != "phone" {
				t.Errorf("Phone(%q, %q) error = %v, want a *keypad.ValidationError for field phone", tt.raw, tt.region, err)
			}
		}
	})
}

func TestCountry(t *testing.T) {
	tests := []struct{ e164, want string }{
		{"+14155550142", "US"},
		{"+16135550199", "CA"},
		{"+447400123456", "GB"},
		{"+4915123456789", "DE"},
		{"4155550142", ""}, // not E.164
		{"+1415", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Country(tt.e164); got != tt.want {
			t.Errorf("Country(%q) = %q, want %q", tt.e164, got, tt.want)
		}
	}
}
