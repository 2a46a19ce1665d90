package oauth

import (
	"encoding/base64"
	"testing"
)

// FuzzParseSAMLAssertion: whatever a client sends as assertion, the parser
// answers without panicking, and what it accepts is one signed
// saml:Assertion with an Issuer.
func FuzzParseSAMLAssertion(f *testing.F) {
	for _, s := range []string{
		`<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="a"><saml:Issuer>x</saml:Issuer><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/></saml:Assertion>`,
		`<!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>`,
		`<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"><saml:Advice><saml:Assertion/></saml:Advice></saml:Assertion>`,
	} {
		f.Add(base64.RawURLEncoding.EncodeToString([]byte(s)))
	}
	f.Fuzz(func(t *testing.T, param string) {
		env, fail := parseSAMLAssertion(param)
		if (env == nil) == (fail == nil) {
			t.Fatalf("got %v and %v: want exactly one", env, fail)
		}
		if env != nil && (env.issuer == "" || env.root.Tag != "Assertion" || env.root.NamespaceURI() != nsSAML) {
			t.Fatalf("accepted %q", param)
		}
	})
}
