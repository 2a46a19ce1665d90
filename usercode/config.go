package usercode

import (
	"fmt"
	"math"
	"strings"
)

// Bounds a Config must stay within. MinBits follows RFC 8628 §6.1, whose
// example of 8 characters from 20 gives 34.5 bits; below 30 bits the
// attempt limits stop being a comfortable margin. MaxLength keeps codes
// typeable.
const (
	MinBits   = 30
	MinLength = 4
	MaxLength = 20
)

// DefaultCharset holds the consonants that no one confuses with a digit or
// with each other in common fonts: no vowels (codes never spell words), no
// digits, no Y (a sometime vowel).
const DefaultCharset = "BCDFGHJKLMNPQRSTVWXZ"

// Config says how user codes look. It is a value type so a server can keep
// one in its configuration and copy it freely.
type Config struct {
	// Charset is the alphabet, upper-case ASCII letters and digits, each
	// at most once.
	Charset string
	// Length is the number of characters in a code.
	Length int
	// GroupSize is how many characters Format puts between dashes; 0
	// means no dashes.
	GroupSize int
}

// DefaultConfig returns keypad's default: 8 characters of DefaultCharset
// shown as two groups of four (WDJB-MJHT), 34.5 bits.
func DefaultConfig() Config {
	return Config{Charset: DefaultCharset, Length: 8, GroupSize: 4}
}

// Bits returns the entropy of a code drawn uniformly under c, so operators
// can compare configurations on one number.
func (c Config) Bits() float64 {
	if len(c.Charset) < 2 || c.Length < 1 {
		return 0
	}
	return float64(c.Length) * math.Log2(float64(len(c.Charset)))
}

// Validate reports the first problem with c, naming the field and what it
// accepts, so a mistake in the configuration file stops the server at
// start-up instead of weakening every code it hands out.
func (c Config) Validate() error {
	for i, r := range c.Charset {
		if !isCharsetRune(r) {
			return fmt.Errorf("usercode: charset: character %q at byte %d is not allowed; use upper-case ASCII letters A-Z and digits 0-9", r, i)
		}
		if strings.IndexRune(c.Charset[:i], r) >= 0 {
			return fmt.Errorf("usercode: charset: character %q appears more than once; list each character once", r)
		}
	}
	if len(c.Charset) < 2 {
		return fmt.Errorf("usercode: charset: %d characters is too few; use at least 2 (default %s)", len(c.Charset), DefaultCharset)
	}
	if c.Length < MinLength || c.Length > MaxLength {
		return fmt.Errorf("usercode: length: %d is out of range; use %d to %d characters", c.Length, MinLength, MaxLength)
	}
	if c.GroupSize != 0 && (c.GroupSize < 2 || c.GroupSize > c.Length) {
		return fmt.Errorf("usercode: group size: %d is out of range; use 0 (no dashes) or 2 to length (%d)", c.GroupSize, c.Length)
	}
	if bits := c.Bits(); bits < MinBits {
		return fmt.Errorf("usercode: length %d of a %d-character charset gives %.1f bits; use at least %d bits (a longer code or a larger charset)", c.Length, len(c.Charset), bits, MinBits)
	}
	return nil
}

func isCharsetRune(r rune) bool {
	return ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9')
}
