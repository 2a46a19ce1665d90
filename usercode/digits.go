package usercode

import (
	"fmt"
	"io"
)

// Bounds on the length of a numeric one-time code. Fewer than 4 digits is
// guessable even with attempt limits; more than 12 is not something a
// person copies from a text message reliably. keypad's default is 6.
const (
	MinDigits = 4
	MaxDigits = 12
)

const digits = "0123456789"

// GenerateDigits draws an n-digit one-time code, every value from 0…0 to
// 9…9 equally likely; leading zeros are kept, so the result is a string,
// never a number.
func GenerateDigits(rand io.Reader, n int) (string, error) {
	if err := checkDigits(n); err != nil {
		return "", err
	}
	return sample(rand, digits, n)
}

// NormalizeDigits turns a typed one-time code into its canonical form: the
// n digits alone. It ignores the same separators as Normalize and folds
// full-width digits; any other character or a wrong count gives an
// *InvalidError, which tells a person only "not a valid code".
func NormalizeDigits(input string, n int) (string, error) {
	if err := checkDigits(n); err != nil {
		return "", err
	}
	if len(input) > maxInput {
		return "", invalid("input is %d bytes, more than %d", len(input), maxInput)
	}
	out := make([]byte, 0, n)
	for _, r := range input {
		r = foldWidth(r)
		if isSeparator(r) {
			continue
		}
		if r < '0' || r > '9' {
			return "", invalid("character %d is not a digit", len(out)+1)
		}
		out = append(out, byte(r))
	}
	if len(out) != n {
		return "", invalid("%d digits, want %d", len(out), n)
	}
	return string(out), nil
}

func checkDigits(n int) error {
	if n < MinDigits || n > MaxDigits {
		return fmt.Errorf("usercode: one-time code length %d is out of range; use %d to %d digits", n, MinDigits, MaxDigits)
	}
	return nil
}
