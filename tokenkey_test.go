package keypad_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
)

func TestTokenKey(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	random := func() []byte { b := make([]byte, 32); rand.Read(b); return b }

	t.Run("OrderedByIssueTime", func(t *testing.T) {
		// Keys of tokens issued one after another sort in that order,
		// whatever their random parts: that is what makes inserts append.
		var prev []byte
		for i := range 1000 {
			tok := keypad.NewTokenSecret(keypad.PrefixAccessToken, t0.Add(time.Duration(i)*time.Microsecond), random())
			key := keypad.TokenKey(tok)
			if len(key) != sha256.Size {
				t.Fatalf("key of %q has %d bytes, want %d", tok, len(key), sha256.Size)
			}
			if prev != nil && bytes.Compare(prev, key) >= 0 {
				t.Fatalf("token %d's key %x sorts before the previous one's %x", i, key, prev)
			}
			prev = key
		}
	})
	t.Run("BoundToWholeToken", func(t *testing.T) {
		r := random()
		tok := keypad.NewTokenSecret(keypad.PrefixRefreshToken, t0, r)
		if !strings.HasPrefix(tok, keypad.PrefixRefreshToken) || len(tok) != len(keypad.PrefixRefreshToken)+54 {
			t.Fatalf("token %q: want kp_rt_ and 54 characters", tok)
		}
		key := keypad.TokenKey(tok)
		sum := sha256.Sum256([]byte(tok))
		if !bytes.Equal(key[8:], sum[:24]) {
			t.Errorf("key %x does not end with the token's SHA-256 %x", key, sum[:24])
		}
		// Another random part at the same instant, or the same random
		// part under the other prefix, is another key.
		r2 := bytes.Clone(r)
		r2[31] ^= 1
		other := []string{
			keypad.NewTokenSecret(keypad.PrefixRefreshToken, t0, r2),
			keypad.NewTokenSecret(keypad.PrefixAccessToken, t0, r),
		}
		for _, o := range other {
			if bytes.Equal(keypad.TokenKey(o), key) {
				t.Errorf("%q and %q share a key", o, tok)
			}
		}
		// A token whose time is changed keeps no key: the key's hash
		// covers the time too.
		forged := []byte(tok)
		forged[len(keypad.PrefixRefreshToken)+3] ^= 1
		fk := keypad.TokenKey(string(forged))
		if bytes.Equal(fk[8:], key[8:]) {
			t.Errorf("a token with another time kept the hash part of the key")
		}
	})
	t.Run("EarlierTokensKeepTheirHash", func(t *testing.T) {
		// Tokens issued before the time-keyed form (prefix and 43
		// characters), secrets of other kinds and garbage all keep the
		// plain SHA-256 they were stored under.
		for _, s := range []string{
			"kp_at_Wm0zX7hQ2cV9rT4yN1uJ8kL5pB3sD6fG0aE2iO7nR4t",
			"kp_rt_Wm0zX7hQ2cV9rT4yN1uJ8kL5pB3sD6fG0aE2iO7nR4t",
			"kp_cs_" + strings.Repeat("A", 54),
			"kp_at_" + strings.Repeat("*", 54),
			"",
		} {
			sum := sha256.Sum256([]byte(s))
			if got := keypad.TokenKey(s); !bytes.Equal(got, sum[:]) {
				t.Errorf("TokenKey(%q) = %x, want its SHA-256 %x", s, got, sum)
			}
			if got := keypad.TokenKey(s); !bytes.Equal(got, keypad.SecretHash(s)) {
				t.Errorf("TokenKey(%q) differs from SecretHash", s)
			}
		}
	})
}
