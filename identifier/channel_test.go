package identifier

import (
	"crypto/rand"
	"fmt"
	"strings"
	"testing"

	"github.com/keypadauth/keypad"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

func TestNewChannelID(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		id, err := NewChannelID(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if !channelIDRe.MatchString(id) {
			t.Errorf("NewChannelID = %q, want 16 lower-case base32 characters", id)
		}
		if seen[id] {
			t.Errorf("NewChannelID gave %q twice", id)
		}
		seen[id] = true
	}
	if _, err := NewChannelID(strings.NewReader("short")); err == nil {
		t.Error("NewChannelID with a failing reader succeeded")
	}
}

func TestSubjectChannels(t *testing.T) {
	s := &keypad.Subject{ID: "sub1", Phone: "+14155554821", Email: "heather@example.com"}
	got := SubjectChannels(s)
	want := []keypad.OTPChannel{
		{Type: "sms", Hint: "(•••) •••-4821", Destination: "+14155554821"},
		{Type: "email", Hint: "h•••@e•••.com", Destination: "heather@example.com"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("SubjectChannels = %+v, want %+v", got, want)
	}
	if got := SubjectChannels(&keypad.Subject{ID: "sub2", Email: "a@b.co"}); len(got) != 1 || got[0].Type != "email" {
		t.Errorf("SubjectChannels(email only) = %+v, want one email channel", got)
	}
}

// decoyIdentifiers are unknown identifiers of every type.
func decoyIdentifiers(n int) []keypad.Identifier {
	var ids []keypad.Identifier
	for i := range n {
		ids = append(ids,
			keypad.Identifier{Type: keypad.IdentifierAddress, Value: fmt.Sprintf("%d MAIN ST 94110", i+1)},
			keypad.Identifier{Type: keypad.IdentifierAccount, Value: fmt.Sprintf("ACCT%06d", i)},
			keypad.Identifier{Type: keypad.IdentifierPhone, Value: fmt.Sprintf("+1415555%04d", i)},
			keypad.Identifier{Type: keypad.IdentifierEmail, Value: fmt.Sprintf("user%d@example.com", i)},
		)
	}
	return ids
}

func TestDecoys(t *testing.T) {
	n := Normalizer{}
	t.Run("Deterministic", func(t *testing.T) {
		for _, id := range decoyIdentifiers(20) {
			a, b := n.Decoys(testKey, id), Decoys(testKey, id)
			if fmt.Sprint(a) != fmt.Sprint(b) {
				t.Errorf("Decoys(%v) = %v, then %v", id, a, b)
			}
		}
	})
	t.Run("KeyMatters", func(t *testing.T) {
		same := 0
		ids := decoyIdentifiers(20)
		for _, id := range ids {
			if id.Type == keypad.IdentifierPhone || id.Type == keypad.IdentifierEmail {
				continue // may show only the typed value, masked: no key in it
			}
			if fmt.Sprint(n.Decoys(testKey, id)) == fmt.Sprint(n.Decoys([]byte("another key"), id)) {
				same++
			}
		}
		if same > 0 {
			t.Errorf("%d of %d identifiers got the same decoys under two keys", same, len(ids))
		}
	})
	t.Run("LooksReal", func(t *testing.T) {
		shapes := map[string]int{}
		for _, id := range decoyIdentifiers(50) {
			cs := n.Decoys(testKey, id)
			if len(cs) == 0 || len(cs) > 2 {
				t.Fatalf("Decoys(%v) = %v, want one or two channels", id, cs)
			}
			var types string
			for i, c := range cs {
				types += c.Type + " "
				if c.Destination != "" || c.ID != "" {
					t.Errorf("decoy channel %+v has a destination or an ID", c)
				}
				switch c.Type {
				case ChannelSMS:
					if !hintPhoneNANP.MatchString(c.Hint) || i != 0 {
						t.Errorf("decoy sms channel %d %+v, want a NANP hint first", i, c)
					}
				case ChannelEmail:
					if !hintEmail.MatchString(c.Hint) {
						t.Errorf("decoy email hint %q does not look like a real one", c.Hint)
					}
				default:
					t.Errorf("decoy channel type %q", c.Type)
				}
			}
			shapes[types]++
			// A customer found by phone or email is offered that very
			// phone or email: a decoy must be too.
			switch id.Type {
			case keypad.IdentifierPhone:
				if cs[0].Type != ChannelSMS || cs[0].Hint != MaskPhone(id.Value) {
					t.Errorf("Decoys(%v)[0] = %+v, want the masked number itself", id, cs[0])
				}
			case keypad.IdentifierEmail:
				last := cs[len(cs)-1]
				if last.Type != ChannelEmail || last.Hint != MaskEmail(id.Value) {
					t.Errorf("Decoys(%v) = %+v, want the masked address itself", id, cs)
				}
			}
		}
		for _, shape := range []string{"sms ", "email ", "sms email "} {
			if shapes[shape] == 0 {
				t.Errorf("no decoy offered %q in 200 identifiers; shapes: %v", shape, shapes)
			}
		}
	})
	t.Run("SameShapeAsReal", func(t *testing.T) {
		real := SubjectChannels(&keypad.Subject{ID: "s", Phone: "+14155554821", Email: "heather@example.com"})
		decoys := n.Decoys(testKey, keypad.Identifier{Type: keypad.IdentifierPhone, Value: "+14155554821"})
		for _, cs := range [][]keypad.OTPChannel{real, decoys} {
			for _, c := range cs {
				re := hintEmail
				if c.Type == ChannelSMS {
					re = hintPhoneNANP
				}
				if !re.MatchString(c.Hint) {
					t.Errorf("channel %+v does not have the common shape", c)
				}
			}
		}
		if real[0].Hint != decoys[0].Hint {
			t.Errorf("real sms hint %q, decoy %q: a lookup by phone must show the same hint", real[0].Hint, decoys[0].Hint)
		}
	})
	t.Run("Region", func(t *testing.T) {
		gb := Normalizer{DefaultRegion: "GB"}
		sawSMS := false
		for _, id := range decoyIdentifiers(10) {
			if id.Type == keypad.IdentifierPhone {
				continue
			}
			for _, c := range gb.Decoys(testKey, id) {
				if c.Type != ChannelSMS {
					continue
				}
				sawSMS = true
				real := MaskPhone("+447400123456")
				if len([]rune(c.Hint)) != len([]rune(real)) || c.Hint[:4] != "+44 " {
					t.Errorf("GB decoy hint %q, want the shape of %q", c.Hint, real)
				}
			}
		}
		if !sawSMS {
			t.Error("no GB decoy offered sms")
		}
	})
}
