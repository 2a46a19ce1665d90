package keypad_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
)

// certs are DER certificates for an RSA 2048, an RSA 1024 and a P-256
// key.
var certs = sync.OnceValue(func() map[string][]byte {
	out := map[string][]byte{}
	for name, bits := range map[string]int{"rsa2048": 2048, "rsa1024": 1024} {
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			panic(err)
		}
		out[name] = selfSigned(&k.PublicKey, k)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	out["p256"] = selfSigned(&ec.PublicKey, ec)
	return out
})

func selfSigned(pub, priv any) []byte {
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "idp"},
		NotBefore: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	if err != nil {
		panic(err)
	}
	return der
}

func TestIdPValidate(t *testing.T) {
	good := func() *keypad.IdP {
		return &keypad.IdP{ID: "idp_acme", Name: "Acme SSO", EntityID: "https://sso.acme.example",
			Certificates: [][]byte{certs()["rsa2048"], certs()["p256"]}}
	}
	if err := good().Validate(); err != nil {
		t.Fatalf("a good IdP: %v", err)
	}
	for _, m := range []string{"", "auto", "username", "email", "external_id", "attribute:uid"} {
		p := good()
		p.NameIDMap = m
		if err := p.Validate(); err != nil {
			t.Errorf("map %q: %v", m, err)
		}
	}
	for _, tc := range []struct {
		name, field, says string
		edit              func(*keypad.IdP)
	}{
		{"ErrID", "id", "use idp_", func(p *keypad.IdP) { p.ID = "acme" }},
		{"ErrIDChars", "id", "use idp_", func(p *keypad.IdP) { p.ID = "idp_a-b" }},
		{"ErrNoName", "name", "is required", func(p *keypad.IdP) { p.Name = " " }},
		{"ErrNameCRLF", "name", "control character", func(p *keypad.IdP) { p.Name = "a\r\nb" }},
		{"ErrNoEntityID", "entity_id", "is required", func(p *keypad.IdP) { p.EntityID = "" }},
		{"ErrNoCerts", "certificates", "has 0", func(p *keypad.IdP) { p.Certificates = nil }},
		{"ErrNotCert", "certificates", "is not an X.509 certificate", func(p *keypad.IdP) { p.Certificates = [][]byte{{1, 2, 3}} }},
		{"ErrWeakRSA", "certificates", "RSA key of 1024 bits", func(p *keypad.IdP) { p.Certificates = [][]byte{certs()["rsa1024"]} }},
		{"ErrMap", "name_id_map", `"phone"`, func(p *keypad.IdP) { p.NameIDMap = "phone" }},
		{"ErrMapEmptyAttribute", "name_id_map", "attribute:NAME", func(p *keypad.IdP) { p.NameIDMap = "attribute:" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := good()
			tc.edit(p)
			err := p.Validate()
			ve, ok := err.(*keypad.ValidationError)
			if !ok || ve.Field != tc.field || !strings.Contains(ve.Message, tc.says) {
				t.Errorf("got %v, want a %s error saying %q", err, tc.field, tc.says)
			}
		})
	}
}

func TestParseIdPMetadata(t *testing.T) {
	c1 := base64.StdEncoding.EncodeToString(certs()["rsa2048"])
	c2 := base64.StdEncoding.EncodeToString(certs()["p256"])
	doc := `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://sso.acme.example/saml">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>
` + c1[:40] + "\n" + c1[40:] + `
    </ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>` + c2 + `</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:KeyDescriptor><ds:KeyInfo><ds:X509Data><ds:X509Certificate>` + c2 + `</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>` + c1 + `</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`
	md, err := keypad.ParseIdPMetadata([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if md.EntityID != "https://sso.acme.example/saml" || len(md.Certificates) != 2 ||
		string(md.Certificates[0]) != string(certs()["rsa2048"]) || string(md.Certificates[1]) != string(certs()["p256"]) {
		t.Errorf("got entity %q and %d certificates, want the signing and the use-less one, once each", md.EntityID, len(md.Certificates))
	}
	for _, tc := range []struct{ name, doc, says string }{
		{"ErrDTD", `<!DOCTYPE md [<!ENTITY x "y">]>` + doc[strings.Index(doc, "<md:"):], "DTD"},
		{"ErrNotXML", `<md:EntityDescriptor`, "not well-formed"},
		{"ErrEntities", `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"/>`, "one md:EntityDescriptor"},
		{"ErrNoEntityID", `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"><md:IDPSSODescriptor/></md:EntityDescriptor>`, "no entityID"},
		{"ErrOnlyEncryption", strings.ReplaceAll(strings.ReplaceAll(doc, `use="signing"`, `use="encryption"`), "<md:KeyDescriptor><ds:KeyInfo>", `<md:KeyDescriptor use="encryption"><ds:KeyInfo>`), "no signing certificate"},
		{"ErrTooLarge", strings.Repeat(" ", keypad.MaxIdPMetadataSize+1), "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := keypad.ParseIdPMetadata([]byte(tc.doc)); err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("got %v, want an error saying %q", err, tc.says)
			}
		})
	}
}
