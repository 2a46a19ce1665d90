package password

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// Limits on what a person may type. MaxBytes stops a megabyte "password"
// from costing anything; MinChars follows NIST SP 800-63B, which prefers
// length to composition rules.
const (
	MinChars = 8
	MaxBytes = 1024
)

// Errors for passwords a person typed. Their text is written for that
// person: it says what to do.
var (
	ErrEmpty    = errors.New("password is empty: type a password")
	ErrTooShort = fmt.Errorf("password is shorter than %d characters: choose a longer one", MinChars)
	ErrTooLong  = fmt.Errorf("password is longer than %d bytes: choose a shorter one", MaxBytes)
	ErrNotText  = errors.New("password is not valid UTF-8 text: type it again")
)

// Validate applies keypad's policy to a new password: at least MinChars
// characters, at most MaxBytes bytes, valid UTF-8. It is for setting a
// password, never for signing in: a stricter policy later must not lock
// out people whose passwords met the old one.
func Validate(pw string) error {
	if err := checkSize(pw); err != nil {
		return err
	}
	if !utf8.ValidString(pw) {
		return ErrNotText
	}
	if utf8.RuneCountInString(pw) < MinChars {
		return ErrTooShort
	}
	return nil
}

// checkSize rejects what Hash refuses: empty and over-long passwords.
func checkSize(pw string) error {
	switch {
	case pw == "":
		return ErrEmpty
	case len(pw) > MaxBytes:
		return ErrTooLong
	}
	return nil
}

// Hash returns the PHC string of pw under DefaultParams, with a salt
// read from rand.
func Hash(pw string, rand io.Reader) (string, error) {
	return DefaultParams().Hash(pw, rand)
}

// Hash returns the PHC string of pw under p, with a salt read from rand.
// It refuses invalid Params, so a configuration mistake cannot produce
// weak hashes, and empty or over-long passwords (ErrEmpty, ErrTooLong).
// Policy (Validate) is the caller's business.
func (p Params) Hash(pw string, rand io.Reader) (string, error) {
	if err := p.Validate(); err != nil {
		return "", err
	}
	if err := checkSize(pw); err != nil {
		return "", err
	}
	salt := make([]byte, p.SaltLen)
	if _, err := io.ReadFull(rand, salt); err != nil {
		return "", fmt.Errorf("password: read salt: %w", err)
	}
	return encode(p, salt, p.derive(pw, salt)), nil
}

// Verify reports whether pw matches phc, comparing in constant time and
// using the parameters stored in phc. An empty or over-long pw simply
// does not match (Hash never accepts one), so a sign-in handler can treat
// every false alike. The error is only for a malformed phc
// (ErrMalformedHash): a problem with the stored data, not with what the
// person typed.
func Verify(phc, pw string) (bool, error) {
	p, salt, want, err := parse(phc)
	if err != nil {
		return false, err
	}
	if checkSize(pw) != nil {
		return false, nil
	}
	got := p.derive(pw, salt)
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// NeedsRehash reports whether phc should be replaced, after a successful
// Verify, by a hash under DefaultParams.
func NeedsRehash(phc string) bool {
	return DefaultParams().NeedsRehash(phc)
}

// NeedsRehash reports whether phc was made with parameters other than p
// (weaker, stronger or different lengths) or cannot be read, so that
// changing the configuration upgrades hashes as people sign in.
func (p Params) NeedsRehash(phc string) bool {
	got, _, _, err := parse(phc)
	return err != nil || got != p
}

// VerifyDummy does the work of Verify against a hash made with
// DefaultParams and throws the result away. Call it when the account does
// not exist, so that the answer takes as long as for a wrong password.
func VerifyDummy(pw string) {
	DefaultParams().VerifyDummy(pw)
}

// VerifyDummy does the work of Verify against a hash made with p; use
// the Params that real hashes are made with. If p is invalid it falls back
// to DefaultParams, so a mistake can never make unknown accounts cheap.
func (p Params) VerifyDummy(pw string) {
	if p.Validate() != nil {
		p = DefaultParams()
	}
	if checkSize(pw) != nil {
		return // Verify returns at once too
	}
	p.derive(pw, make([]byte, p.SaltLen))
}
