package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"strings"
	"testing"
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
