package keypad

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"strings"
	"time"
)

// Opaque access and refresh tokens are stored under a key that starts
// with their issue time, so that each new row lands at the end of the
// tokens index instead of in a random leaf: at a thousand tokens a second
// random inserts dirtied a page each, and every checkpoint copied and
// synced hundreds of scattered pages (docs/performance.md, "SQLite:
// stalls and memory").
//
// Such a token is its prefix (kp_at_, kp_rt_) and, base64url, 8 bytes of
// issue time (nanoseconds since 1970, big-endian) followed by 256 random
// bits. Its key is those 8 bytes followed by the first 24 bytes of the
// SHA-256 of the whole token: 32 bytes, like the plain SHA-256 that
// tokens issued before were stored under, and that TokenKey still gives
// them. The time is no secret (whoever holds the token can read it); the
// secret is the random part, and the key keeps 192 bits of its hash.

// orderedTokenLen is the length, after the prefix, of a token with its
// issue time: base64url of 8 + 32 bytes.
var orderedTokenLen = base64.RawURLEncoding.EncodedLen(8 + 32)

// tokenPrefixLen is the length of kp_at_ and kp_rt_.
const tokenPrefixLen = len(PrefixAccessToken)

// NewTokenSecret returns prefix followed by base64url of issued's time
// and random's 32 bytes, the form TokenKey keys by time. random must hold
// at least 32 bytes of fresh randomness.
func NewTokenSecret(prefix string, issued time.Time, random []byte) string {
	var b [8 + 32]byte
	binary.BigEndian.PutUint64(b[:8], uint64(issued.UnixNano()))
	copy(b[8:], random)
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// TokenKey returns the key an opaque access or refresh token is stored
// under: for a token from NewTokenSecret its issue time and 24 bytes of
// its SHA-256, for any other string its SHA-256 (SecretHash), which is
// how tokens issued before the time-keyed form were stored. Like
// SecretHash it is safe on any input: a forged or mangled token gives a
// key nothing is stored under.
func TokenKey(tok string) []byte {
	sum := sha256.Sum256([]byte(tok))
	issued, ok := tokenIssueTime(tok)
	if !ok {
		return sum[:]
	}
	key := make([]byte, 32)
	copy(key[:8], issued)
	copy(key[8:], sum[:24])
	return key
}

// tokenIssueTime returns the 8 bytes of issue time of a token in
// NewTokenSecret's form.
func tokenIssueTime(tok string) ([]byte, bool) {
	if len(tok) != tokenPrefixLen+orderedTokenLen {
		return nil, false
	}
	if !strings.HasPrefix(tok, PrefixAccessToken) && !strings.HasPrefix(tok, PrefixRefreshToken) {
		return nil, false
	}
	// The first 12 characters are 9 whole bytes; the first 8 are the
	// time.
	var b [9]byte
	n, err := base64.RawURLEncoding.Decode(b[:], []byte(tok[tokenPrefixLen:tokenPrefixLen+12]))
	if err != nil || n != 9 {
		return nil, false
	}
	return b[:8], true
}
