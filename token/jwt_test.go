package token

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
)

// forge builds a compact JWS from any header and claims; sign, when not
// nil, makes the signature from the signing input.
func forge(t testing.TB, header, claims map[string]any, sign func([]byte) []byte) string {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	input := b64url.EncodeToString(h) + "." + b64url.EncodeToString(c)
	sig := []byte("not a signature")
	if sign != nil {
		sig = sign([]byte(input))
	}
	return input + "." + b64url.EncodeToString(sig)
}

func TestSignVerify(t *testing.T) {
	ctx := context.Background()
	k := mustKeyring(t, mustOpenStore(t), newClock(), time.Hour)
	for _, alg := range Algorithms {
		t.Run("OK"+alg, func(t *testing.T) {
			tok, err := k.Sign(alg, "at+jwt", map[string]any{"sub": "alice", "n": 7})
			if err != nil {
				t.Fatal(err)
			}
			var got struct {
				Sub string `json:"sub"`
				N   int    `json:"n"`
			}
			if err := k.Verify(ctx, tok, "at+jwt", &got); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got.Sub != "alice" || got.N != 7 {
				t.Errorf("claims = %+v, want sub alice, n 7", got)
			}
			// A resource server holding only the JWKS verifies it too.
			var doc jwksDoc
			json.Unmarshal(k.JWKS(), &doc)
			var pub any
			for _, j := range doc.Keys {
				if j["kid"] == kidOf(t, tok) {
					pub = jwkPublic(t, j)
				}
			}
			if pub == nil {
				t.Fatalf("kid %s not in the JWKS", kidOf(t, tok))
			}
			parts := strings.Split(tok, ".")
			sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
			sig, _ := b64url.DecodeString(parts[2])
			switch p := pub.(type) {
			case *ecdsa.PublicKey:
				if len(sig) != 64 || !ecdsa.Verify(p, sum[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
					t.Error("ES256 signature (raw r||s) does not verify against the JWKS key")
				}
			case *rsa.PublicKey:
				if err := rsa.VerifyPKCS1v15(p, crypto.SHA256, sum[:], sig); err != nil {
					t.Errorf("RS256 signature does not verify against the JWKS key: %v", err)
				}
			}
		})
	}
	t.Run("ErrNoKeyForAlg", func(t *testing.T) {
		if _, err := k.Sign("HS256", "at+jwt", map[string]any{}); err == nil {
			t.Fatal("Sign with HS256 succeeded")
		}
	})
}

func TestVerifyRejects(t *testing.T) {
	ctx := context.Background()
	k := mustKeyring(t, mustOpenStore(t), newClock(), time.Hour)
	es := k.set.Load().current[keypad.AlgES256]
	rs := k.set.Load().current[keypad.AlgRS256]
	signWith := func(sk *signingKey) func([]byte) []byte {
		return func(in []byte) []byte {
			sig, err := sk.sign(in)
			if err != nil {
				t.Fatal(err)
			}
			return sig
		}
	}
	claims := map[string]any{"sub": "mallory"}
	hdr := func(alg, kid, typ string) map[string]any {
		return map[string]any{"alg": alg, "kid": kid, "typ": typ}
	}
	good, _ := k.Sign(keypad.AlgES256, "at+jwt", claims)
	parts := strings.Split(good, ".")
	otherClaims := b64url.EncodeToString([]byte(`{"sub":"admin"}`))

	tests := []struct {
		name string
		tok  string
		want error
	}{
		{"ErrAlgNone", forge(t, hdr("none", es.id, "at+jwt"), claims, func([]byte) []byte { return nil }), ErrMalformed},
		{"ErrAlgHS256WithPublicKey", forge(t, hdr("HS256", es.id, "at+jwt"), claims, func(in []byte) []byte {
			m := hmac.New(sha256.New, []byte(es.jwk.X))
			m.Write(in)
			return m.Sum(nil)
		}), ErrMalformed},
		{"ErrAlgMismatch", forge(t, hdr(keypad.AlgRS256, es.id, "at+jwt"), claims, signWith(es)), ErrMalformed},
		{"ErrAlgMismatchRSA", forge(t, hdr(keypad.AlgES256, rs.id, "at+jwt"), claims, signWith(rs)), ErrMalformed},
		{"ErrUnknownKid", forge(t, hdr(keypad.AlgES256, "nope", "at+jwt"), claims, signWith(es)), ErrUnknownKey},
		{"ErrNoKid", forge(t, map[string]any{"alg": "ES256", "typ": "at+jwt"}, claims, signWith(es)), ErrMalformed},
		{"ErrCrit", forge(t, map[string]any{"alg": "ES256", "kid": es.id, "typ": "at+jwt", "crit": []string{"exp"}}, claims, signWith(es)), ErrMalformed},
		{"ErrTypMismatch", forge(t, hdr(keypad.AlgES256, es.id, "JWT"), claims, signWith(es)), ErrMalformed},
		{"ErrTypMissing", forge(t, map[string]any{"alg": "ES256", "kid": es.id}, claims, signWith(es)), ErrMalformed},
		{"ErrKidNotString", forge(t, map[string]any{"alg": "ES256", "kid": 5, "typ": "at+jwt"}, claims, signWith(es)), ErrMalformed},
		{"ErrDuplicateHeaderMember", dupHeader(t, es), ErrMalformed},
		{"ErrTamperedClaims", parts[0] + "." + otherClaims + "." + parts[2], ErrSignature},
		{"ErrTamperedSignature", parts[0] + "." + parts[1] + "." + b64url.EncodeToString(make([]byte, 64)), ErrSignature},
		{"ErrShortSignature", parts[0] + "." + parts[1] + "." + b64url.EncodeToString(make([]byte, 63)), ErrSignature},
		{"ErrTwoParts", parts[0] + "." + parts[1], ErrMalformed},
		{"ErrFourParts", good + ".x", ErrMalformed},
		{"ErrPadded", parts[0] + "=." + parts[1] + "." + parts[2], ErrMalformed},
		{"ErrHeaderNotJSON", b64url.EncodeToString([]byte("[1]")) + "." + parts[1] + "." + parts[2], ErrMalformed},
		{"ErrTrailingHeaderData", b64url.EncodeToString([]byte(`{"alg":"ES256","kid":"`+es.id+`","typ":"at+jwt"}{}`)) + "." + parts[1] + "." + parts[2], ErrMalformed},
		{"ErrHuge", strings.Repeat("a", maxJWTLen+1), ErrMalformed},
		{"ErrEmpty", "", ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got map[string]any
			err := k.Verify(ctx, tt.tok, "at+jwt", &got)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify err = %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("OKTypWithApplicationPrefix", func(t *testing.T) {
		tok := forge(t, hdr(keypad.AlgES256, es.id, "application/AT+JWT"), claims, signWith(es))
		var got map[string]any
		if err := k.Verify(ctx, tok, "at+jwt", &got); err != nil {
			t.Fatalf("Verify with typ application/AT+JWT: %v", err)
		}
	})
}

// dupHeader signs a token whose header names kid twice: the first kid is
// the real one, the second another; parsers disagreeing on which wins is
// how confusion attacks start.
func dupHeader(t *testing.T, es *signingKey) string {
	h := `{"alg":"ES256","kid":"` + es.id + `","typ":"at+jwt","kid":"other"}`
	input := b64url.EncodeToString([]byte(h)) + "." + b64url.EncodeToString([]byte(`{}`))
	sig, err := es.sign([]byte(input))
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + b64url.EncodeToString(sig)
}

func FuzzVerify(f *testing.F) {
	k := mustKeyring(f, mustOpenStore(f), newClock(), time.Hour)
	good, _ := k.Sign(keypad.AlgES256, "at+jwt", map[string]any{"sub": "x"})
	f.Add(good)
	f.Add("a.b.c")
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Fuzz(func(t *testing.T, tok string) {
		var got map[string]any
		err := k.Verify(context.Background(), tok, "at+jwt", &got)
		if err == nil && tok != good {
			// Only a token keypad signed may verify; the fuzzer cannot
			// produce a new valid ES256 signature.
			h, _, _ := strings.Cut(tok, ".")
			gh, _, _ := strings.Cut(good, ".")
			if h != gh {
				t.Fatalf("Verify accepted %q", tok)
			}
		}
	})
}
