package usercode

import (
	"errors"
	"fmt"
	"io"
)

// maxRounds bounds how often sample refills its buffer. With an alphabet
// of n ≤ 36 symbols at most 1 byte in 8 is rejected, so an honest source
// finishes in one or two rounds; a source stuck on rejected bytes (a broken
// or malicious reader) gets an error instead of a hung request.
const maxRounds = 32

// errStuckRandom reports a randomness source that keeps producing bytes
// that sampling must reject.
var errStuckRandom = errors.New("randomness source produced only rejected bytes; check the reader")

// sample returns length symbols drawn uniformly from alphabet. Each byte
// b of the source is kept only if b < 256 - 256%n, the largest multiple of
// n that fits in a byte, and then mapped to alphabet[b%n]: every symbol has
// exactly the same number of bytes mapping to it, so there is no modulo
// bias.
func sample(rand io.Reader, alphabet string, length int) (string, error) {
	n := len(alphabet)
	if n < 2 || n > 256 {
		return "", fmt.Errorf("usercode: cannot sample from %d symbols", n)
	}
	limit := 256 - 256%n
	out := make([]byte, 0, length)
	buf := make([]byte, length+length/4+1)
	for range maxRounds {
		if _, err := io.ReadFull(rand, buf); err != nil {
			return "", fmt.Errorf("usercode: read randomness: %w", err)
		}
		for _, b := range buf {
			if int(b) >= limit {
				continue
			}
			out = append(out, alphabet[int(b)%n])
			if len(out) == length {
				return string(out), nil
			}
		}
	}
	return "", fmt.Errorf("usercode: %w", errStuckRandom)
}
