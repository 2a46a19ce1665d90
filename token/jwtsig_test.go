package token

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"math/big"
	"testing"

	"github.com/keypadauth/keypad"
)

// TestRawECDSA converts library signatures on P-256 and P-384 (r and s
// of every length, leading zeros included over many runs) and checks the
// raw form verifies; malformed DER is refused.
func TestRawECDSA(t *testing.T) {
	for _, curve := range []elliptic.Curve{elliptic.P256(), elliptic.P384()} {
		key, err := ecdsa.GenerateKey(curve, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		size := (curve.Params().BitSize + 7) / 8
		sum := sha256.Sum256([]byte("payload"))
		for range 300 {
			der, err := ecdsa.SignASN1(rand.Reader, key, sum[:])
			if err != nil {
				t.Fatal(err)
			}
			raw, err := rawECDSA(der, size)
			if err != nil {
				t.Fatalf("%s: %v (DER %x)", curve.Params().Name, err, der)
			}
			r, s := new(big.Int).SetBytes(raw[:size]), new(big.Int).SetBytes(raw[size:])
			if len(raw) != 2*size || !ecdsa.Verify(&key.PublicKey, sum[:], r, s) {
				t.Fatalf("%s: raw signature %x of DER %x does not verify", curve.Params().Name, raw, der)
			}
		}
	}
	for _, der := range [][]byte{nil, {0x30}, {0x31, 0}, {0x30, 3, 2, 1, 1}, {0x30, 6, 2, 1, 1, 2, 1, 1, 0}, {0x30, 4, 2, 1, 1, 2}} {
		if _, err := rawECDSA(der, 32); err == nil {
			t.Errorf("rawECDSA(%x) accepted malformed DER", der)
		}
	}
}

// TestSignDeterministic: ES256 signatures are RFC 6979's (the same
// message, the same signature), and they verify.
func TestSignDeterministic(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sk := &signingKey{alg: keypad.AlgES256, id: "k", priv: key, pub: &key.PublicKey}
	input := []byte("header.claims")
	a, err := sk.sign(input)
	if err != nil {
		t.Fatal(err)
	}
	b, err := sk.sign(input)
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) {
		t.Errorf("two signatures of one message differ: want RFC 6979's deterministic ECDSA")
	}
	sum := sha256.Sum256(input)
	if !sk.verify(sum[:], a) {
		t.Errorf("the signature does not verify")
	}
	c, err := sk.sign([]byte("header.other"))
	if err != nil || string(c) == string(a) {
		t.Errorf("another message got the same signature (%v)", err)
	}
}

// BenchmarkSign measures the signature of one access token, as keypad
// signs it (ES256: deterministic ECDSA on P-256; RS256: PKCS #1 v1.5
// with a 2048-bit key), apart from the claims and the HTTP around it:
// the part of a JWT token's cost that depends on the CPU's big-number
// arithmetic (docs/performance.md).
func BenchmarkSign(b *testing.B) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	input := []byte("eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0")
	for _, sk := range []*signingKey{
		{alg: keypad.AlgES256, id: "ec", priv: ec, pub: &ec.PublicKey},
		{alg: keypad.AlgRS256, id: "rsa", priv: rk, pub: &rk.PublicKey},
	} {
		b.Run(sk.alg, func(b *testing.B) {
			sum := sha256.Sum256(input)
			if sig, err := sk.sign(input); err != nil || !sk.verify(sum[:], sig) {
				b.Fatalf("the signature does not verify (%v)", err)
			}
			for b.Loop() {
				if _, err := sk.sign(input); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
