package identifier

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"hash"
	"io"

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

// NewChannelID names a delivery channel in one OTP lookup answer: 16
// characters of lower-case base32 of 80 random bits. IDs are drawn afresh
// for every session, for real people and decoys alike: an ID that stayed
// the same across lookups would be a fingerprint (the same person found
// by two identifiers, or a decoy that never matches any real person's
// IDs). The session remembers which ID stands for which destination.
func NewChannelID(r io.Reader) (string, error) {
	var b [10]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("channel id: %w", err)
	}
	return channelIDEncoding.EncodeToString(b[:]), nil
}

// Channel describes one real delivery channel of a subject: its masked
// hint and its destination (which never leaves the server). The ID is
// left empty: the lookup gives each session its own (NewChannelID).
func Channel(typ, destination string) keypad.OTPChannel {
	hint := MaskEmail(destination)
	if typ == ChannelSMS {
		hint = MaskPhone(destination)
	}
	return keypad.OTPChannel{
		Type:        typ,
		Hint:        hint,
		Destination: destination,
	}
}

// SubjectChannels lists the channels a subject can be reached on, SMS
// first then email: the same order and shapes as Decoys, so a lookup's
// answer does not tell a customer from a stranger.
func SubjectChannels(s *keypad.Subject) []keypad.OTPChannel {
	var out []keypad.OTPChannel
	if s.Phone != "" {
		out = append(out, Channel(ChannelSMS, s.Phone))
	}
	if s.Email != "" {
		out = append(out, Channel(ChannelEmail, s.Email))
	}
	return out
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
