package oauth

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
)

func TestCheckChallenge(t *testing.T) {
	sum := sha256.Sum256([]byte(strings.Repeat("a", 43)))
	s256 := base64.RawURLEncoding.EncodeToString(sum[:])
	plain := strings.Repeat("p", 43)
	for _, c := range []struct {
		name, challenge, method string
		allowPlain              bool
		want                    string // method stored; "!" for an error
	}{
		{"OKS256", s256, "S256", false, "S256"},
		{"OKNone", "", "", false, ""},
		{"OKPlainAllowed", plain, "plain", true, "plain"},
		{"OKPlainByDefaultAllowed", plain, "", true, "plain"},
		{"ErrPlainRefused", plain, "plain", false, "!"},
		{"ErrMethodDefaultsToPlain", s256, "", false, "!"},
		{"ErrUnknownMethod", s256, "S512", false, "!"},
		{"ErrMethodWithoutChallenge", "", "S256", false, "!"},
		{"ErrS256TooShort", s256[:42], "S256", false, "!"},
		{"ErrS256Padded", s256 + "=", "S256", false, "!"},
		{"ErrS256NotBase64URL", strings.Repeat("+", 43), "S256", false, "!"},
		{"ErrPlainTooShort", plain[:42], "plain", true, "!"},
		{"ErrPlainBadChar", plain[:42] + "!", "plain", true, "!"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := checkChallenge(c.challenge, c.method, c.allowPlain)
			if c.want == "!" {
				if err == nil || err.Code != CodeInvalidRequest {
					t.Errorf("got %q, %v; want invalid_request", got, err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Errorf("got %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

func TestVerifyPKCE(t *testing.T) {
	// RFC 7636 Appendix B.
	const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	const challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
	for _, c := range []struct {
		name, challenge, method, verifier string
		ok                                bool
	}{
		{"OKAppendixB", challenge, "S256", verifier, true},
		{"OKPlain", verifier, "plain", verifier, true},
		{"OKNoPKCE", "", "", "", true},
		{"ErrWrongVerifier", challenge, "S256", strings.Repeat("x", 43), false},
		{"ErrChallengeAsVerifier", challenge, "S256", challenge, false},
		{"ErrMissingVerifier", challenge, "S256", "", false},
		{"ErrVerifierWithoutChallenge", "", "", verifier, false},
		{"ErrShortVerifier", challenge, "S256", verifier[:42], false},
		{"ErrLongVerifier", challenge, "S256", strings.Repeat("x", 129), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := verifyPKCE(c.challenge, c.method, c.verifier)
			if got := err == nil; got != c.ok {
				t.Errorf("verifyPKCE = %v, want ok=%v", err, c.ok)
			}
			if err != nil && err.Code != CodeInvalidGrant {
				t.Errorf("error code %s, want invalid_grant", err.Code)
			}
		})
	}
}

func FuzzVerifyPKCE(f *testing.F) {
	f.Add("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
	f.Add("")
	f.Fuzz(func(t *testing.T, v string) {
		sum := sha256.Sum256([]byte(v))
		challenge := base64.RawURLEncoding.EncodeToString(sum[:])
		err := verifyPKCE(challenge, PKCES256, v)
		if (err == nil) != validVerifier(v) {
			t.Errorf("verifier %q: verifyPKCE = %v, validVerifier = %v", v, err, validVerifier(v))
		}
	})
}
