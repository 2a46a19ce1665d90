package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader carries a webhook's signature, in the form
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>". Signing
// the time with the body lets receivers refuse old requests (replays);
// several v1 entries may appear while a secret is being rotated.
const SignatureHeader = "Keypad-Signature"

// DefaultSignatureTolerance is how far a signature's time may be from the
// receiver's clock when VerifySignature is given no tolerance.
const DefaultSignatureTolerance = 5 * time.Minute

// Errors from VerifySignature.
var (
	ErrSignatureMalformed = errors.New("webhook signature header is missing or malformed")
	ErrSignatureMismatch  = errors.New("webhook signature does not match the body")
	ErrSignatureStale     = errors.New("webhook signature time is outside the tolerance")
)

// Sign returns the SignatureHeader value for body sent at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// VerifySignature checks a SignatureHeader value against the raw request
// body: one v1 entry must be the HMAC of t and body under secret (compared
// in constant time), and t must be within tolerance of now, either way
// (tolerance <= 0 means DefaultSignatureTolerance). Receivers should also
// remember the payload's id for the tolerance window, so a request
// replayed inside it is refused too.
func VerifySignature(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultSignatureTolerance
	}
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return ErrSignatureMalformed
		}
		switch k {
		case "t":
			if ts != "" {
				return ErrSignatureMalformed
			}
			ts = v
		case "v1":
			sig, err := hex.DecodeString(v)
			if err != nil || len(sig) != sha256.Size {
				return ErrSignatureMalformed
			}
			sigs = append(sigs, sig)
		}
		// Other schemes are ignored, so a future v2 can be added.
	}
	t, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrSignatureMalformed
	}
	want := mac(secret, ts, body)
	matched := false
	for _, sig := range sigs {
		if hmac.Equal(sig, want) {
			matched = true
		}
	}
	if !matched {
		return ErrSignatureMismatch
	}
	if d := now.Sub(time.Unix(t, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: signed %s ago", ErrSignatureStale, d.Round(time.Second))
	}
	return nil
}
