package importer

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"strings"
)

// subjectIDEncoding writes IDs as `keypad user create` does: lower-case
// base32 without padding.
var subjectIDEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// SubjectIDFor derives a new person's keypad ID from their external ID:
// 128 bits of HMAC-SHA256 under a key from the server secret, so the same
// file imported into two fresh databases gives everyone the same ID; the
// key keeps the ID (the sub claim of their tokens) from revealing the
// customer number to clients.
func SubjectIDFor(key []byte, externalID string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("keypad/import/subject-id/v1\x00"))
	m.Write([]byte(externalID))
	return strings.ToLower(subjectIDEncoding.EncodeToString(m.Sum(nil)[:16]))
}
