package manage

import (
	"encoding/base32"
	"fmt"
	"io"
	"strings"
)

// NewID returns a random identifier for a client, a person or an
// identity provider: prefix and 16 random bytes in lower-case base32
// (easy to read, type and put in a URL).
func NewID(rand io.Reader, prefix string) (string, error) {
	b := make([]byte, 16)
	if _, err := io.ReadFull(rand, b); err != nil {
		return "", fmt.Errorf("read randomness: %w", err)
	}
	return prefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)), nil
}
