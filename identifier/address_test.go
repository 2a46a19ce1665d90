package identifier

import (
	"errors"
	"testing"

	"github.com/keypadauth/keypad"
)

func mustAddress(t *testing.T, raw string) string {
	t.Helper()
	got, err := Address(raw)
	if err != nil {
		t.Fatalf("Address(%q): %v", raw, err)
	}
	return got
}

func TestAddress(t *testing.T) {
	tests := []struct {
		raw, want string
	}{
		// Suffixes, directionals, units (Pub 28 C1, C2, §233).
		{"123 North Main Street Apt 4", "123 N MAIN ST # 4"},
		{"1600 Pennsylvania Avenue Northwest", "1600 PENNSYLVANIA AVE NW"},
		{"77 Sunset Boulevard", "77 SUNSET BLVD"},
		{"9 Elm Road", "9 ELM RD"},
		{"9 Elm Drive", "9 ELM DR"},
		{"9 Elm Lane", "9 ELM LN"},
		{"9 Elm Court", "9 ELM CT"},
		{"9 Elm Place", "9 ELM PL"},
		{"9 Elm Terrace", "9 ELM TER"},
		{"9 Elm Parkway", "9 ELM PKWY"},
		{"9 Elm Circle", "9 ELM CIR"},
		{"9 Elm Crossing", "9 ELM XING"},
		{"9 Elm Avenue Southwest", "9 ELM AVE SW"},
		{"9 South West Elm Avenue", "9 SW ELM AVE"},
		// A directional that is the whole name stays spelled out.
		{"123 North St", "123 NORTH ST"},
		{"123 N St", "123 N ST"},
		{"123 West Ave S", "123 WEST AVE S"},
		{"123 North West St", "123 N WEST ST"},
		// Suffix words inside the name stay spelled out; the last is the suffix.
		{"1 Lake Shore Drive", "1 LAKE SHORE DR"},
		{"123 Court Street", "123 COURT ST"},
		{"123 Park Place Ct", "123 PARK PLACE CT"},
		// Units: APT, SUITE, UNIT and # are one form.
		{"123 Main St Suite 200", "123 MAIN ST # 200"},
		{"123 Main St Unit B", "123 MAIN ST # B"},
		{"123 Main St Apt #4", "123 MAIN ST # 4"},
		{"123 Main St Apt 12-A", "123 MAIN ST # 12A"},
		{"123 Main St 4B", "123 MAIN ST # 4B"},
		{"123 Main St Bldg C Apt 4", "123 MAIN ST BLDG C # 4"},
		{"123 Main St 2nd Floor", "123 MAIN ST FL 2"},
		{"123 Main St Rear", "123 MAIN ST REAR"},
		{"123 Main St Penthouse", "123 MAIN ST PH"},
		{"123 Broadway Apt 4", "123 BROADWAY # 4"},
		// Numbers and ordinals.
		{"One Microsoft Way", "1 MICROSOFT WAY"},
		{"350 Fifth Avenue", "350 5TH AVE"},
		{"123 W 42 St", "123 W 42ND ST"},
		{"123 West Forty-Second Street", "123 W 42ND ST"},
		{"123 1/2 Main St", "123 1/2 MAIN ST"},
		{"123-45 Queens Blvd", "123-45 QUEENS BLVD"},
		// Boxes and routes.
		{"P.O. Box 123", "PO BOX 123"},
		{"Post Office Box 123", "PO BOX 123"},
		{"PO Box 12345", "PO BOX 12345"},
		{"Rural Route 2 Box 5", "RR 2 BOX 5"},
		{"123 Highway 9", "123 HWY 9"},
		{"123 County Road 5", "123 COUNTY RD 5"},
		// Punctuation and letters.
		{"123 O'Farrell St.", "123 OFARRELL ST"},
		{"  123   Main   St  ", "123 MAIN ST"},
		{"123 Calle Señora", "123 CALLE SENORA"},
		// City, state, ZIP, country.
		{"123 Main St, Springfield, IL 62701", "123 MAIN ST 62701"},
		{"123 Main St Springfield IL 62701-1234", "123 MAIN ST 62701"},
		{"123 Main St 627011234", "123 MAIN ST 62701"},
		{"123 Main St, Springfield, Illinois", "123 MAIN ST"},
		{"123 Main St Springfield IL", "123 MAIN ST"},
		{"123 Main St, Apt 4, Springfield, IL 62701, USA", "123 MAIN ST # 4 62701"},
		{"Apt 4, 123 Main St, 62701", "123 MAIN ST # 4 62701"},
		{"123 Main St NE Washington DC 20002", "123 MAIN ST NE 20002"},
		{"123 Oak Ct Hartford CT 06103", "123 OAK CT 06103"},
		{"123 Oak Ct", "123 OAK CT"},
		{"123 Main St St Louis MO 63101", "123 MAIN ST 63101"},
		{"500 Main St Port St Lucie FL 34952", "500 MAIN ST 34952"},
		{"123 Main St Palm Springs CA 92262", "123 MAIN ST 92262"},
		{"123 Main St, Lower Burrell, PA 15068", "123 MAIN ST 15068"},
		{"123 Broadway, New York, NY 10001", "123 BROADWAY 10001"},
		{"P.O. Box 123, Springfield, IL 62701", "PO BOX 123 62701"},
		{"123 Highway 9 Springfield", "123 HWY 9"},
	}
	for _, tt := range tests {
		if got := mustAddress(t, tt.raw); got != tt.want {
			t.Errorf("Address(%q) = %q, want %q", tt.raw, got, tt.want)
		}
	}
}

