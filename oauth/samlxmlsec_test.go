package oauth

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"
	"text/template"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/internal/xmlsectest"
)

// xmlsecAssertion is the data of testdata/saml/good_assertion.xml.tmpl.
type xmlsecAssertion struct {
	ID, Issuer, NameID, Audience, Recipient string
	Now, NotBefore, Expires                 string
	SignatureMethod, DigestMethod           string
}

// TestSAML2BearerXMLSec: assertions written as XML templates and signed
// by xmlsec1, an XML-DSig implementation independent of keypad's, are
// accepted when right and refused, saying why, when not.
func TestSAML2BearerXMLSec(t *testing.T) {
	xmlsectest.Binary(t)
	tmpl := template.Must(template.ParseFiles("testdata/saml/good_assertion.xml.tmpl"))
	e := newSAMLEnv(t, keypad.NameIDMapEmail)
	signer := sharedSAMLSigners()[0]
	now := e.clk.Now()
	ts := func(d time.Duration) string { return now.Add(d).UTC().Format("2006-01-02T15:04:05Z") }
	n := 0
	good := func() xmlsecAssertion {
		n++
		return xmlsecAssertion{
			ID: fmt.Sprintf("_xmlsec%d", n), Issuer: samlEntityID, NameID: "alice@example.com",
			Audience: testIssuer, Recipient: samlToken,
			Now: ts(0), NotBefore: ts(-time.Minute), Expires: ts(5 * time.Minute),
			SignatureMethod: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
			DigestMethod:    "http://www.w3.org/2001/04/xmlenc#sha256",
		}
	}
	for _, tc := range []struct {
		name string
		edit func(*xmlsecAssertion)
		says string // "" for OK
	}{
		{"OK", func(*xmlsecAssertion) {}, ""},
		{"OKSHA512", func(a *xmlsecAssertion) {
			a.SignatureMethod = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
			a.DigestMethod = "http://www.w3.org/2001/04/xmlenc#sha512"
		}, ""},
		{"OKAudienceTokenEndpoint", func(a *xmlsecAssertion) { a.Audience = samlToken }, ""},
		{"ErrSHA1", func(a *xmlsecAssertion) {
			a.SignatureMethod = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
			a.DigestMethod = "http://www.w3.org/2000/09/xmldsig#sha1"
		}, "signed with SHA-1"},
		{"ErrSHA1Digest", func(a *xmlsecAssertion) { a.DigestMethod = "http://www.w3.org/2000/09/xmldsig#sha1" }, "signed with SHA-1"},
		{"ErrAudience", func(a *xmlsecAssertion) { a.Audience = "https://sp.other.example" }, "AudienceRestriction does not name this server"},
		{"ErrRecipient", func(a *xmlsecAssertion) { a.Recipient = testIssuer + "/acs" }, "Recipient must be this server's token endpoint"},
		{"ErrExpired", func(a *xmlsecAssertion) { a.Expires = ts(-2 * time.Minute) }, "expired at"},
		{"OKExpiredWithinSkew", func(a *xmlsecAssertion) { a.Expires = ts(-30 * time.Second) }, ""},
		{"ErrNotYetValid", func(a *xmlsecAssertion) { a.NotBefore = ts(2 * time.Minute) }, "not valid before"},
		{"ErrUnknownPerson", func(a *xmlsecAssertion) { a.NameID = "carol@example.com" }, "names no keypad person"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := good()
			tc.edit(&a)
			var buf bytes.Buffer
			if err := tmpl.Execute(&buf, a); err != nil {
				t.Fatal(err)
			}
			signed := xmlsectest.SignEnveloped(t, buf.Bytes(), "urn:oasis:names:tc:SAML:2.0:assertion:Assertion", signer.key, signer.cert)
			r := e.exchange(encodeRaw(string(signed)), "")
			if tc.says != "" {
				wantSAMLRefusal(t, r, tc.says)
				return
			}
			if r.status != http.StatusOK {
				t.Fatalf("got %d %s", r.status, r.raw)
			}
			if got := verifyWithJWKS(t, e.env, r.body["access_token"].(string))["sub"]; got != "sub_alice" {
				t.Errorf("sub = %v, want sub_alice", got)
			}
		})
	}
}
