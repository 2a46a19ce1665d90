package usercode

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
)

// MinKeyLen is the shortest key Hash accepts: 256 bits.
const MinKeyLen = 32

// hashLabel separates this use of the server's key from every other.
const hashLabel = "keypad/device-user-code/v1\x00"

// Hash is what the store keeps of a normalised device user code: an
// HMAC-SHA256 under the server's key (derived from the server secret, the
// same on every instance). An 8-letter code has about 35 bits, so an
// unkeyed hash in a leaked database is reversed in seconds; without the
// key it cannot be tested at all. Both the device authorization endpoint
// and the code-entry page must hash with the same key.
func Hash(key []byte, code string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(hashLabel))
	m.Write([]byte(code))
	return m.Sum(nil)
}

// CheckKey reports a key too short for Hash; what names its owner.
func CheckKey(what string, key []byte) error {
	if len(key) < MinKeyLen {
		return fmt.Errorf("%s: user code key has %d bytes, want at least %d (derive it from the server secret)", what, len(key), MinKeyLen)
	}
	return nil
}
