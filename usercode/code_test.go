package usercode

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"testing/iotest"
)

// repeatReader is an endless source of one byte value.
type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// byteRange returns the bytes lo, lo+1, ..., hi.
func byteRange(lo, hi int) []byte {
	var b []byte
	for i := lo; i <= hi; i++ {
		b = append(b, byte(i))
	}
	return b
}

func TestGenerate(t *testing.T) {
	c := DefaultConfig()
	// Enough source bytes for one buffer fill (8 + 8/4 + 1 = 11 bytes).
	pad := func(b ...byte) io.Reader {
		return bytes.NewReader(append(b, make([]byte, 32)...))
	}
	t.Run("OK", func(t *testing.T) {
		got, err := c.Generate(pad(byteRange(0, 7)...))
		if err != nil {
			t.Fatal(err)
		}
		if want := "BCDFGHJK"; got != want {
			t.Errorf("Generate = %q, want %q", got, want)
		}
	})
	t.Run("OKWrapsModuloAlphabet", func(t *testing.T) {
		// 20 is 'B' again, 239 = 11×20+19 is 'Z', the last byte kept.
		got, err := c.Generate(pad(20, 239, 19, 21, 40, 41, 60, 61))
		if err != nil {
			t.Fatal(err)
		}
		if want := "BZZCBCBC"; got != want {
			t.Errorf("Generate = %q, want %q", got, want)
		}
	})
	t.Run("OKSkipsRejectedBytes", func(t *testing.T) {
		// 240..255 would favour the first 16 letters: they are dropped.
		got, err := c.Generate(pad(240, 0, 255, 1, 250, 2, 3, 4, 5, 6, 7))
		if err != nil {
			t.Fatal(err)
		}
		if want := "BCDFGHJK"; got != want {
			t.Errorf("Generate = %q, want %q", got, want)
		}
	})
	t.Run("OKCryptoRand", func(t *testing.T) {
		for range 200 {
			code, err := c.Generate(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			if n, err := c.Normalize(code); err != nil || n != code {
				t.Fatalf("Normalize(%q) = %q, %v; want the code back", code, n, err)
			}
		}
	})
	t.Run("ErrStuckRandom", func(t *testing.T) {
		_, err := c.Generate(repeatReader(0xff))
		if !errors.Is(err, errStuckRandom) {
			t.Fatalf("Generate = %v, want errStuckRandom", err)
		}
	})
	t.Run("ErrReader", func(t *testing.T) {
		boom := errors.New("boom")
		_, err := c.Generate(iotest.ErrReader(boom))
		if !errors.Is(err, boom) {
			t.Fatalf("Generate = %v, want it to wrap %v", err, boom)
		}
	})
	t.Run("ErrShortReader", func(t *testing.T) {
		_, err := c.Generate(bytes.NewReader(byteRange(0, 7)))
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("Generate = %v, want io.ErrUnexpectedEOF", err)
		}
	})
	t.Run("ErrWeakConfig", func(t *testing.T) {
		weak := Config{Charset: DefaultCharset, Length: 5}
		if _, err := weak.Generate(rand.Reader); err == nil || !strings.Contains(err.Error(), "bits") {
			t.Fatalf("Generate = %v, want the entropy error", err)
		}
	})
}

