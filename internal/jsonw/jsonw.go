// Package jsonw appends JSON to byte slices for the token endpoint's hot
// path: the JWT access token's claims and the token response. There,
// encoding/json's reflection, and its re-reading of what a MarshalJSON
// method returns, were a measurable share of each request
// (docs/performance.md). What jsonw writes is byte for byte what
// encoding/json.Marshal writes for the same values, which the tests of
// its callers check.
package jsonw

import (
	"encoding/json"
	"strconv"
)

// String appends s as a JSON string. Strings of printable ASCII without
// the characters encoding/json escapes (quote, backslash, and <, >, &,
// which it writes as \u003c and so on) go as they are; any other string
// is encoded by encoding/json, so the escaping is always its own.
func String(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			enc, _ := json.Marshal(s) // a string always encodes
			return append(b, enc...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// Member appends a member's name and colon, with the comma before it
// unless b ends an opening brace.
func Member(b []byte, name string) []byte {
	if len(b) > 0 && b[len(b)-1] != '{' {
		b = append(b, ',')
	}
	b = String(b, name)
	return append(b, ':')
}

// StringMember appends the member name: s.
func StringMember(b []byte, name, s string) []byte {
	return String(Member(b, name), s)
}

// IntMember appends the member name: n.
func IntMember(b []byte, name string, n int64) []byte {
	return strconv.AppendInt(Member(b, name), n, 10)
}

// Strings appends ss as a JSON array of strings; nil is null, as for
// encoding/json.
func Strings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = String(b, s)
	}
	return append(b, ']')
}
