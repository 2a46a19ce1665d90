package keypad

import (
	"crypto/sha256"
	"crypto/subtle"
)

// Prefixes of the secrets keypad hands out, so secret scanners recognise a
// leaked one (DESIGN.md, security policy).
const (
	PrefixClientSecret = "kp_cs_"
	PrefixAccessToken  = "kp_at_"
	PrefixRefreshToken = "kp_rt_"
	PrefixDeviceCode   = "kp_dc_"
	PrefixAuthCode     = "kp_ac_"
	PrefixSession      = "kp_ss_"
	PrefixOTPSession   = "kp_os_"
	PrefixCIBARequest  = "kp_br_"
)

// SecretHash returns the SHA-256 of a high-entropy secret. Stores only ever
// see this hash (or, for opaque access and refresh tokens, TokenKey's
// key). A fast hash is right here: the secrets carry at least 256 random
// bits, so there is nothing for a slow hash to protect, and the token
// endpoint must not pay for one.
func SecretHash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// SecretMatches reports, in constant time, whether secret hashes to hash.
func SecretMatches(hash []byte, secret string) bool {
	got := SecretHash(secret)
	return len(hash) == len(got) && subtle.ConstantTimeCompare(hash, got) == 1
}