// TestSampleUnbiased feeds every byte value once and checks that each
// symbol comes out exactly equally often: the sampler has no modulo bias,
// for every alphabet size a Config allows.
func TestSampleUnbiased(t *testing.T) {
	const all = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	src := append(byteRange(0, 255), byteRange(0, 255)...)
	for n := 2; n <= len(all); n++ {
		alphabet := all[:n]
		kept := 256 - 256%n // bytes 0..kept-1 are used, one pass of src
		got, err := sample(bytes.NewReader(src), alphabet, kept)
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		for _, s := range alphabet {
			if c, want := strings.Count(got, string(s)), kept/n; c != want {
				t.Errorf("n=%d: symbol %q drawn %d times, want %d", n, s, c, want)
			}
		}
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		name string
		c    Config
		code string
		want string
	}{
		{"Default", DefaultConfig(), "WDJBMJHT", "WDJB-MJHT"},
		{"Uneven", Config{GroupSize: 4}, "WDJBMJHTX", "WDJB-MJHT-X"},
		{"Threes", Config{GroupSize: 3}, "WDJBMJHTX", "WDJ-BMJ-HTX"},
		{"NoGroups", Config{GroupSize: 0}, "WDJBMJHT", "WDJBMJHT"},
		{"ShorterThanGroup", Config{GroupSize: 4}, "WDJ", "WDJ"},
		{"Empty", DefaultConfig(), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.Format(tt.code); got != tt.want {
				t.Errorf("Format(%q) = %q, want %q", tt.code, got, tt.want)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	def := DefaultConfig()
	alnum := Config{Charset: "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ", Length: 8, GroupSize: 4} // has 0 and 1, no O and no I
	tests := []struct {
		name  string
		c     Config
		input string
		want  string // "" means ErrInvalid
	}{
		{"OK", def, "WDJBMJHT", "WDJBMJHT"},
		{"OKDisplayForm", def, "WDJB-MJHT", "WDJBMJHT"},
		{"OKLowerCase", def, "wdjb-mjht", "WDJBMJHT"},
		{"OKMixedCase", def, "wDjB mJhT", "WDJBMJHT"},
		{"OKSpaces", def, "  WDJB MJHT \t\n", "WDJBMJHT"},
		{"OKEnDash", def, "WDJB–MJHT", "WDJBMJHT"},
		{"OKEmDash", def, "WDJB—MJHT", "WDJBMJHT"},
		{"OKMinusSign", def, "WDJB−MJHT", "WDJBMJHT"},
		{"OKDots", def, "WDJB.MJHT", "WDJBMJHT"},
		{"OKUnderscore", def, "WDJB_MJHT", "WDJBMJHT"},
		{"OKMiddleDot", def, "WDJB·MJHT", "WDJBMJHT"},
		{"OKNoBreakSpace", def, "WDJB\u00a0MJHT", "WDJBMJHT"},
		{"OKZeroWidthSpace", def, "WDJB\u200bMJHT", "WDJBMJHT"},
		{"OKDirectionMark", def, "\u200eWDJB-MJHT", "WDJBMJHT"},
		{"OKFullWidth", def, "ＷＤＪＢ－ｍｊｈｔ", "WDJBMJHT"},
		{"OKSeparatorsEverywhere", def, "W-D-J-B M.J_H–T", "WDJBMJHT"},
		{"OKLookalikeO", alnum, "O1OO-IIII", "01001111"},
		{"OKLookalikeLowerO", alnum, "o1oo-iiii", "01001111"},
		{"ErrVowel", def, "WDJB-MJHA", ""},
		{"ErrVowelNotMapped", def, "WDJB-MJHO", ""},
		{"ErrDigitZero", def, "WDJB-MJH0", ""},
		{"ErrDigitOne", def, "WDJB-MJH1", ""},
		{"ErrShort", def, "WDJB-MJH", ""},
		{"ErrLong", def, "WDJB-MJHTX", ""},
		{"ErrEmpty", def, "", ""},
		{"ErrOnlySeparators", def, " - - ", ""},
		{"ErrSymbol", def, "WDJB+MJHT", ""},
		{"ErrSlash", def, "WDJB/MJHT", ""},
		{"ErrNonASCIILetter", def, "WDJB-MJHТ", ""}, // Cyrillic Т
		{"ErrInvalidUTF8", def, "WDJB-MJH\xff", ""},
		{"ErrNUL", def, "WDJB\x00MJHT", ""},
		{"ErrHuge", def, strings.Repeat(" ", maxInput) + "WDJBMJHT", ""},
		{"ErrLookalikeNeedsPartner", def, "0000-0000", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.c.Normalize(tt.input)
			if tt.want == "" {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("Normalize(%q) = %q, %v; want ErrInvalid", tt.input, got, err)
				}
				mustSayOnlyNotValid(t, err)
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Normalize(%q) = %q, %v; want %q", tt.input, got, err, tt.want)
			}
		})
	}
}

// mustSayOnlyNotValid checks that err tells a person nothing but "not a
// valid code", and still carries a reason for logs.
func mustSayOnlyNotValid(t *testing.T, err error) {
	t.Helper()
	if got, want := err.Error(), "not a valid code"; got != want {
		t.Errorf("error text = %q, want %q", got, want)
	}
	var inv *InvalidError
	if !errors.As(err, &inv) || inv.Reason == "" {
		t.Errorf("error %#v carries no reason for logs", err)
	}
}

func TestInvalidErrorLogsReason(t *testing.T) {
	_, err := DefaultConfig().Normalize("WDJB-MJH")
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("device code entry", "err", err)
	if got, want := buf.String(), `err="not a valid code: 7 characters, want 8"`; !strings.Contains(got, want) {
		t.Errorf("log line = %q, want it to contain %q", got, want)
	}
	if strings.Contains(buf.String(), "WDJB") {
		t.Errorf("log line %q holds the typed code", buf.String())
	}
}

// FuzzNormalize checks Normalize on arbitrary input, for the default
// charset and for one with digits (where lookalikes are mapped).
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"WDJB-MJHT", "wdjb mjht", "WDJB–MJHT", "ＷＤＪＢ－ＭＪＨＴ", "WDJBMJH",
		"AEIOUAEI", "O1OO-IIII", "", "\xff\xfe", "WDJB\u200bMJHT", "ﬀﬀﬀﬀﬀﬀﬀﬀ",
	} {
		f.Add(s)
	}
	configs := []Config{
		DefaultConfig(),
		{Charset: "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ", Length: 8, GroupSize: 4},
	}
	f.Fuzz(func(t *testing.T, input string) {
		for _, c := range configs {
			n, err := c.Normalize(input)
			if err != nil {
				if !errors.Is(err, ErrInvalid) || err.Error() != ErrInvalid.Error() {
					t.Fatalf("Normalize(%q) error %q, want only %q", input, err, ErrInvalid)
				}
				continue
			}
			if len(n) != c.Length {
				t.Fatalf("Normalize(%q) = %q, want %d characters", input, n, c.Length)
			}
			for _, r := range n {
				if !strings.ContainsRune(c.Charset, r) {
					t.Fatalf("Normalize(%q) = %q, holds %q outside the charset", input, n, r)
				}
			}
			for _, again := range []string{n, c.Format(n), strings.ToLower(c.Format(n))} {
				if got, err := c.Normalize(again); err != nil || got != n {
					t.Fatalf("Normalize(%q) = %q, %v; want %q", again, got, err, n)
				}
			}
		}
	})
}
