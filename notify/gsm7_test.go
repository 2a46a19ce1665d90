package notify

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestGSM7Alphabet(t *testing.T) {
	// GSM 03.38: 128 basic positions, one of them the escape; 10 in the
	// extension table that the default alphabet lets phones show.
	if got, want := utf8.RuneCountInString(gsm7Basic), 127; got != want {
		t.Errorf("basic alphabet has %d characters, want %d", got, want)
	}
	if got, want := utf8.RuneCountInString(gsm7Extension), 10; got != want {
		t.Errorf("extension table has %d characters, want %d", got, want)
	}
	distinct := map[rune]bool{}
	for _, r := range gsm7Basic + gsm7Extension {
		distinct[r] = true
		if gsm7RuneWidth(r) == 0 {
			t.Errorf("gsm7RuneWidth(%q) = 0", r)
		}
	}
	if got, want := len(distinct), 137; got != want {
		t.Errorf("%d distinct characters, want %d (a duplicate?)", got, want)
	}
}

func TestGSM7Length(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		septets int
		ok      bool
	}{
		{"Empty", "", 0, true},
		{"ASCIIText", "482193 is your code", 19, true},
		{"StoryMessage", "482193 is your code to let Bright Audits read your energy usage history (12 months). Expires in 10 minutes. Didn't ask? Ignore this.", 132, true},
		{"BasicAccents", "èéùìòÇØøÅåÆæßÉÄÖÑÜäöñüà", 23, true},
		{"Greek", "ΔΦΓΛΩΠΨΣΘΞ", 10, true},
		{"Symbols", "@£$¥¤§¡¿_", 9, true},
		{"NewlineAndCR", "a\nb\rc", 5, true},
		{"ExtensionCountsTwo", "€", 2, true},
		{"AllExtension", "\f^{}\\[~]|€", 20, true},
		{"MixedExtension", "price: 5€ [net]", 18, true},
		{"CurlyApostrophe", "Didn’t ask", 0, false},
		{"Ellipsis", "read…", 0, false},
		{"LowerCCedilla", "ç", 0, false},
		{"AcuteA", "á", 0, false},
		{"Emoji", "ok 👍", 0, false},
		{"Cyrillic", "Код", 0, false},
		{"Escape", "\x1b", 0, false},
		{"Tab", "a\tb", 0, false},
		{"Backtick", "`", 0, false},
		{"InvalidUTF8", "abc\xff", 0, false},
		{"ReplacementCharacter", "\uFFFD", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			septets, ok := GSM7Length(tt.in)
			if septets != tt.septets || ok != tt.ok {
				t.Errorf("GSM7Length(%q) = %d, %v; want %d, %v", tt.in, septets, ok, tt.septets, tt.ok)
			}
		})
	}
}

func TestToGSM7(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Bright Audits", "Bright Audits"},
		{"Didn’t ask", "Didn't ask"},
		{"“Quoted” — dash", `"Quoted" - dash`},
		{"wait…", "wait..."},
		{"Crème brûlée Café", "Crème brulée Café"},
		{"François Łódź", "Francois Lodz"},
		{"Ærø Ñandú", "Ærø Ñandu"},
		{"tab\there\nnew", "tab here new"},
		{"zero\u200bwidth", "zerowidth"},
		{"北京", "??"},
		{"ok 👍", "ok ?"},
		{"5€ {x}", "5€ {x}"},
		{"bad\xffbyte", "bad?byte"},
	}
	for _, tt := range tests {
		got := ToGSM7(tt.in)
		if got != tt.want {
			t.Errorf("ToGSM7(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if _, ok := GSM7Length(got); !ok {
			t.Errorf("ToGSM7(%q) = %q, which is not GSM-7", tt.in, got)
		}
	}
}

func TestTruncateTo(t *testing.T) {
	septets := func(s string) int { n, _ := GSM7Length(s); return n }

	tests := []struct {
		in    string
		limit int
		want  string
	}{
		{"Bright Audits", 20, "Bright Audits"},
		{"Bright Audits", 13, "Bright Audits"},
		{"Bright Audits", 12, "Bright Au..."},
		{"Bright Audits", 10, "Bright..."},
		{"Bright, Audits", 11, "Bright..."},
		{"€€€€€€", 9, "€€€..."},
		{"€€€€€€", 8, "€€..."},
	}
	for _, tt := range tests {
		got := truncateTo(tt.in, tt.limit, septetWidth)
		if got != tt.want {
			t.Errorf("truncateTo(%q, %d) = %q, want %q", tt.in, tt.limit, got, tt.want)
		}
		if septets(got) > tt.limit {
			t.Errorf("truncateTo(%q, %d) = %q: %d septets", tt.in, tt.limit, got, septets(got))
		}
	}
}

func FuzzGSM7Length(f *testing.F) {
	for _, s := range []string{"", "abc", "€[]", "Didn’t", "\x1b", "é\n", "\xff", "北京"} {
		f.Add(s, "x{")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		na, oka := GSM7Length(a)
		nb, okb := GSM7Length(b)
		nab, okab := GSM7Length(a + b)
		if okab != (oka && okb) {
			t.Fatalf("ok(%q+%q) = %v, want %v && %v", a, b, okab, oka, okb)
		}
		if okab && nab != na+nb {
			t.Fatalf("GSM7Length(%q+%q) = %d, want %d+%d", a, b, nab, na, nb)
		}
		if oka {
			runes := utf8.RuneCountInString(a)
			if na < runes || na > 2*runes || !utf8.ValidString(a) {
				t.Fatalf("GSM7Length(%q) = %d for %d runes", a, na, runes)
			}
		} else if na != 0 {
			t.Fatalf("GSM7Length(%q) = %d, false: want 0 when not GSM-7", a, na)
		}
		g := ToGSM7(a)
		if _, ok := GSM7Length(g); !ok {
			t.Fatalf("ToGSM7(%q) = %q is not GSM-7", a, g)
		}
		if oka && !strings.ContainsAny(a, "\n\r\f") && ToGSM7(a) != a {
			t.Fatalf("ToGSM7 changed GSM-7 text %q to %q", a, g)
		}
	})
}
