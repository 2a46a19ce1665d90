package identifier

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"

	"github.com/keypadauth/keypad"
)

// Bullet is the character masked hints hide behind.
const Bullet = "•"

// MaskPhone turns an E.164 number into the hint a client may show: only
// the last four digits. NANP numbers read "(•••) •••-4821"; others carry
// their country code and a masked national number, "+44 •••• ••4821", so
// a person can tell their mobile from their landline without the client
// learning either. A value that does not parse (a number stored before
// the numbering plan changed) still masks to "•••-4821".
func MaskPhone(e164 string) string {
	num, ok := parseE164(e164)
	if !ok {
		return Bullet + Bullet + Bullet + "-" + lastDigits(e164, 4)
	}
	nsn := phonenumbers.GetNationalSignificantNumber(num)
	if num.GetCountryCode() == 1 && len(nsn) == 10 {
		return "(" + strings.Repeat(Bullet, 3) + ") " + strings.Repeat(Bullet, 3) + "-" + nsn[6:]
	}
	show := 4
	if len(nsn) < 8 {
		show = 2 // short numbers: four digits would be most of the number
	}
	if show > len(nsn) {
		show = len(nsn)
	}
	var b strings.Builder
	b.WriteString("+")
	b.WriteString(strconv.Itoa(int(num.GetCountryCode())))
	b.WriteString(" ")
	for i := 0; i < len(nsn); i++ {
		if len(nsn) >= 8 && i == len(nsn)-6 {
			b.WriteString(" ")
		}
		if i < len(nsn)-show {
			b.WriteString(Bullet)
		} else {
			b.WriteByte(nsn[i])
		}
	}
	return b.String()
}

// MaskEmail turns an address into the hint a client may show:
// "h•••@e•••.com", the first letter of the mailbox, the first letter of
// the domain and the top-level domain. The bullets are always three, so
// the hint does not give away the lengths.
func MaskEmail(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 {
		return Bullet + Bullet + Bullet + "@" + Bullet + Bullet + Bullet
	}
	local, domain := addr[:at], addr[at+1:]
	labels := strings.Split(domain, ".")
	if len(labels) < 2 || labels[0] == "" || labels[len(labels)-1] == "" {
		return firstRune(local) + Bullet + Bullet + Bullet + "@" + Bullet + Bullet + Bullet
	}
	return firstRune(local) + Bullet + Bullet + Bullet + "@" + firstRune(labels[0]) + Bullet + Bullet + Bullet + "." + labels[len(labels)-1]
}

func firstRune(s string) string {
	_, n := utf8.DecodeRuneInString(s)
	return s[:n]
}

func lastDigits(s string, n int) string {
	var d []byte
	for i := len(s) - 1; i >= 0 && len(d) < n; i-- {
		if isDigit(rune(s[i])) {
			d = append(d, s[i])
		}
	}
	for i, j := 0, len(d)-1; i < j; i, j = i+1, j-1 {
		d[i], d[j] = d[j], d[i]
	}
	return string(d)
}

// StyleHint returns the hint of channel type typ as a client with hint
// style style (keypad.ClientOptions.HintStyle) may see it: the masked
// hint itself, or for keypad.HintStyleNone one that shows no digit and no
// letter at all ("•••-••••", "•••@•••"), for clients that need only the
// kind of channel. Someone who already knows a person's number can match
// the last four digits of a masked hint; with HintStyleNone they cannot.
func StyleHint(typ, hint, style string) string {
	if style != keypad.HintStyleNone {
		return hint
	}
	b := strings.Repeat(Bullet, 3)
	if typ == ChannelSMS {
		return b + "-" + b + Bullet
	}
	return b + "@" + b
}
