package identifier

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"

	"github.com/keypadauth/keypad"
)

// Delivery channel types, as in keypad.OTPChannel.Type.
const (
	ChannelSMS   = "sms"
	ChannelEmail = "email"
)

// channelIDEncoding writes channel IDs in lower-case base32 without
// padding: URL- and form-safe, and easy to read out.
var channelIDEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// ChannelID names a delivery channel in an OTP lookup answer: 16
// characters of base32 of an HMAC-SHA256, under a server key, of the
// subject, the channel type and the destination. The same channel keeps
// its ID across lookups (a client may remember a person's choice), the ID
// reveals nothing of the destination, and decoy channels (Decoys) get IDs
// made the same way, so the two cannot be told apart.
func ChannelID(key []byte, subjectID, typ, destination string) string {
	sum := mac(key, "keypad/channel-id/v1", subjectID, typ, destination)
	return channelIDEncoding.EncodeToString(sum[:10])
}

// Channel describes one real delivery channel of a subject: its ID, its
// masked hint and its destination (which never leaves the server).
func Channel(key []byte, subjectID, typ, destination string) keypad.OTPChannel {
	hint := MaskEmail(destination)
	if typ == ChannelSMS {
		hint = MaskPhone(destination)
	}
	return keypad.OTPChannel{
		ID:          ChannelID(key, subjectID, typ, destination),
		Type:        typ,
		Hint:        hint,
		Destination: destination,
	}
}

// SubjectChannels lists the channels a subject can be reached on, SMS
// first then email: the same order and shapes as Decoys, so a lookup's
// answer does not tell a customer from a stranger.
func SubjectChannels(key []byte, s *keypad.Subject) []keypad.OTPChannel {
	var out []keypad.OTPChannel
	if s.Phone != "" {
		out = append(out, Channel(key, s.ID, ChannelSMS, s.Phone))
	}
	if s.Email != "" {
		out = append(out, Channel(key, s.ID, ChannelEmail, s.Email))
	}
	return out
}

// Decoys returns the channels shown for an identifier that finds nobody
// (DESIGN.md: lookups must not reveal who is a customer), with phone
// numbers of the default region (US); see Normalizer.Decoys.
func Decoys(key []byte, id keypad.Identifier) []keypad.OTPChannel {
	return Normalizer{}.Decoys(key, id)
}

// Decoys returns the channels shown for an identifier that finds nobody.
// They are derived from HMAC-SHA256(key, type, value), so repeating the
// lookup gives the same answer, as it would for a real customer, and a
// different key gives a different answer. The hints are made by the same
// MaskPhone and MaskEmail as real ones, and the IDs by ChannelID, from
// invented numbers (region's numbering plan; NANP area codes from a short
// list) and addresses (common mail domains). A phone or email identifier
// always gets its own masked value back, as a customer found by it would.
// Destination stays empty: nothing is ever sent to a decoy.
func (n Normalizer) Decoys(key []byte, id keypad.Identifier) []keypad.OTPChannel {
	seed := mac(key, "keypad/decoy/v1", string(id.Type), id.Value)
	var phone, email string
	wantSMS, wantEmail := seed[0]%4 != 3, seed[0]%4 != 2 // both half the time, else one of them
	switch id.Type {
	case keypad.IdentifierPhone:
		phone, wantSMS, wantEmail = id.Value, true, seed[0]%2 == 0
	case keypad.IdentifierEmail:
		email, wantEmail, wantSMS = id.Value, true, seed[0]%2 == 0
	}
	if wantSMS && phone == "" {
		phone = n.decoyPhone(seed[1:9])
	}
	if wantEmail && email == "" {
		email = decoyEmail(seed[9:16])
	}
	subject := "decoy/" + hex.EncodeToString(seed[16:])
	var out []keypad.OTPChannel
	if wantSMS {
		out = append(out, keypad.OTPChannel{ID: ChannelID(key, subject, ChannelSMS, phone), Type: ChannelSMS, Hint: MaskPhone(phone)})
	}
	if wantEmail {
		out = append(out, keypad.OTPChannel{ID: ChannelID(key, subject, ChannelEmail, email), Type: ChannelEmail, Hint: MaskEmail(email)})
	}
	return out
}

// decoyAreaCodes are populous NANP area codes; only the last four digits
// reach the hint, but the invented number should be a plausible one.
var decoyAreaCodes = []string{
	"201", "212", "213", "214", "305", "312", "404", "415", "503", "512", "602", "612",
	"617", "702", "713", "718", "720", "773", "801", "808", "858", "919", "206", "303",
}

// decoyDomains are common mail providers, repeated by rough popularity.
var decoyDomains = []string{
	"gmail.com", "gmail.com", "gmail.com", "gmail.com", "yahoo.com", "yahoo.com",
	"outlook.com", "hotmail.com", "hotmail.com", "icloud.com", "aol.com", "comcast.net",
	"msn.com", "live.com", "att.net", "verizon.net",
}

// decoyInitials are first letters of mailbox names, repeated by rough
// frequency of first names.
const decoyInitials = "aaabbcccddeefghjjjjkkllmmmmnoprrssssttw"

func (n Normalizer) decoyPhone(b []byte) string {
	v := binary.BigEndian.Uint64(b)
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
		return Normalizer{}.decoyPhone(b)
	}
	nsn := phonenumbers.GetNationalSignificantNumber(ex)
	keep := len(nsn) - 6
	if keep < 1 {
		keep = 1
	}
	return "+" + strconv.Itoa(int(ex.GetCountryCode())) + nsn[:keep] + pad(v%1000000, len(nsn)-keep)
}

func decoyEmail(b []byte) string {
	initial := decoyInitials[int(b[0])%len(decoyInitials)]
	domain := decoyDomains[int(b[1])%len(decoyDomains)]
	return string(initial) + hex.EncodeToString(b[2:]) + "@" + domain
}

// pad writes v with exactly width digits (keeping the low ones).
func pad(v uint64, width int) string {
	s := strconv.FormatUint(v, 10)
	if len(s) > width {
		return s[len(s)-width:]
	}
	return strings.Repeat("0", width-len(s)) + s
}

// mac is HMAC-SHA256 over length-prefixed fields, so no two field lists
// collide ("a|b","c" against "a","b|c"). label separates the uses of one
// key.
func mac(key []byte, label string, fields ...string) []byte {
	m := hmac.New(sha256.New, key)
	writeField(m, label)
	for _, f := range fields {
		writeField(m, f)
	}
	return m.Sum(nil)
}

func writeField(h hash.Hash, f string) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(f)))
	h.Write(n[:])
	h.Write([]byte(f))
}