// TestAddressMatch lists real-world spellings of one address that must
// all give the same key, since a lookup is string equality.
func TestAddressMatch(t *testing.T) {
	groups := [][]string{
		{
			"123 North Main Street Apt 4",
			"123 N Main St #4",
			"123 n. main st., apartment 4",
			"123 N. MAIN ST. UNIT 4",
			"123 North Main St., Suite 4",
			"123 n main st apt4",
			"Apt 4, 123 N Main St",
			"123 N Main St # 4",
			"123 N Main St 4",
		},
		{
			"1600 Pennsylvania Ave NW, Washington, DC 20500",
			"1600 Pennsylvania Avenue Northwest Washington DC 20500",
			"1600 PENNSYLVANIA AVE N.W. 20500-0003",
			"1600 pennsylvania ave nw, washington, district of columbia 20500",
			"1600 Pennsylvania Ave. NW, Washington, D.C. 20500, USA",
		},
		{
			"350 Fifth Avenue, New York, NY 10118",
			"350 5th Ave New York NY 10118",
			"350 5TH AVE 10118",
			"350 Fifth Ave., New York, New York 10118-0110",
		},
		{
			"P.O. Box 123, Springfield, IL 62701",
			"PO Box 123 Springfield IL 62701",
			"p o box 123, 62701",
			"Post Office Box 123 62701",
		},
	}
	for _, g := range groups {
		want := mustAddress(t, g[0])
		for _, raw := range g[1:] {
			if got := mustAddress(t, raw); got != want {
				t.Errorf("Address(%q) = %q, want %q (as for %q)", raw, got, want, g[0])
			}
		}
	}
}

// TestAddressNoMatch lists pairs that are different doors and must not
// match.
func TestAddressNoMatch(t *testing.T) {
	pairs := []struct{ a, b, why string }{
		{"123 Main St Apt 4", "123 Main St Apt 5", "different unit"},
		{"123 Main St Apt 4", "123 Main St", "unit against none"},
		{"123 Main St Bldg 4", "123 Main St Apt 4", "building is not apartment"},
		{"123 Main St", "124 Main St", "different number"},
		{"123 Main St 94110", "123 Main St 94111", "different ZIP"},
		{"123 Main St, Springfield, IL 62701", "123 Main St, Springfield, MA 01101", "different ZIP, same city name"},
		{"123 N Main St", "123 S Main St", "different predirectional"},
		{"123 N Main St", "123 Main St", "predirectional against none"},
		{"123 Main St NE", "123 Main St NW", "different postdirectional"},
		{"123 North St", "123 N St", "North Street is not N Street"},
		{"123 Main St", "123 Main Ave", "different suffix"},
		{"123 Highway 9", "123 Highway 10", "different route"},
		{"PO Box 123", "PO Box 124", "different box"},
		{"123 1/2 Main St", "123 Main St", "half number"},
	}
	for _, p := range pairs {
		a, b := mustAddress(t, p.a), mustAddress(t, p.b)
		if a == b {
			t.Errorf("%s: Address(%q) = Address(%q) = %q, want different", p.why, p.a, p.b, a)
		}
	}
}

func TestParseAddressParts(t *testing.T) {
	p, err := ParseAddress("123 Main St Apt 4, Springfield, IL 62701-1234")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p, (AddressParts{Street: "123 MAIN ST # 4", ZIP: "62701"}); got != want {
		t.Errorf("ParseAddress = %+v, want %+v", got, want)
	}
	if got, want := p.Key(), "123 MAIN ST # 4 62701"; got != want {
		t.Errorf("Key() = %q, want %q", got, want)
	}
	p, err = ParseAddress("PO Box 12345")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p, (AddressParts{Street: "PO BOX 12345"}); got != want {
		t.Errorf("ParseAddress(PO Box 12345) = %+v, want %+v (a box number is not a ZIP)", got, want)
	}
}

func TestAddressErrors(t *testing.T) {
	for _, raw := range []string{"", "   ", ",,,", "hello world", "94110", "Main Street", "123", string(make([]byte, 300))} {
		_, err := Address(raw)
		var ve *keypad.ValidationError
		if !errors.As(err, &ve) || ve.Field != "address" {
			t.Errorf("Address(%q) error = %v, want a *keypad.ValidationError for field address", raw, err)
		}
	}
}
