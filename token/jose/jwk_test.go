package jose

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// rfc7638Key is the example of RFC 7638 §3.1, with its published
// thumbprint.
const (
	rfc7638N     = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
	rfc7638Thumb = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
)

func TestParsePublicKeySetRFC7638Example(t *testing.T) {
	doc := fmt.Sprintf(`{"keys":[{"kty":"RSA","n":%q,"e":"AQAB","alg":"RS256","kid":"2011-04-29"}]}`, rfc7638N)
	keys, err := ParsePublicKeySet([]byte(doc))
	if err != nil {
		t.Fatalf("ParsePublicKeySet: %v", err)
	}
	if len(keys) != 1 {
		t.Fatalf("got %d keys, want 1", len(keys))
	}
	k := keys[0]
	if k.Thumbprint != rfc7638Thumb || k.ID != "2011-04-29" || !slices.Equal(k.Algs, []string{RS256}) {
		t.Errorf("got thumbprint %q, kid %q, algs %q; want %q, %q, [RS256]", k.Thumbprint, k.ID, k.Algs, rfc7638Thumb, "2011-04-29")
	}
}

// TestThumbprintRoundTrip pins that the thumbprint keypad gives its own
// signing keys (PublicMembers, as the JWKS publishes them) is the one it
// computes for a partner's key parsed from a JWK: one rule for both.
func TestThumbprintRoundTrip(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		pub  any
		algs []string
	}{{"EC", &ec.PublicKey, []string{ES256}}, {"RSA", &rk.PublicKey, []string{RS256, PS256}}, {"Ed25519", edPub, []string{EdDSA}}} {
		t.Run(tt.name, func(t *testing.T) {
			m, err := PublicMembers(tt.pub)
			if err != nil {
				t.Fatal(err)
			}
			obj := map[string]string{}
			for name, v := range map[string]string{"kty": m.Kty, "crv": m.Crv, "x": m.X, "y": m.Y, "n": m.N, "e": m.E} {
				if v != "" {
					obj[name] = v
				}
			}
			jwk, err := json.Marshal(map[string]any{"keys": []any{obj}})
			if err != nil {
				t.Fatal(err)
			}
			keys, err := ParsePublicKeySet(jwk)
			if err != nil {
				t.Fatalf("ParsePublicKeySet(%s): %v", jwk, err)
			}
			want, err := Thumbprint(tt.pub)
			if err != nil {
				t.Fatal(err)
			}
			if got := keys[0].Thumbprint; got != want || got != m.Thumbprint() {
				t.Errorf("parsed thumbprint %q, Thumbprint %q, Members.Thumbprint %q: want all equal", got, want, m.Thumbprint())
			}
			if !slices.Equal(keys[0].Algs, tt.algs) {
				t.Errorf("algs = %q, want %q", keys[0].Algs, tt.algs)
			}
		})
	}
}

// The Ed25519 key of RFC 8037 Appendix A.1 and A.2, and its thumbprint
// published in Appendix A.3.
const (
	rfc8037D     = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
	rfc8037X     = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
	rfc8037Thumb = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
)

