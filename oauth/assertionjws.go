package oauth

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/token/jose"
)

// This file reads a partner's assertion: a compact JWS (RFC 7515 §7.1)
// signed with ES256, RS256, PS256 or EdDSA by a key the client registered. The token
// package verifies keypad's own tokens against keypad's keys; an assertion
// is verified against the client's keys instead, so it gets its own small
// reader here; the strict JSON object and the signature check underneath
// are the ones the token package uses too (token/jose). Nothing in the header is trusted beyond alg and kid: jwk,
// jku, x5u and x5c are never followed, and crit is refused.

// maxAssertionLen bounds the assertions looked at; real ones are a few
// hundred bytes to a couple of kilobytes.
const maxAssertionLen = 16 << 10

var assertionB64 = base64.RawURLEncoding.Strict()

// assertionAlgs names the accepted algorithms in error messages.
var assertionAlgs = strings.Join(jose.Algorithms(), ", ")

// assertionFailure is an assertion refused: reason names the check for
// metrics and the audit log, msg says what to fix.
type assertionFailure struct {
	reason string
	msg    string
}

func (f *assertionFailure) Error() string { return f.msg }

func failed(reason, format string, args ...any) *assertionFailure {
	return &assertionFailure{reason: reason, msg: fmt.Sprintf(format, args...)}
}

// jws is a compact JWS split into its parts; claims is still unverified
// until verify succeeds.
type jws struct {
	alg, kid string
	signed   string // header.claims, what the signature covers
	header   map[string]json.RawMessage
	sig      []byte
	claims   map[string]json.RawMessage
}

// parseJWS splits and decodes a compact JWS without verifying it.
func parseJWS(s string) (*jws, *assertionFailure) {
	if len(s) > maxAssertionLen {
		return nil, failed("malformed", "the assertion is longer than %d bytes", maxAssertionLen)
	}
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return nil, failed("malformed", "the assertion is not a signed JWT: want three base64url parts separated by dots (a JWS in compact form)")
	}
	hb, err1 := assertionB64.DecodeString(parts[0])
	cb, err2 := assertionB64.DecodeString(parts[1])
	sig, err3 := assertionB64.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil {
		return nil, failed("malformed", "the assertion is not a signed JWT: a part is not unpadded base64url")
	}
	h, err := jose.Object(hb)
	if err != nil {
		return nil, failed("malformed", "the assertion's header is not a JSON object: %v", err)
	}
	if _, ok := h["crit"]; ok {
		return nil, failed("malformed", "the assertion's header has crit: keypad understands no JWS extensions")
	}
	j := &jws{signed: parts[0] + "." + parts[1], sig: sig, header: h}
	var ok1, ok2 bool
	j.alg, ok1 = stringMember(h, "alg")
	j.kid, ok2 = stringMember(h, "kid")
	if !ok1 || !ok2 {
		return nil, failed("malformed", "the assertion's header members alg and kid must be strings")
	}
	switch {
	case slices.Contains(jose.Algorithms(), j.alg):
	case j.alg == "":
		return nil, failed("alg", "the assertion's header has no alg: sign it with %s", assertionAlgs)
	default:
		return nil, failed("alg", "alg '%s' is not accepted: sign the assertion with %s", j.alg, assertionAlgs)
	}
	if j.claims, err = jose.Object(cb); err != nil {
		return nil, failed("malformed", "the assertion's claims are not a JSON object: %v", err)
	}
	return j, nil
}

// verify checks the signature against the client's keys: the one whose
// kid the header names (a key registered without a kid goes by its
// thumbprint, as `keypad client get` shows it), or else every key of the
// header's algorithm.
func (j *jws) verify(keys []keypad.AssertionKey) *assertionFailure {
	var candidates []keypad.AssertionKey
	for _, k := range keys {
		if j.kid != "" && k.ID != j.kid && (k.ID != "" || k.Thumbprint != j.kid) {
			continue
		}
		if !k.Verifies(j.alg) {
			if j.kid != "" {
				return failed("key", "the key with kid '%s' verifies %s, but the assertion says alg %s", j.kid, strings.Join(k.Algs, " or "), j.alg)
			}
			continue
		}
		candidates = append(candidates, k)
	}
	if len(candidates) == 0 {
		if j.kid != "" {
			return failed("key", "kid '%s' names no key registered for this client; sign with a registered key or ask the administrator to register it", j.kid)
		}
		return failed("key", "this client has no %s key registered; sign with a registered key or ask the administrator to register one", j.alg)
	}
	for _, k := range candidates {
		if jose.Verify(j.alg, k.Key, []byte(j.signed), j.sig) {
			return nil
		}
	}
	return failed("signature", "the assertion's signature does not verify with the keys registered for this client")
}

// stringMember returns member name as a string; ok is false when it is
// present but not a string (null included). An absent member is "", true.
func stringMember(m map[string]json.RawMessage, name string) (string, bool) {
	raw, present := m[name]
	if !present {
		return "", true
	}
	if string(raw) == "null" {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// timeMember returns a NumericDate claim (RFC 7519 §2): seconds since the
// epoch. Fractions are allowed and dropped, so that every check, and the
// replay counter's window that ends at exp, works in whole seconds (the
// store keeps microseconds: a fraction below them would leave a sliver of
// time where exp had not passed but the window had ended). present is
// false when the claim is absent; ok is false when it is not a usable
// number.
func timeMember(m map[string]json.RawMessage, name string) (t time.Time, present, ok bool) {
	raw, present := m[name]
	if !present {
		return time.Time{}, false, true
	}
	if len(raw) == 0 || raw[0] == '"' {
		return time.Time{}, true, false // a number in a string is not a NumericDate
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return time.Time{}, true, false
	}
	f, err := n.Float64()
	// Within ±2^53 seconds a float64 holds whole seconds exactly, and
	// time.Unix never overflows.
	if err != nil || math.IsNaN(f) || math.Abs(f) > 1<<53 {
		return time.Time{}, true, false
	}
	return time.Unix(int64(math.Floor(f)), 0), true, true
}

// audienceMember returns the aud claim (RFC 7519 §4.1.3): one string or an
// array of strings.
func audienceMember(m map[string]json.RawMessage, name string) ([]string, bool) {
	raw, present := m[name]
	if !present {
		return nil, true
	}
	if string(raw) == "null" {
		return nil, false
	}
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, true
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, false
	}
	return many, true
}
