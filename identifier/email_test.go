package identifier

import (
	"errors"
	"testing"

	"github.com/keypadauth/keypad"
)

func TestEmail(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		tests := []struct{ raw, want string }{
			{"heather@example.com", "heather@example.com"},
			{"  Heather@Example.COM ", "heather@example.com"},
			{"HEATHER.SMITH+KIOSK@MAIL.EXAMPLE.CO.UK", "heather.smith+kiosk@mail.example.co.uk"},
			{"o'brien@example.ie", "o'brien@example.ie"},
			{"x@sub-domain.example.org", "x@sub-domain.example.org"},
			{"José@Bücher.DE", "josé@bücher.de"},
		}
		for _, tt := range tests {
			got, err := Email(tt.raw)
			if err != nil || got != tt.want {
				t.Errorf("Email(%q) = %q, %v; want %q", tt.raw, got, err, tt.want)
			}
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		for _, raw := range []string{
			"", "   ", "heather", "heather@", "@example.com", "heather@example", "heather@@example.com",
			"a@b@example.com", "Heather <heather@example.com>", "heather@example.com (home)",
			"heather smith@example.com", "heather@-example.com", "heather@example-.com", "heather@example..com",
			"heather@.example.com", "heather@example.com.", "heather@[192.0.2.1]", "heather@192.0.2.1",
			"heather@exa_mple.com", `"heather smith"@example.com`, string(make([]byte, 300)) + "@example.com",
		} {
			_, err := Email(raw)
			var ve *keypad.ValidationError
			if !errors.As(err, &ve) || ve.Field != "email" {
				t.Errorf("Email(%q) error = %v, want a *keypad.ValidationError for field email", raw, err)
			}
		}
	})
}
