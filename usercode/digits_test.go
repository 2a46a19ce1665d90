package usercode

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
)

func TestGenerateDigits(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		// 250..255 are rejected; 0 and 10 are both '0', 249 is '9'.
		src := bytes.NewReader([]byte{0, 250, 10, 255, 249, 13, 7, 99, 0, 0, 0, 0, 0, 0})
		got, err := GenerateDigits(src, 6)
		if err != nil {
			t.Fatal(err)
		}
		if want := "009379"; got != want {
			t.Errorf("GenerateDigits = %q, want %q", got, want)
		}
	})
	t.Run("OKCryptoRand", func(t *testing.T) {
		for _, n := range []int{MinDigits, 6, MaxDigits} {
			got, err := GenerateDigits(rand.Reader, n)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != n || strings.Trim(got, digits) != "" {
				t.Errorf("GenerateDigits(%d) = %q, want %d digits", n, got, n)
			}
		}
	})
	t.Run("ErrStuckRandom", func(t *testing.T) {
		if _, err := GenerateDigits(repeatReader(250), 6); !errors.Is(err, errStuckRandom) {
			t.Fatalf("GenerateDigits = %v, want errStuckRandom", err)
		}
	})
	for _, n := range []int{-1, 0, MinDigits - 1, MaxDigits + 1} {
		if _, err := GenerateDigits(rand.Reader, n); err == nil || !strings.Contains(err.Error(), "use 4 to 12 digits") {
			t.Errorf("GenerateDigits(%d) = %v, want a length error", n, err)
		}
	}
}

func TestNormalizeDigits(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  string // "" means ErrInvalid
	}{
		{"OK", "482193", "482193"},
		{"OKLeadingZeros", "000123", "000123"},
		{"OKSpaces", " 482 193 ", "482193"},
		{"OKDash", "482-193", "482193"},
		{"OKFullWidth", "４８２１９３", "482193"},
		{"ErrShort", "48219", ""},
		{"ErrLong", "4821930", ""},
		{"ErrLetter", "48219O", ""},
		{"ErrSign", "+82193", ""},
		{"ErrArabicIndic", "٤٨٢١٩٣", ""},
		{"ErrEmpty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeDigits(tt.input, 6)
			if tt.want == "" {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("NormalizeDigits(%q) = %q, %v; want ErrInvalid", tt.input, got, err)
				}
				mustSayOnlyNotValid(t, err)
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("NormalizeDigits(%q) = %q, %v; want %q", tt.input, got, err, tt.want)
			}
		})
	}
	t.Run("ErrLengthOutOfRange", func(t *testing.T) {
		if _, err := NormalizeDigits("123", 3); err == nil || errors.Is(err, ErrInvalid) {
			t.Fatalf("NormalizeDigits(_, 3) = %v, want a configuration error", err)
		}
	})
}
