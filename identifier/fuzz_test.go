package identifier

import (
	"testing"
	"unicode/utf8"

	"github.com/keypadauth/keypad"
)

// Fuzz targets for every parser of outside input: none may panic, and
// normalising a normalised value must give it back (the store holds
// normalised values, and a lookup re-normalises what it is given).

var addressSeeds = []string{
	"123 North Main Street Apt 4", "123 n. main st., apartment 4", "123 Oak Ct Hartford CT 06103",
	"PO Box 12345", "Apt 4, 123 Main St", "123 Main St St Louis MO 63101", "1600 Pennsylvania Ave NW, Washington, DC 20500, USA",
	"RR 2 Box 5", "123 Highway 9 Springfield", "123 West Forty-Second Street", "123 1/2 Main St 2nd Floor",
	"123-45 Queens Blvd", "N6W23001 Bluemound Rd", "123 Calle Señora #4-B", "123 North West St",
}

func FuzzAddress(f *testing.F) {
	for _, s := range addressSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		p, err := ParseAddress(raw)
		if err != nil {
			return
		}
		k := p.Key()
		again, err := ParseAddress(k)
		if err != nil {
			t.Fatalf("ParseAddress(%q) = %q, which does not parse again: %v", raw, k, err)
		}
		if again != p {
			t.Fatalf("ParseAddress(%q) = %+v, but ParseAddress(%q) = %+v", raw, p, k, again)
		}
		// Every identifier an import stores (the street alone too) must be
		// what a lookup computes.
		ids, err := Record{Address: raw}.Identifiers(Normalizer{})
		if err != nil {
			t.Fatalf("Record{Address: %q}.Identifiers: %v, but ParseAddress accepted it", raw, err)
		}
		for _, id := range ids {
			if again, err := Address(id.Value); err != nil || again != id.Value {
				t.Fatalf("import of %q stores %q, which normalises to %q (%v)", raw, id.Value, again, err)
			}
		}
	})
}

func FuzzPhone(f *testing.F) {
	for _, s := range []string{"(415) 555-0142", "415.555.0142", "+1 415 555 0142", "1-415-555-0142",
		"+44 7911 123456", "020 7946 0018", "+81 3-1234-5678", "1-800-FLOWERS", "415 555 0142 ext 12", "+"} {
		f.Add(s, "US")
	}
	f.Add("07911 123456", "GB")
	f.Fuzz(func(t *testing.T, raw, region string) {
		e164, err := Phone(raw, region)
		if err != nil {
			return
		}
		for _, r := range []string{region, "US", "GB"} {
			if again, err := Phone(e164, r); err != nil || again != e164 {
				t.Fatalf("Phone(%q, %q) = %q, but Phone(%q, %q) = %q, %v", raw, region, e164, e164, r, again, err)
			}
		}
		if Country(e164) == "" {
			t.Fatalf("Country(%q) is empty for a valid number", e164)
		}
		if h := MaskPhone(e164); !hintPhone.MatchString(h) {
			t.Fatalf("MaskPhone(%q) = %q, not a phone hint", e164, h)
		}
	})
}

func FuzzParse(f *testing.F) {
	for _, s := range addressSeeds {
		f.Add(s, "")
	}
	for _, s := range []string{"Heather@Example.COM", "(415) 555-0142", "ACCT-0012-3456", "a@b", "12 34 56", "+44 7911 123456"} {
		f.Add(s, "")
	}
	f.Add("0012 3456", "account")
	f.Add("x", "fax")
	n := Normalizer{}
	f.Fuzz(func(t *testing.T, raw, typ string) {
		id, err := n.Parse(raw, typ)
		if err != nil {
			return
		}
		again, err := n.Normalize(id.Type, id.Value)
		if err != nil || again != id {
			t.Fatalf("Parse(%q, %q) = %+v, but Normalize(%+v) = %+v, %v", raw, typ, id, id, again, err)
		}
		if !utf8.ValidString(id.Value) && id.Type != keypad.IdentifierEmail {
			t.Fatalf("Parse(%q, %q) = %q, not UTF-8", raw, typ, id.Value)
		}
		for _, c := range n.Decoys([]byte("k"), id) {
			if c.ID != "" || c.Hint == "" || c.Destination != "" {
				t.Fatalf("Decoys(%+v) = %+v", id, c)
			}
		}
	})
}
