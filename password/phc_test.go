package password

import (
	"errors"
	"strings"
	"testing"
)

// good is a valid hash of "password" (reference[1]); the cases below
// spoil one part of it at a time.
const good = "$argon2id$v=19$m=12288,t=3,p=1$c29tZXNhbHRzb21lc2FsdA$oe5MwnQ36TM8TFs+sMP2hpXaYpFw6K14HCuA9K4JvIc"

func TestParse(t *testing.T) {
	swap := func(old, new string) string {
		if !strings.Contains(good, old) {
			panic("test case does not apply: " + old)
		}
		return strings.Replace(good, old, new, 1)
	}
	tests := []struct {
		name string
		phc  string
		want string // substring of the error; "" means valid
	}{
		{"OK", good, ""},
		{"OKCaps", swap("m=12288,t=3,p=1", "m=262144,t=16,p=16"), ""},
		{"ErrEmpty", "", "want 5 fields"},
		{"ErrNoLeadingDollar", good[1:], "want 5 fields"},
		{"ErrTrailingDollar", good + "$", "want 5 fields"},
		{"ErrArgon2i", swap("argon2id", "argon2i"), `algorithm "argon2i"`},
		{"ErrBcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy", "want 5 fields"},
		{"ErrVersion16", swap("v=19", "v=16"), `version "v=16"`},
		{"ErrNoVersion", swap("$v=19", ""), "want 5 fields"},
		{"ErrMemoryAbsurd", swap("m=12288", "m=4194304"), "outside m≤262144"},
		{"ErrMemoryOverflow", swap("m=12288", "m=4294967296"), "want m=<KiB>"},
		{"ErrTimeZero", swap("t=3", "t=0"), "outside"},
		{"ErrTimeAbsurd", swap("t=3", "t=1000"), "outside"},
		{"ErrThreadsZero", swap("p=1", "p=0"), "outside"},
		{"ErrThreadsAbsurd", swap("p=1", "p=255"), "outside"},
		{"ErrMemoryBelowLanes", swap("m=12288,t=3,p=1", "m=15,t=3,p=2"), "below 8×threads"},
		{"ErrLeadingZero", swap("m=12288", "m=012288"), "want m=<KiB>"},
		{"ErrPlusSign", swap("t=3", "t=+3"), "want m=<KiB>"},
		{"ErrOrder", swap("m=12288,t=3", "t=3,m=12288"), "want m=<KiB>"},
		{"ErrExtraParam", swap("p=1", "p=1,keyid=x"), "want m=<KiB>"},
		{"ErrSpace", swap("t=3", "t= 3"), "want m=<KiB>"},
		{"ErrSaltPadded", swap("c29tZXNhbHRzb21lc2FsdA", "c29tZXNhbHRzb21lc2FsdA=="), "salt"},
		{"ErrSaltURLAlphabet", swap("c29tZXNhbHRzb21lc2FsdA", "c29tZXNhbHRzb21lc2F_dA"), "salt"},
		{"ErrSaltStrayBits", swap("c29tZXNhbHRzb21lc2FsdA", "c29tZXNhbHRzb21lc2FsdB"), "salt"},
		{"ErrSaltLineBreak", swap("c29tZXNhbHRzb21lc2FsdA", "c29tZXNhbHRz\nb21lc2FsdA"), "salt"},
		{"ErrHashLineBreak", swap("oe5MwnQ36TM8", "oe5MwnQ36TM8\r\n"), "hash must be"},
		{"ErrSaltShort", swap("c29tZXNhbHRzb21lc2FsdA", "c29tZQ"), "salt"},
		{"ErrSaltEmpty", swap("c29tZXNhbHRzb21lc2FsdA", ""), "salt"},
		{"ErrHashShort", swap("oe5MwnQ36TM8TFs+sMP2hpXaYpFw6K14HCuA9K4JvIc", "oe5MwnQ36TM8"), "hash must be"},
		{"ErrHashGarbage", swap("oe5MwnQ36TM8TFs+sMP2hpXaYpFw6K14HCuA9K4JvIc", "!!!!"), "hash must be"},
		{"ErrHuge", good + strings.Repeat("A", maxPHC), "more than 256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, _, err := parse(tt.phc)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("parse = %v, want nil", err)
			case tt.want == "":
				return
			case !errors.Is(err, ErrMalformedHash):
				t.Fatalf("parse = %v, want ErrMalformedHash", err)
			case !strings.Contains(err.Error(), tt.want):
				t.Fatalf("parse = %q, want it to contain %q", err, tt.want)
			}
			// Verify must refuse it too, before any hashing.
			if ok, err := Verify(tt.phc, "password"); ok || !errors.Is(err, ErrMalformedHash) {
				t.Errorf("Verify = %v, %v; want false, ErrMalformedHash", ok, err)
			}
			if !NeedsRehash(tt.phc) {
				t.Errorf("NeedsRehash = false for a malformed hash")
			}
		})
	}
}

