package identifier

import (
	"fmt"
	"strings"
	"testing"

	"github.com/keypadauth/keypad"
)

// spellings are groups of inputs that find the same real person: each
// group must get one decoy when it finds nobody.
var spellings = []struct {
	typ    string
	inputs []string
}{
	{"address", []string{"125 Main Street", "125 main st", "125 Main St, Springfield, CA 94000", "125 MAIN ST. 94001", "125 Main St Springfield IL"}},
	{"address", []string{"9 N Oak Ave Apt 4", "9 north oak avenue #4 62701", "9 N. Oak Ave., Apartment 4, Springfield, IL 62701-1234"}},
	{"phone", []string{"(415) 555-0199", "415.555.0199", "+1 415 555 0199", "4155550199"}},
	{"email", []string{"Stranger@Example.com", "stranger@example.com", " STRANGER@EXAMPLE.COM "}},
	{"account", []string{"1234-5678 90", "1234567890", "12 34 56 78 90"}},
}

func TestDecoysSameForEverySpelling(t *testing.T) {
	n := Normalizer{}
	for _, g := range spellings {
		t.Run(g.typ, func(t *testing.T) {
			var first string
			for i, raw := range g.inputs {
				id, err := n.Parse(raw, g.typ)
				if err != nil {
					t.Fatalf("Parse(%q): %v", raw, err)
				}
				got := fmt.Sprint(n.Decoys(testKey, id))
				if i == 0 {
					first = got
				} else if got != first {
					t.Errorf("%q gets decoys %s, %q got %s", raw, got, g.inputs[0], first)
				}
			}
		})
	}
	// Another door is another decoy.
	a, _ := n.Parse("125 Main St", "address")
	b, _ := n.Parse("127 Main St", "address")
	if DecoyKey(a) == DecoyKey(b) || fmt.Sprint(n.Decoys(testKey, a)) == fmt.Sprint(n.Decoys(testKey, b)) {
		t.Errorf("DecoyKey(%v) = DecoyKey(%v)", a, b)
	}
}

// sample makes n people: phones of +44 7700 9xxxxx, emails at example.org
// with mailboxes starting with q, every third person with email only.
func sample(n int) [][]keypad.OTPChannel {
	var out [][]keypad.OTPChannel
	for i := range n {
		var cs []keypad.OTPChannel
		if i%3 != 0 {
			cs = append(cs, Channel(ChannelSMS, fmt.Sprintf("+4477009%05d", i)))
		}
		cs = append(cs, Channel(ChannelEmail, fmt.Sprintf("q%d@example.org", i)))
		out = append(out, cs)
	}
	return out
}

func TestDecoyModel(t *testing.T) {
	n := Normalizer{}
	t.Run("DrawsFromRealPeople", func(t *testing.T) {
		m := NewDecoyModel(sample(90))
		if !m.Real() {
			t.Fatal("a model of 90 people is not real")
		}
		shapes := map[string]int{}
		for _, id := range decoyIdentifiers(60) {
			if id.Type == keypad.IdentifierPhone || id.Type == keypad.IdentifierEmail {
				continue
			}
			var types []string
			for _, c := range n.DecoysFrom(testKey, id, m) {
				types = append(types, c.Type)
				switch c.Type {
				case ChannelSMS:
					if !strings.HasPrefix(c.Hint, "+44 ") || c.Hint != MaskPhone("+447700900000"[:9]+c.Hint[len(c.Hint)-4:]) {
						t.Errorf("sms hint %q, want a +44 7700 9 number", c.Hint)
					}
				case ChannelEmail:
					if c.Hint != "q•••@e•••.org" {
						t.Errorf("email hint %q, want q•••@e•••.org as every real one", c.Hint)
					}
				}
			}
			shapes[strings.Join(types, " ")]++
		}
		if shapes["sms"] != 0 || shapes["email"] == 0 || shapes["sms email"] == 0 {
			t.Errorf("decoy shapes %v, want only what real people have (email, sms email)", shapes)
		}
		// 1 in 3 real people have email only; of 120 decoys, between 20
		// and 60 should (the bounds hold for all but 1 in 10^6 keys).
		if got := shapes["email"]; got < 20 || got > 60 {
			t.Errorf("%d of 120 decoys offer email only, want about 40", got)
		}
	})
	t.Run("TooFewPeople", func(t *testing.T) {
		if NewDecoyModel(sample(MinDecoySample - 1)).Real() {
			t.Errorf("a model of %d people is real; want the built-in one", MinDecoySample-1)
		}
	})
	t.Run("Stable", func(t *testing.T) {
		// One more person in the directory moves few decoys.
		m1, m2 := NewDecoyModel(sample(100)), NewDecoyModel(sample(101))
		moved := 0
		ids := decoyIdentifiers(100)
		for _, id := range ids {
			if fmt.Sprint(n.DecoysFrom(testKey, id, m1)) != fmt.Sprint(n.DecoysFrom(testKey, id, m2)) {
				moved++
			}
		}
		if moved > len(ids)/20 {
			t.Errorf("%d of %d decoys changed when one person was added", moved, len(ids))
		}
	})
}

func TestStyleHint(t *testing.T) {
	for _, tc := range []struct{ typ, hint, style, want string }{
		{ChannelSMS, "(•••) •••-4821", "", "(•••) •••-4821"},
		{ChannelSMS, "(•••) •••-4821", keypad.HintStyleMasked, "(•••) •••-4821"},
		{ChannelSMS, "(•••) •••-4821", keypad.HintStyleNone, "•••-••••"},
		{ChannelSMS, "+44 •••• ••4821", keypad.HintStyleNone, "•••-••••"},
		{ChannelEmail, "h•••@e•••.com", keypad.HintStyleNone, "•••@•••"},
	} {
		if got := StyleHint(tc.typ, tc.hint, tc.style); got != tc.want {
			t.Errorf("StyleHint(%q, %q, %q) = %q, want %q", tc.typ, tc.hint, tc.style, got, tc.want)
		}
	}
}

func TestDecoyModelOffering(t *testing.T) {
	n := Normalizer{}
	for _, m := range []*DecoyModel{nil, NewDecoyModel(sample(90))} {
		emailOnly := m.Offering(false, true)
		for _, id := range decoyIdentifiers(30) {
			cs := n.DecoysFrom(testKey, id, emailOnly)
			if len(cs) != 1 || cs[0].Type != ChannelEmail {
				t.Fatalf("real model %t, email only: DecoysFrom(%v) = %v, want one email channel", m.Real(), id, cs)
			}
			cs = n.DecoysFrom(testKey, id, m.Offering(true, false))
			if len(cs) != 1 || cs[0].Type != ChannelSMS {
				t.Fatalf("real model %t, sms only: DecoysFrom(%v) = %v, want one sms channel", m.Real(), id, cs)
			}
		}
	}
}
