package password

import (
	"fmt"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"
)

// Caps on argon2id parameters, for configuration and for parsing stored
// hashes alike: a hash whose parameters exceed them is refused rather than
// allowed to take a gigabyte or a minute per login. Params.Validate applies
// the same caps, so keypad never writes a hash it would refuse to read.
const (
	MaxMemory  = 256 * 1024 // KiB, 256 MiB
	MaxTime    = 16
	MaxThreads = 16
	minSalt    = 8 // bytes, in stored hashes; new hashes use at least 16
	maxSalt    = 64
	minKey     = 16 // bytes
	maxKey     = 64
)

// Params are argon2id's cost parameters plus the salt and hash lengths.
// The zero value is not usable; start from DefaultParams.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes over memory
	Threads uint8  // lanes; part of the hash, not just of the speed
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes of hash output
}

// DefaultParams returns OWASP's argon2id baseline (m=19 MiB, t=2, p=1):
// about as strong as the cheapest setting OWASP accepts, so a login stays
// well under 100 ms on a small server while each guess still needs 19 MiB.
func DefaultParams() Params {
	return Params{Memory: 19456, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
}

// owaspFloor lists OWASP's equivalent minimum configurations (Password
// Storage Cheat Sheet): each trades memory for passes. Params pass if they
// reach at least one row on both counts.
var owaspFloor = [...]struct{ memory, time uint32 }{
	{47104, 1}, {19456, 2}, {12288, 3}, {9216, 4}, {7168, 5},
}

// Validate reports the first problem with p, naming the field and its
// range, so a weak or absurd setting stops the server at start-up.
func (p Params) Validate() error {
	switch {
	case p.Memory > MaxMemory:
		return fmt.Errorf("password: memory: %d KiB is more than the %d KiB allowed", p.Memory, MaxMemory)
	case p.Time < 1 || p.Time > MaxTime:
		return fmt.Errorf("password: time: %d is out of range; use 1 to %d passes", p.Time, MaxTime)
	case p.Threads < 1 || p.Threads > MaxThreads:
		return fmt.Errorf("password: threads: %d is out of range; use 1 to %d", p.Threads, MaxThreads)
	case p.SaltLen < 16 || p.SaltLen > maxSalt:
		return fmt.Errorf("password: salt length: %d is out of range; use 16 to %d bytes", p.SaltLen, maxSalt)
	case p.KeyLen < minKey || p.KeyLen > maxKey:
		return fmt.Errorf("password: key length: %d is out of range; use %d to %d bytes", p.KeyLen, minKey, maxKey)
	}
	for _, f := range owaspFloor {
		if p.Memory >= f.memory && p.Time >= f.time {
			return nil
		}
	}
	return fmt.Errorf("password: memory %d KiB with time %d is below OWASP's minimum; use at least m=19456 with t=2 (or m=47104 t=1, m=12288 t=3, m=9216 t=4, m=7168 t=5)", p.Memory, p.Time)
}

// derive runs argon2id on the NFKC form of pw.
func (p Params) derive(pw string, salt []byte) []byte {
	return argon2.IDKey([]byte(norm.NFKC.String(pw)), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
}
