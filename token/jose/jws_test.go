package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	gojose "github.com/go-jose/go-jose/v4"
)

func TestVerifySignature(t *testing.T) {
	sum := sha256.Sum256([]byte("header.claims"))
	other := sha256.Sum256([]byte("header.other"))
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	r, s, err := ecdsa.Sign(rand.Reader, ec, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	ecSig := append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaSig, err := rsa.SignPKCS1v15(rand.Reader, rk, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		key  crypto.PublicKey
		sum  []byte
		sig  []byte
		want bool
	}{
		{"OKES256", &ec.PublicKey, sum[:], ecSig, true},
		{"OKRS256", &rk.PublicKey, sum[:], rsaSig, true},
		{"ErrES256OtherInput", &ec.PublicKey, other[:], ecSig, false},
		{"ErrRS256OtherInput", &rk.PublicKey, other[:], rsaSig, false},
		{"ErrES256Short", &ec.PublicKey, sum[:], ecSig[:63], false},
		{"ErrES256WithRSASig", &ec.PublicKey, sum[:], rsaSig, false},
		{"ErrRSAWithECSig", &rk.PublicKey, sum[:], ecSig, false},
		{"ErrUnknownKey", "not a key", sum[:], ecSig, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := VerifySignature(tt.key, tt.sum, tt.sig); got != tt.want {
				t.Errorf("VerifySignature = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestObject(t *testing.T) {
	m, err := Object([]byte(`{"alg":"ES256","kid":"k1","n":1}`))
	if err != nil {
		t.Fatalf("Object: %v", err)
	}
	if got := string(m["alg"]); got != `"ES256"` || len(m) != 3 {
		t.Errorf("got alg %s and %d members, want \"ES256\" and 3", got, len(m))
	}
	for _, tt := range []struct{ name, in, want string }{
		{"ErrArray", `["alg"]`, "want an object"},
		{"ErrTwice", `{"alg":"ES256","alg":"none"}`, "member 'alg' appears twice"},
		{"ErrTrailing", `{"alg":"ES256"}{}`, "data after the object"},
		{"ErrUnclosed", `{"alg":"ES256"`, "bad JSON"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Object([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Object(%s) = %v, want an error containing %q", tt.in, err, tt.want)
			}
		})
	}
}

func FuzzObject(f *testing.F) {
	f.Add([]byte(`{"alg":"ES256","kid":"k"}`))
	f.Add([]byte(`{"a":1,"a":2}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Object(b)
		if err == nil && m == nil {
			t.Fatal("no error and no members")
		}
	})
}

// rfc8037JWS is the JWS of RFC 8037 Appendix A.4: "Example of Ed25519
// signing" signed with the key of Appendix A.1.
const rfc8037JWS = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"

// splitJWS returns a compact JWS's signing input and decoded signature.
func splitJWS(t *testing.T, compact string) (input, sig []byte) {
	t.Helper()
	i := strings.LastIndexByte(compact, '.')
	sig, err := base64.RawURLEncoding.DecodeString(compact[i+1:])
	if err != nil {
		t.Fatal(err)
	}
	return []byte(compact[:i]), sig
}

func TestVerifyRFC8037(t *testing.T) {
	keys, err := ParsePublicKeySet([]byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"` + rfc8037X + `"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	input, sig := splitJWS(t, rfc8037JWS)
	if !Verify(EdDSA, keys[0].Key, input, sig) {
		t.Error("the RFC 8037 A.4 signature does not verify")
	}
	tampered := append([]byte(nil), input...)
	tampered[len(tampered)-1] ^= 1
	if Verify(EdDSA, keys[0].Key, tampered, sig) {
		t.Error("a changed signing input verifies")
	}
	if Verify(EdDSA, keys[0].Key, input, sig[:63]) {
		t.Error("a short signature verifies")
	}
}

// signGoJose signs payload with go-jose, an independent implementation.
func signGoJose(t *testing.T, alg gojose.SignatureAlgorithm, key any, payload string) string {
	t.Helper()
	signer, err := gojose.NewSigner(gojose.SigningKey{Algorithm: alg, Key: key}, nil)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := signer.Sign([]byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	compact, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return compact
}

// TestVerifyGoJose checks each algorithm against tokens go-jose signed,
// and that no key verifies under an algorithm of another type or one
// its JWK rules out: the alg-confusion cases of issue 11.
func TestVerifyGoJose(t *testing.T) {
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edPub, edPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jwk := func(pub any, alg string) PublicKey {
		t.Helper()
		m, err := PublicMembers(pub)
		if err != nil {
			t.Fatal(err)
		}
		obj := map[string]string{"alg": alg}
		for name, v := range map[string]string{"kty": m.Kty, "crv": m.Crv, "x": m.X, "y": m.Y, "n": m.N, "e": m.E} {
			if v != "" {
				obj[name] = v
			}
		}
		if alg == "" {
			delete(obj, "alg")
		}
		doc, err := json.Marshal(map[string]any{"keys": []any{obj}})
		if err != nil {
			t.Fatal(err)
		}
		keys, err := ParsePublicKeySet(doc)
		if err != nil {
			t.Fatal(err)
		}
		return keys[0]
	}
	ps256 := signGoJose(t, gojose.PS256, rk, `{"sub":"a"}`)
	rs256 := signGoJose(t, gojose.RS256, rk, `{"sub":"a"}`)
	es256 := signGoJose(t, gojose.ES256, ec, `{"sub":"a"}`)
	eddsa := signGoJose(t, gojose.EdDSA, edPriv, `{"sub":"a"}`)
	rsaAny, rsaRS, rsaPS := jwk(&rk.PublicKey, ""), jwk(&rk.PublicKey, RS256), jwk(&rk.PublicKey, PS256)
	ecKey, edKey := jwk(&ec.PublicKey, ""), jwk(edPub, "")
	for _, tt := range []struct {
		name, alg, jws string
		key            PublicKey
		want           bool
	}{
		{"OKPS256", PS256, ps256, rsaAny, true},
		{"OKPS256DeclaredPS256", PS256, ps256, rsaPS, true},
		{"OKRS256", RS256, rs256, rsaAny, true},
		{"OKES256", ES256, es256, ecKey, true},
		{"OKEdDSA", EdDSA, eddsa, edKey, true},
		{"ErrPS256KeyDeclaredRS256", PS256, ps256, rsaRS, false},
		{"ErrRS256KeyDeclaredPS256", RS256, rs256, rsaPS, false},
		{"ErrPS256SignatureAsRS256", RS256, ps256, rsaAny, false},
		{"ErrRS256SignatureAsPS256", PS256, rs256, rsaAny, false},
		{"ErrEd25519KeyAsES256", ES256, eddsa, edKey, false},
		{"ErrEd25519KeyAsES256WithES256Sig", ES256, es256, edKey, false},
		{"ErrECKeyAsEdDSA", EdDSA, es256, ecKey, false},
		{"ErrRSAKeyAsEdDSA", EdDSA, eddsa, rsaAny, false},
		{"ErrNone", "none", rs256, rsaAny, false},
		{"ErrHS256", "HS256", rs256, rsaAny, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			input, sig := splitJWS(t, tt.jws)
			if got := tt.key.Verifies(tt.alg) && Verify(tt.alg, tt.key.Key, input, sig); got != tt.want {
				t.Errorf("Verifies && Verify = %v, want %v", got, tt.want)
			}
		})
	}
	// Verify alone, without the JWK's rule, still ties each algorithm
	// to its key type.
	for _, tt := range []struct {
		name, alg, jws string
		key            any
	}{
		{"EdDSAWithECKey", EdDSA, eddsa, &ec.PublicKey},
		{"ES256WithEd25519Key", ES256, es256, edPub},
		{"RS256WithECKey", RS256, es256, &ec.PublicKey},
		{"ES256WithRSAKey", ES256, rs256, &rk.PublicKey},
		{"PS256WithECKey", PS256, es256, &ec.PublicKey},
		{"HS256WithRSAKey", "HS256", rs256, &rk.PublicKey},
		{"noneWithRSAKey", "none", rs256, &rk.PublicKey},
		{"EdDSAShortKey", EdDSA, eddsa, ed25519.PublicKey(edPub[:31])},
	} {
		t.Run("Raw"+tt.name, func(t *testing.T) {
			input, sig := splitJWS(t, tt.jws)
			if Verify(tt.alg, tt.key, input, sig) {
				t.Error("verified")
			}
		})
	}
}

// BenchmarkVerify measures one signature check per algorithm, what an
// assertion or client assertion costs the server beyond parsing.
func BenchmarkVerify(b *testing.B) {
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	input := []byte("eyJhbGciOiJQUzI1NiJ9.eyJzdWIiOiJhIn0")
	sum := sha256.Sum256(input)
	rs, _ := rsa.SignPKCS1v15(rand.Reader, rk, crypto.SHA256, sum[:])
	ps, _ := rsa.SignPSS(rand.Reader, rk, crypto.SHA256, sum[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	r, s, _ := ecdsa.Sign(rand.Reader, ec, sum[:])
	es := append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	ed := ed25519.Sign(edPriv, input)
	for _, bb := range []struct {
		alg string
		key crypto.PublicKey
		sig []byte
	}{{RS256, &rk.PublicKey, rs}, {PS256, &rk.PublicKey, ps}, {ES256, &ec.PublicKey, es}, {EdDSA, edPub, ed}} {
		b.Run(bb.alg, func(b *testing.B) {
			for b.Loop() {
				if !Verify(bb.alg, bb.key, input, bb.sig) {
					b.Fatal("does not verify")
				}
			}
		})
	}
}
