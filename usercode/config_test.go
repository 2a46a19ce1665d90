package usercode

import (
	"math"
	"strings"
	"testing"
)

func TestDefaultConfig(t *testing.T) {
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatalf("DefaultConfig().Validate() = %v, want nil", err)
	}
	// RFC 8628 §6.1's example: 8 characters of 20 give 34.5 bits.
	if got, want := c.Bits(), 8*math.Log2(20); math.Abs(got-want) > 1e-9 {
		t.Errorf("Bits() = %v, want %v", got, want)
	}
	if got := strings.ToUpper(c.Charset); strings.ContainsAny(got, "AEIOUY0123456789") {
		t.Errorf("default charset %q holds a vowel or a digit", got)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		c    Config
		want string // substring of the error; "" means valid
	}{
		{"OK", DefaultConfig(), ""},
		{"OKNoGroups", Config{Charset: DefaultCharset, Length: 8}, ""},
		{"OKDigitsOnly", Config{Charset: "0123456789", Length: 10, GroupSize: 5}, ""},
		{"OKGroupIsWholeCode", Config{Charset: DefaultCharset, Length: 8, GroupSize: 8}, ""},
		{"ErrLowerCase", Config{Charset: "bcdfghjklmnpqrstvwxz", Length: 8}, `charset: character 'b' at byte 0 is not allowed`},
		{"ErrNonASCII", Config{Charset: "BCDFGHJKLMNPQRSTVWXÄ", Length: 8}, `character 'Ä'`},
		{"ErrDash", Config{Charset: "BCDFGHJKLMNPQRSTVWX-", Length: 8}, `character '-'`},
		{"ErrDuplicate", Config{Charset: "BCDFGHJKLMNPQRSTVWXB", Length: 8}, `charset: character 'B' appears more than once`},
		{"ErrEmptyCharset", Config{Length: 8}, "charset: 0 characters is too few"},
		{"ErrOneCharacter", Config{Charset: "B", Length: 8}, "charset: 1 characters is too few"},
		{"ErrTooShort", Config{Charset: DefaultCharset, Length: 3}, "length: 3 is out of range; use 4 to 20"},
		{"ErrTooLong", Config{Charset: DefaultCharset, Length: 21}, "length: 21 is out of range"},
		{"ErrGroupOne", Config{Charset: DefaultCharset, Length: 8, GroupSize: 1}, "group size: 1 is out of range"},
		{"ErrGroupNegative", Config{Charset: DefaultCharset, Length: 8, GroupSize: -4}, "group size: -4"},
		{"ErrGroupOverLength", Config{Charset: DefaultCharset, Length: 8, GroupSize: 9}, "group size: 9"},
		// 6 × log2(20) = 25.9 bits; 9 × log2(10) = 29.9 bits.
		{"ErrWeakShort", Config{Charset: DefaultCharset, Length: 6}, "gives 25.9 bits; use at least 30 bits"},
		{"ErrWeakDigits", Config{Charset: "0123456789", Length: 9}, "gives 29.9 bits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.want != "" && err == nil:
				t.Fatalf("Validate() = nil, want error containing %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Fatalf("Validate() = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestConfigBitsDegenerate(t *testing.T) {
	for _, c := range []Config{{}, {Charset: "B", Length: 8}, {Charset: DefaultCharset}} {
		if got := c.Bits(); got != 0 {
			t.Errorf("%+v.Bits() = %v, want 0", c, got)
		}
	}
}
