package identifier

import (
	"math/rand/v2"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// TestNANPNumberMatchesParser: wherever the fast path reads a number, the
// general parser reads the same one, so Phone's answers do not depend on
// which of them ran.
func TestNANPNumberMatchesParser(t *testing.T) {
	inputs := []string{"(415) 555-0142", "415.555.0142", "+1 415 555 0142", "1-415-555-0142", "4155550142",
		"+14155550142", "14155550142", "(613) 555-0199", "+1 (242) 555-0100", "((415)))555--0142", "415 555 0142.",
		"+4155550142", "1415555014", "0415555014", "+1 015 555 0142", "415 555 01420", "415 555 0142 x12",
		"+44 7911 123456", "415-CALL-NOW", "2125551234", "1 212 555 1234"}
	r := rand.New(rand.NewPCG(1, 2))
	const alphabet = "0123456789 ()-.+1234567890"
	for range 20000 {
		b := make([]byte, 8+r.IntN(12))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		inputs = append(inputs, string(b))
	}
	read := 0
	for _, s := range inputs {
		for _, region := range []string{"US", "CA", "GB"} {
			fast, ok := nanpNumber(s, region)
			if !ok {
				continue
			}
			read++
			slow, err := phonenumbers.Parse(s, region)
			if err != nil {
				t.Errorf("nanpNumber(%q, %s) = %v, but the parser refuses it: %v", s, region, fast, err)
				continue
			}
			if fast.GetCountryCode() != slow.GetCountryCode() || fast.GetNationalNumber() != slow.GetNationalNumber() ||
				slow.GetExtension() != "" || slow.GetItalianLeadingZero() {
				t.Errorf("nanpNumber(%q, %s) = %v, the parser %v", s, region, fast, slow)
			}
			if phonenumbers.Format(fast, phonenumbers.E164) != phonenumbers.Format(slow, phonenumbers.E164) {
				t.Errorf("nanpNumber(%q, %s) formats as %s, the parser's as %s", s, region,
					phonenumbers.Format(fast, phonenumbers.E164), phonenumbers.Format(slow, phonenumbers.E164))
			}
		}
	}
	if read < 100 {
		t.Errorf("the fast path read only %d of the inputs; the test checks too little", read)
	}
}