func TestEncodeParseRoundTrip(t *testing.T) {
	p := Params{Memory: 47104, Time: 1, Threads: 4, SaltLen: 20, KeyLen: 24}
	salt, key := []byte(strings.Repeat("s", 20)), []byte(strings.Repeat("k", 24))
	gotP, gotSalt, gotKey, err := parse(encode(p, salt, key))
	if err != nil {
		t.Fatal(err)
	}
	if gotP != p || string(gotSalt) != string(salt) || string(gotKey) != string(key) {
		t.Errorf("parse(encode) = %+v, %q, %q; want %+v, %q, %q", gotP, gotSalt, gotKey, p, salt, key)
	}
}

func TestNeedsRehash(t *testing.T) {
	def := DefaultParams()
	tests := []struct {
		name string
		p    Params
		phc  string
		want bool
	}{
		{"OKSame", Params{Memory: 12288, Time: 3, Threads: 1, SaltLen: 16, KeyLen: 32}, good, false},
		{"OKWeaker", def, good, true},
		{"OKStronger", Params{Memory: 9216, Time: 4, Threads: 1, SaltLen: 16, KeyLen: 32}, good, true},
		{"OKOtherSaltLength", Params{Memory: 12288, Time: 3, Threads: 1, SaltLen: 32, KeyLen: 32}, good, true},
		{"OKOtherKeyLength", Params{Memory: 12288, Time: 3, Threads: 1, SaltLen: 16, KeyLen: 64}, good, true},
		{"OKMalformed", def, "not a hash", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.NeedsRehash(tt.phc); got != tt.want {
				t.Errorf("NeedsRehash = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParamsValidate(t *testing.T) {
	with := func(f func(*Params)) Params {
		p := DefaultParams()
		f(&p)
		return p
	}
	tests := []struct {
		name string
		p    Params
		want string // substring of the error; "" means valid
	}{
		{"OK", DefaultParams(), ""},
		{"OKOWASPOnePass", with(func(p *Params) { p.Memory, p.Time = 47104, 1 }), ""},
		{"OKOWASPFivePasses", with(func(p *Params) { p.Memory, p.Time = 7168, 5 }), ""},
		{"OKCaps", with(func(p *Params) { p.Memory, p.Time, p.Threads = MaxMemory, MaxTime, MaxThreads }), ""},
		{"ErrBelowOWASP", with(func(p *Params) { p.Memory = 19455 }), "below OWASP's minimum"},
		{"ErrOnePassTooLittleMemory", with(func(p *Params) { p.Memory, p.Time = 47103, 1 }), "below OWASP's minimum"},
		{"ErrZero", Params{}, "time: 0 is out of range"},
		{"ErrMemoryAbsurd", with(func(p *Params) { p.Memory = MaxMemory + 1 }), "memory: 262145 KiB is more than"},
		{"ErrTimeAbsurd", with(func(p *Params) { p.Time = MaxTime + 1 }), "time: 17 is out of range; use 1 to 16"},
		{"ErrThreadsZero", with(func(p *Params) { p.Threads = 0 }), "threads: 0 is out of range"},
		{"ErrThreadsAbsurd", with(func(p *Params) { p.Threads = MaxThreads + 1 }), "threads: 17"},
		{"ErrSaltShort", with(func(p *Params) { p.SaltLen = 8 }), "salt length: 8 is out of range; use 16 to 64"},
		{"ErrSaltLong", with(func(p *Params) { p.SaltLen = 65 }), "salt length: 65"},
		{"ErrKeyShort", with(func(p *Params) { p.KeyLen = 15 }), "key length: 15"},
		{"ErrKeyLong", with(func(p *Params) { p.KeyLen = 65 }), "key length: 65"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.want != "" && err == nil:
				t.Fatalf("Validate() = nil, want error containing %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Fatalf("Validate() = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

// FuzzParse checks that no stored string makes parse panic, and that
// whatever it accepts re-encodes to the same string: one spelling per
// hash.
func FuzzParse(f *testing.F) {
	f.Add(good)
	for _, r := range reference {
		f.Add(r.phc)
	}
	f.Add("$argon2id$v=19$m=0,t=0,p=0$$")
	f.Fuzz(func(t *testing.T, phc string) {
		p, salt, key, err := parse(phc)
		if err != nil {
			return
		}
		if got := encode(p, salt, key); got != phc {
			t.Fatalf("encode(parse(%q)) = %q", phc, got)
		}
	})
}