func TestParsePublicKeySetRFC8037Thumbprint(t *testing.T) {
	keys, err := ParsePublicKeySet([]byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"` + rfc8037X + `"}]}`))
	if err != nil {
		t.Fatalf("ParsePublicKeySet: %v", err)
	}
	k := keys[0]
	if k.Thumbprint != rfc8037Thumb || !slices.Equal(k.Algs, []string{EdDSA}) {
		t.Errorf("got thumbprint %q, algs %q; want %q, [EdDSA]", k.Thumbprint, k.Algs, rfc8037Thumb)
	}
	if _, ok := k.Key.(ed25519.PublicKey); !ok {
		t.Errorf("key is %T, want ed25519.PublicKey", k.Key)
	}
}

// TestParsePublicKeySetRSAAlg pins which algorithms an RSA key verifies:
// both without "alg", only the named one with it.
func TestParsePublicKeySetRSAAlg(t *testing.T) {
	for _, tt := range []struct {
		alg  string
		want []string
	}{{"", []string{RS256, PS256}}, {RS256, []string{RS256}}, {PS256, []string{PS256}}} {
		t.Run("alg="+tt.alg, func(t *testing.T) {
			extra := ""
			if tt.alg != "" {
				extra = fmt.Sprintf(`,"alg":%q`, tt.alg)
			}
			keys, err := ParsePublicKeySet([]byte(fmt.Sprintf(`{"keys":[{"kty":"RSA","n":%q,"e":"AQAB"%s}]}`, rfc7638N, extra)))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(keys[0].Algs, tt.want) {
				t.Errorf("algs = %q, want %q", keys[0].Algs, tt.want)
			}
			for _, a := range []string{RS256, PS256, ES256, EdDSA, "none", "HS256"} {
				if got := keys[0].Verifies(a); got != slices.Contains(tt.want, a) {
					t.Errorf("Verifies(%s) = %v", a, got)
				}
			}
		})
	}
}

func TestParsePublicKeySetErrors(t *testing.T) {
	rsaKey := func(extra string) string {
		return fmt.Sprintf(`{"kty":"RSA","n":%q,"e":"AQAB"%s}`, rfc7638N, extra)
	}
	for _, tt := range []struct {
		name, doc, want string
	}{
		{"ErrNotASet", `[]`, "not a JWK Set"},
		{"ErrTrailing", `{"keys":[]} {}`, "not a JWK Set"},
		{"ErrEmpty", `{"keys":[]}`, "has no keys"},
		{"ErrTooMany", `{"keys":[` + strings.Repeat(rsaKey("")+",", 20) + rsaKey("") + `]}`, "at most 20"},
		{"ErrPrivate", `{"keys":[` + rsaKey(`,"d":"AQAB"`) + `]}`, `private or symmetric key material ("d")`},
		{"ErrSymmetric", `{"keys":[{"kty":"oct","k":"AQAB"}]}`, `("k")`},
		{"ErrNoKty", `{"keys":[{"n":"AQAB"}]}`, `"kty" is missing`},
		{"ErrKty", `{"keys":[{"kty":"oct"}]}`, `key type "oct" is not accepted`},
		{"ErrOKPCurve", `{"keys":[{"kty":"OKP","crv":"X25519","x":"` + rfc8037X + `"}]}`, "only Ed25519"},
		{"ErrOKPShort", `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AQAB"}]}`, `"x" must be 32 bytes`},
		{"ErrOKPPrivate", `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"` + rfc8037X + `","d":"` + rfc8037D + `"}]}`, `("d")`},
		{"ErrOKPAlg", `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"` + rfc8037X + `","alg":"ES256"}]}`, `"alg" is "ES256", but a OKP key here signs EdDSA only`},
		{"ErrRSAAlgEdDSA", `{"keys":[` + rsaKey(`,"alg":"EdDSA"`) + `]}`, "signs RS256 or PS256 only"},
		{"ErrRSAAlgHS256", `{"keys":[` + rsaKey(`,"alg":"HS256"`) + `]}`, `"alg" is "HS256"`},
		{"ErrCurve", `{"keys":[{"kty":"EC","crv":"P-384"}]}`, "only P-256"},
		{"ErrSmallRSA", `{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}`, "RSA key has 17 bits"},
		{"ErrEvenE", `{"keys":[` + fmt.Sprintf(`{"kty":"RSA","n":%q,"e":"AQA"}`, rfc7638N) + `]}`, `RSA exponent "e" is not an odd number`},
		{"ErrAlg", `{"keys":[` + rsaKey(`,"alg":"ES256"`) + `]}`, `"alg" is "ES256"`},
		{"ErrUse", `{"keys":[` + rsaKey(`,"use":"enc"`) + `]}`, `"use" is "enc"`},
		{"ErrKidTwice", `{"keys":[` + rsaKey(`,"kid":"a"`) + "," + rsaKey(`,"kid":"a"`) + `]}`, `key 2: kid "a" is used twice`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePublicKeySet([]byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParsePublicKeySet = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func FuzzParsePublicKeySet(f *testing.F) {
	f.Add([]byte(fmt.Sprintf(`{"keys":[{"kty":"RSA","n":%q,"e":"AQAB"}]}`, rfc7638N)))
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"","y":""}]}`))
	f.Add([]byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"` + rfc8037X + `","alg":"EdDSA"}]}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		keys, err := ParsePublicKeySet(doc)
		if err == nil && (len(keys) == 0 || len(keys) > maxKeys) {
			t.Fatalf("accepted %d keys", len(keys))
		}
		for _, k := range keys {
			if k.Thumbprint == "" || len(k.Algs) == 0 || slices.ContainsFunc(k.Algs, func(a string) bool { return !slices.Contains(Algorithms(), a) }) {
				t.Fatalf("accepted key %+v", k)
			}
		}
	})
}
