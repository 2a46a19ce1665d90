package password

import (
	"crypto/rand"
	"errors"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

// reference holds hashes made by the argon2 reference implementation
// (Debian package argon2, version 0~20171227), e.g.
//
//	echo -n password | argon2 somesaltsomesalt -id -t 3 -k 12288 -p 1 -l 32 -e
var reference = []struct {
	name, pw, phc string
}{
	{"Default", "correct horse battery staple", "$argon2id$v=19$m=19456,t=2,p=1$YzJGc2RITmhiSFJ6WVd4MGMyRnNkQQ$bsdxF+AQXv3plE/CSFK6lVdVFCjH/IYWbJhKaxREB8Y"},
	{"OWASPThreePasses", "password", "$argon2id$v=19$m=12288,t=3,p=1$c29tZXNhbHRzb21lc2FsdA$oe5MwnQ36TM8TFs+sMP2hpXaYpFw6K14HCuA9K4JvIc"},
	{"WeakTwoLanes", "pässwörd", "$argon2id$v=19$m=64,t=1,p=2$MDEyMzQ1Njc4OWFiY2RlZg$6V2kqqGEl9DAVCXLtxrSLg"},
}

// mustHash hashes pw under DefaultParams with real randomness.
func mustHash(t *testing.T, pw string) string {
	t.Helper()
	h, err := Hash(pw, rand.Reader)
	if err != nil {
		t.Fatalf("Hash(%q): %v", pw, err)
	}
	return h
}

// mustVerify returns Verify's answer, failing the test on an error.
func mustVerify(t *testing.T, phc, pw string) bool {
	t.Helper()
	ok, err := Verify(phc, pw)
	if err != nil {
		t.Fatalf("Verify(%q, %q): %v", phc, pw, err)
	}
	return ok
}

func TestHashMatchesReference(t *testing.T) {
	p := Params{Memory: 12288, Time: 3, Threads: 1, SaltLen: 16, KeyLen: 32}
	got, err := p.Hash("password", strings.NewReader("somesaltsomesalt"))
	if err != nil {
		t.Fatal(err)
	}
	if want := reference[1].phc; got != want {
		t.Errorf("Hash = %q, want %q", got, want)
	}
}

func TestVerifyReference(t *testing.T) {
	for _, tt := range reference {
		t.Run(tt.name, func(t *testing.T) {
			if !mustVerify(t, tt.phc, tt.pw) {
				t.Errorf("Verify(%q, %q) = false, want true", tt.phc, tt.pw)
			}
			if mustVerify(t, tt.phc, tt.pw+"x") {
				t.Errorf("Verify(%q, %q) = true, want false", tt.phc, tt.pw+"x")
			}
		})
	}
}

func TestHash(t *testing.T) {
	phcRE := regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	t.Run("OK", func(t *testing.T) {
		h := mustHash(t, "correct horse")
		if !phcRE.MatchString(h) {
			t.Errorf("Hash = %q, want it to match %v", h, phcRE)
		}
		for pw, want := range map[string]bool{"correct horse": true, "correct hors": false, "correct horse ": false, "Correct horse": false} {
			if got := mustVerify(t, h, pw); got != want {
				t.Errorf("Verify(%q) = %v, want %v", pw, got, want)
			}
		}
		if NeedsRehash(h) {
			t.Errorf("NeedsRehash(%q) = true for a fresh hash", h)
		}
	})
	t.Run("OKSaltsDiffer", func(t *testing.T) {
		if a, b := mustHash(t, "correct horse"), mustHash(t, "correct horse"); a == b {
			t.Errorf("two hashes of one password are equal: %q", a)
		}
	})
	t.Run("OKMaxBytes", func(t *testing.T) {
		pw := strings.Repeat("a", MaxBytes)
		if h := mustHash(t, pw); !mustVerify(t, h, pw) {
			t.Errorf("Verify of a %d-byte password = false, want true", MaxBytes)
		}
	})
	t.Run("OKNormalisesUnicode", func(t *testing.T) {
		h := mustHash(t, "caf\u00e9 \ufb01sh")    // é as one code point, "fi" ligature
		if !mustVerify(t, h, "cafe\u0301 fish") { // e + combining acute, plain "fi"
			t.Error("Verify of the decomposed form = false, want true")
		}
	})
	errTests := []struct {
		name string
		pw   string
		want error
	}{
		{"ErrEmpty", "", ErrEmpty},
		{"ErrTooLong", strings.Repeat("a", MaxBytes+1), ErrTooLong},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Hash(tt.pw, rand.Reader); !errors.Is(err, tt.want) {
				t.Errorf("Hash = %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("ErrReader", func(t *testing.T) {
		boom := errors.New("boom")
		if _, err := Hash("correct horse", iotest.ErrReader(boom)); !errors.Is(err, boom) {
			t.Errorf("Hash = %v, want it to wrap %v", err, boom)
		}
	})
	t.Run("ErrWeakParams", func(t *testing.T) {
		weak := Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
		if _, err := weak.Hash("correct horse", rand.Reader); err == nil || !strings.Contains(err.Error(), "OWASP") {
			t.Errorf("Hash = %v, want the OWASP minimum error", err)
		}
	})
}

func TestVerifyOutOfRangePassword(t *testing.T) {
	// The reference hash is cheap; only the answer matters here.
	phc := reference[2].phc
	for _, pw := range []string{"", strings.Repeat("p", MaxBytes+1)} {
		ok, err := Verify(phc, pw)
		if ok || err != nil {
			t.Errorf("Verify(_, %d bytes) = %v, %v; want false, nil", len(pw), ok, err)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		pw   string
		want error
	}{
		{"OK", "12345678", nil},
		{"OKMultiByte", "пароль12", nil}, // 8 characters, 14 bytes
		{"OKSpaces", "a b c d e", nil},
		{"OKMaxBytes", strings.Repeat("a", MaxBytes), nil},
		{"ErrEmpty", "", ErrEmpty},
		{"ErrTooShort", "1234567", ErrTooShort},
		{"ErrTooShortMultiByte", "пароль1", ErrTooShort}, // 13 bytes, 7 characters
		{"ErrTooLong", strings.Repeat("a", MaxBytes+1), ErrTooLong},
		{"ErrNotText", "12345678\xff", ErrNotText},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Validate(tt.pw); !errors.Is(err, tt.want) {
				t.Errorf("Validate = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestVerifyDummyCost checks that VerifyDummy does Verify's work: argon2id
// allocates its whole memory parameter, so equal allocation means equal
// memory cost, measured without a clock.
func TestVerifyDummyCost(t *testing.T) {
	h := mustHash(t, "correct horse")
	allocated := func(f func()) uint64 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		f()
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	verify := allocated(func() { mustVerify(t, h, "wrong horse") })
	dummy := allocated(func() { VerifyDummy("wrong horse") })
	if floor := uint64(DefaultParams().Memory) * 1024; verify < floor {
		t.Fatalf("Verify allocated %d bytes, want at least %d", verify, floor)
	}
	if dummy < verify*9/10 || dummy > verify*11/10 {
		t.Errorf("VerifyDummy allocated %d bytes, Verify %d; want within 10%%", dummy, verify)
	}
	zero := allocated(func() { Params{}.VerifyDummy("wrong horse") })
	if zero < verify*9/10 {
		t.Errorf("VerifyDummy with zero Params allocated %d bytes, want about %d (the default cost)", zero, verify)
	}
}

func BenchmarkHash(b *testing.B) {
	for b.Loop() {
		if _, err := Hash("correct horse battery staple", rand.Reader); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	h, err := Hash("correct horse battery staple", rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Verify(h, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyDummy(b *testing.B) {
	for b.Loop() {
		VerifyDummy("correct horse battery staple")
	}
}
