package identifier

import (
	"encoding/binary"
	"encoding/hex"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"

	"github.com/keypadauth/keypad"
)

// Decoys are the channels shown for an identifier that finds nobody
// (DESIGN.md: lookups must not tell a customer from a stranger). Three
// rules make them hard to tell from real answers:
//
//   - One identifier, one decoy, at the granularity matching uses. A
//     customer is found by every spelling that normalises to one of their
//     keys, and an address without its ZIP finds them too; so a decoy is
//     seeded by the normalised value, and for an address by its street
//     line alone (DecoyKey). The lookup adds what needs the store: a
//     street that finds one person answers every ZIP with that person's
//     hints, one that finds several seeds by the ZIP too. "125 Main Street" and "125 Main St,
//     Springfield, CA 94000" get the same decoy, as they would find the
//     same person.
//   - Drawn from the real directory. What a hint shows (the kinds of
//     channel offered, a phone number's country, a mailbox's first letter,
//     the mail domain's first letter and top-level domain) is drawn from a
//     sample of the people keypad knows (DecoyModel), so no hint is "always
//     real" or "never real".
//   - Keyed and stable. The draw uses HMAC-SHA256 under the server's key:
//     the same identifier gets the same decoy on every instance and after
//     restarts, an outsider cannot predict it, and weighted rendezvous
//     hashing keeps it when the sample changes a little.

// MinDecoySample is how many reachable people a DecoyModel needs before
// it replaces the built-in distribution: drawing from two or three
// people would make every decoy look like one of them.
const MinDecoySample = 20

// DecoyModel is the distribution decoys are drawn from. Its zero value
// (and nil) is a built-in one: common US mail domains and area codes.
type DecoyModel struct {
	shapes   weights // "sms", "email", "sms email"
	prefixes weights // phone number patterns, "+1217xxxxxxx" (phonePattern)
	initials weights // first letters of mailboxes
	domains  weights // mail domains
	real     bool    // drawn from real people
}

// NewDecoyModel counts what the hints of real people show: people holds
// the channels keypad offers each person of a sample (SubjectChannels,
// filtered as a lookup filters them; Destination set). Fewer than
// MinDecoySample reachable people give the built-in model.
func NewDecoyModel(people [][]keypad.OTPChannel) *DecoyModel {
	var shapes, prefixes, initials, domains counter
	reachable := 0
	for _, cs := range people {
		var types []string
		for _, c := range cs {
			switch c.Type {
			case ChannelSMS:
				if p := phonePattern(c.Destination); p != "" {
					prefixes.add(p)
					types = append(types, ChannelSMS)
				}
			case ChannelEmail:
				at := strings.LastIndexByte(c.Destination, '@')
				if at > 0 && at < len(c.Destination)-1 {
					initials.add(firstRune(c.Destination))
					domains.add(c.Destination[at+1:])
					types = append(types, ChannelEmail)
				}
			}
		}
		if len(types) > 0 {
			reachable++
			shapes.add(strings.Join(types, " "))
		}
	}
	m := &DecoyModel{}
	if reachable < MinDecoySample {
		return m
	}
	m.real, m.shapes = true, shapes.weights()
	if len(prefixes) > 0 {
		m.prefixes = prefixes.weights()
	}
	if len(domains) > 0 {
		m.initials, m.domains = initials.weights(), domains.weights()
	}
	return m
}

// Real reports whether the model was drawn from real people rather than
// built in.
func (m *DecoyModel) Real() bool { return m != nil && m.real }

// Offering returns m restricted to the kinds of channel keypad can
// deliver here, so that a decoy never offers what no real answer could
// (a text when no SMS sender is configured, or to a country texts do not
// go to), nor an empty list of channels.
func (m *DecoyModel) Offering(sms, email bool) *DecoyModel {
	var out DecoyModel
	if m != nil {
		out = *m
	}
	all := out.shapes
	if len(all.vals) == 0 {
		all = defaultShapes
	}
	out.shapes = weights{}
	for i, v := range all.vals {
		f := strings.Fields(v)
		if (sms || !contains(f, ChannelSMS)) && (email || !contains(f, ChannelEmail)) {
			out.shapes.vals, out.shapes.w = append(out.shapes.vals, v), append(out.shapes.w, all.w[i])
		}
	}
	if len(out.shapes.vals) == 0 {
		only := ChannelEmail
		if !email {
			only = ChannelSMS
		}
		out.shapes = weights{vals: []string{only}, w: []float64{1}}
	}
	return &out
}

// DecoyKey is the identifier a decoy is seeded by: the identifier
// itself, and for an address its street line without the ZIP, because a
// lookup without the ZIP finds the same people (Record.Identifiers).
func DecoyKey(id keypad.Identifier) keypad.Identifier {
	if street, ok := StreetOnly(id); ok {
		return street
	}
	return id
}

