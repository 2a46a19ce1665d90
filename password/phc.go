package password

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// ErrMalformedHash means a stored hash is not an argon2id PHC string
// keypad accepts. It points at the database, not at the person signing
// in: log it and answer with a server error.
var ErrMalformedHash = errors.New("password: malformed hash")

// maxPHC bounds the hash string parse looks at; the longest valid one,
// with 64-byte salt and hash, is about 220 bytes.
const maxPHC = 256

// b64 is the PHC string encoding: standard alphabet, no padding, and
// (Strict) no stray bits in the last character, so each hash has one
// spelling.
var b64 = base64.RawStdEncoding.Strict()

// encode writes a PHC string for argon2id.
func encode(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// parse reads a PHC string written by encode or by the reference
// implementation. It accepts exactly one spelling: fields in order,
// decimal numbers without signs or leading zeros, no padding. The Params
// it returns carry the salt and key lengths found, so NeedsRehash can
// compare them whole.
func parse(phc string) (p Params, salt, key []byte, err error) {
	bad := func(format string, args ...any) (Params, []byte, []byte, error) {
		return Params{}, nil, nil, fmt.Errorf("%w: %s", ErrMalformedHash, fmt.Sprintf(format, args...))
	}
	if len(phc) > maxPHC {
		return bad("%d bytes, more than %d", len(phc), maxPHC)
	}
	f := strings.Split(phc, "$")
	if len(f) != 6 || f[0] != "" {
		return bad("want 5 fields separated by $, got %d", len(f)-1)
	}
	if f[1] != "argon2id" {
		return bad("algorithm %q, want argon2id", f[1])
	}
	if f[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return bad("version %q, want v=%d", f[2], argon2.Version)
	}
	m, t, threads, ok := parseCosts(f[3])
	switch {
	case !ok:
		return bad("parameters %q, want m=<KiB>,t=<passes>,p=<threads>", f[3])
	case m > MaxMemory || t < 1 || t > MaxTime || threads < 1 || threads > MaxThreads:
		return bad("parameters %q outside m≤%d, 1≤t≤%d, 1≤p≤%d", f[3], MaxMemory, MaxTime, MaxThreads)
	case m < 8*threads:
		return bad("memory %d KiB below 8×threads", m)
	}
	if salt = decode(f[4]); len(salt) < minSalt || len(salt) > maxSalt {
		return bad("salt must be %d to %d bytes of unpadded base64", minSalt, maxSalt)
	}
	if key = decode(f[5]); len(key) < minKey || len(key) > maxKey {
		return bad("hash must be %d to %d bytes of unpadded base64", minKey, maxKey)
	}
	p = Params{Memory: m, Time: t, Threads: uint8(threads), SaltLen: uint32(len(salt)), KeyLen: uint32(len(key))}
	return p, salt, key, nil
}

// decode returns the bytes s spells in canonical unpadded base64, or nil.
// The re-encoding check matters: the decoder skips line breaks.
func decode(s string) []byte {
	b, err := b64.DecodeString(s)
	if err != nil || b64.EncodeToString(b) != s {
		return nil
	}
	return b
}

// parseCosts reads "m=…,t=…,p=…".
func parseCosts(s string) (m, t, p uint32, ok bool) {
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return 0, 0, 0, false
	}
	var v [3]uint32
	for i, name := range []string{"m=", "t=", "p="} {
		num, found := strings.CutPrefix(parts[i], name)
		if !found {
			return 0, 0, 0, false
		}
		if v[i], ok = parseDecimal(num); !ok {
			return 0, 0, 0, false
		}
	}
	return v[0], v[1], v[2], true
}

// parseDecimal accepts only the canonical decimal spelling of a uint32.
func parseDecimal(s string) (uint32, bool) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || strconv.FormatUint(n, 10) != s {
		return 0, false
	}
	return uint32(n), true
}