// StreetOnly returns an address identifier without its ZIP, and whether
// it had one: the coarser key that finds everyone the address finds.
func StreetOnly(id keypad.Identifier) (keypad.Identifier, bool) {
	if id.Type != keypad.IdentifierAddress {
		return id, false
	}
	p, err := ParseAddress(id.Value)
	if err != nil || p.Street == "" || p.ZIP == "" {
		return id, false
	}
	return keypad.Identifier{Type: id.Type, Value: p.Street}, true
}

// Decoys returns the decoy channels of an identifier under the built-in
// model, with phone numbers of the default region (US), seeded by
// DecoyKey(id); see Normalizer.DecoysFrom.
func Decoys(key []byte, id keypad.Identifier) []keypad.OTPChannel {
	return Normalizer{}.Decoys(key, id)
}

// Decoys returns the decoy channels of an identifier under the built-in
// model, seeded by DecoyKey(id); see DecoysFrom.
func (n Normalizer) Decoys(key []byte, id keypad.Identifier) []keypad.OTPChannel {
	return n.DecoysFrom(key, DecoyKey(id), nil)
}

// DecoysFrom returns the channels shown for an identifier that finds
// nobody, drawn from m (nil: built in) with a seed of HMAC-SHA256(key,
// type, value). The caller picks the granularity: usually DecoyKey(id). A phone or email identifier always gets its own
// masked value back, as a customer found by it would, and the other kind
// of channel as often as real people with that one have it too. Hints
// are made by MaskPhone and MaskEmail, as real ones; IDs are left empty
// (NewChannelID), and so is Destination: nothing is ever sent to a decoy.
// Key holds the made-up destination, for the limits to count.
func (n Normalizer) DecoysFrom(key []byte, id keypad.Identifier, m *DecoyModel) []keypad.OTPChannel {
	if m == nil {
		m = &DecoyModel{}
	}
	seed := mac(key, "keypad/decoy/v2", string(id.Type), id.Value)
	var phone, email string
	shapes := m.shapes
	if len(shapes.vals) == 0 {
		shapes = defaultShapes
	}
	// A person found by a phone number (an email) is offered it, when
	// keypad can deliver to it: the shapes with it, if there are any.
	switch id.Type {
	case keypad.IdentifierPhone:
		phone = id.Value
		if h := shapes.having(ChannelSMS); len(h.vals) > 0 {
			shapes = h
		}
	case keypad.IdentifierEmail:
		email = id.Value
		if h := shapes.having(ChannelEmail); len(h.vals) > 0 {
			shapes = h
		}
	}
	shape := strings.Fields(shapes.pick(seed, "shape"))
	wantSMS, wantEmail := contains(shape, ChannelSMS), contains(shape, ChannelEmail)
	if wantSMS && phone == "" {
		phone = n.decoyPhone(seed, m)
	}
	if wantEmail && email == "" {
		email = decoyEmail(seed, m)
	}
	var out []keypad.OTPChannel
	if wantSMS {
		out = append(out, keypad.OTPChannel{Type: ChannelSMS, Hint: MaskPhone(phone), Key: phone})
	}
	if wantEmail {
		out = append(out, keypad.OTPChannel{Type: ChannelEmail, Hint: MaskEmail(email), Key: email})
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// decoyPhone invents a number: a real person's number pattern (country
// and area code, length) filled with digits of the seed; the built-in
// model invents the whole number in the region's numbering plan.
func (n Normalizer) decoyPhone(seed []byte, m *DecoyModel) string {
	v := binary.BigEndian.Uint64(seed[1:9])
	if len(m.prefixes.vals) == 0 {
		return n.builtinPhone(v)
	}
	p := m.prefixes.pick(seed, "phone")
	fill := strings.Count(p, "x")
	var b strings.Builder
	b.WriteString(strings.TrimRight(p, "x"))
	if strings.HasPrefix(p, "+1") && len(p) == 12 && fill == 7 {
		b.WriteString(strconv.Itoa(int(200 + v%800))) // a NANP exchange starts with 2-9
		v /= 800
		fill = 4
	}
	b.WriteString(pad(v, fill))
	return b.String()
}

// phonePattern is what a decoy keeps of a real number: the country code
// and the area code (all but the last seven digits), and the length, as
// "+1217xxxxxxx". The hint shows at most the country code and the last
// four digits; the rest makes the number plausible. Short numbers keep
// all but their last four.
func phonePattern(e164 string) string {
	if len(e164) < 6 || e164[0] != '+' {
		return ""
	}
	keep := len(e164) - 7
	if keep < 3 {
		keep = len(e164) - 4
	}
	return e164[:keep] + strings.Repeat("x", len(e164)-keep)
}

// decoyEmail invents an address: a real first letter and a real domain,
// drawn independently, around a mailbox name no one has.
func decoyEmail(seed []byte, m *DecoyModel) string {
	initials, domains := m.initials, m.domains
	if len(domains.vals) == 0 {
		initials, domains = defaultInitials, defaultDomains
	}
	return initials.pick(seed, "initial") + hex.EncodeToString(seed[9:14]) + "@" + domains.pick(seed, "domain")
}

// weights is a distribution over strings, sorted by value so that equal
// samples give equal draws.
type weights struct {
	vals []string
	w    []float64
}

// having keeps the shapes that offer channel type typ.
func (ws weights) having(typ string) weights {
	var out weights
	for i, v := range ws.vals {
		if contains(strings.Fields(v), typ) {
			out.vals, out.w = append(out.vals, v), append(out.w, ws.w[i])
		}
	}
	return out
}

// pick draws one value by weighted rendezvous hashing: each value scores
// w / -ln(u) with u a hash of the seed, label and value, and the highest
// wins. Each value wins with probability proportional to its weight, and
// a change of one weight moves only the draws that value wins or loses.
// The hash is FNV-1a, keyed by the secret seed.
func (ws weights) pick(seed []byte, label string) string {
	best, out := -1.0, ""
	base := fnv1a(fnv1a(fnvOffset, seed), []byte(label))
	for i, v := range ws.vals {
		h := mix64(fnv1aString(base, v))
		u := (float64(h>>11) + 0.5) / (1 << 53)
		if s := ws.w[i] / -math.Log(u); s > best {
			best, out = s, v
		}
	}
	return out
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnv1a(h uint64, b []byte) uint64 {
	for _, c := range b {
		h ^= uint64(c)
		h *= fnvPrime
	}
	return h ^ 0xff // separates fields
}

func fnv1aString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h ^ 0xff
}

// mix64 spreads FNV's low-entropy high bits (splitmix64's finaliser).
func mix64(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	return h ^ h>>31
}

// counter counts occurrences of values.
type counter map[string]int

func (c *counter) add(v string) {
	if *c == nil {
		*c = counter{}
	}
	(*c)[v]++
}

func (c counter) weights() weights {
	var ws weights
	for v := range c {
		ws.vals = append(ws.vals, v)
	}
	sort.Strings(ws.vals)
	for _, v := range ws.vals {
		ws.w = append(ws.w, float64(c[v]))
	}
	return ws
}

func uniform(vals ...string) weights {
	var c counter
	for _, v := range vals {
		c.add(v)
	}
	return c.weights()
}

// The built-in model, for a directory too small to sample: both channels
// half the time, else one of them; common mail providers and first
// letters repeated by rough popularity.
var (
	defaultShapes   = weights{vals: []string{"email", "sms", "sms email"}, w: []float64{1, 1, 2}}
	defaultDomains  = uniform("gmail.com", "gmail.com", "gmail.com", "gmail.com", "yahoo.com", "yahoo.com", "outlook.com", "hotmail.com", "hotmail.com", "icloud.com", "aol.com", "comcast.net", "msn.com", "live.com", "att.net", "verizon.net")
	defaultInitials = uniform(strings.Split("aaabbcccddeefghjjjjkkllmmmmnoprrssssttw", "")...)
)

// decoyAreaCodes are populous NANP area codes; only the last four digits
// reach the hint, but the invented number should be a plausible one.
var decoyAreaCodes = []string{
	"201", "212", "213", "214", "305", "312", "404", "415", "503", "512", "602", "612",
	"617", "702", "713", "718", "720", "773", "801", "808", "858", "919", "206", "303",
}

// builtinPhone invents a number of the region from v.
func (n Normalizer) builtinPhone(v uint64) string {
	region := n.region()
	if phonenumbers.GetCountryCodeForRegion(region) == 1 || phonenumbers.GetCountryCodeForRegion(region) == 0 {
		area := decoyAreaCodes[v%uint64(len(decoyAreaCodes))]
		v /= uint64(len(decoyAreaCodes))
		exchange := 200 + v%800
		v /= 800
		return "+1" + area + strconv.Itoa(int(exchange)) + pad(v%10000, 4)
	}
	ex := phonenumbers.GetExampleNumberForType(region, phonenumbers.MOBILE)
	if ex == nil {
		ex = phonenumbers.GetExampleNumber(region)
	}
	if ex == nil {
		return Normalizer{}.builtinPhone(v)
	}
	nsn := phonenumbers.GetNationalSignificantNumber(ex)
	keep := len(nsn) - 6
	if keep < 1 {
		keep = 1
	}
	return "+" + strconv.Itoa(int(ex.GetCountryCode())) + nsn[:keep] + pad(v%1000000, len(nsn)-keep)
}

// pad writes v with exactly width digits (keeping the low ones).
func pad(v uint64, width int) string {
	s := strconv.FormatUint(v, 10)
	if len(s) > width {
		return s[len(s)-width:]
	}
	return strings.Repeat("0", width-len(s)) + s
}
