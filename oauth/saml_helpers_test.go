package oauth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"math/big"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/keypadauth/keypad"
)

// samlSigner is an IdP's signing key and its self-signed certificate,
// valid around the test clock (2030).
type samlSigner struct {
	key  *rsa.PrivateKey
	cert *x509.Certificate
}

// sharedSAMLSigners are two IdP keys (RSA is slow to make; every test
// shares them): the registered one and "another key".
var sharedSAMLSigners = sync.OnceValue(func() [2]*samlSigner {
	var out [2]*samlSigner
	for i := range out {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(int64(i + 1)),
			Subject:      pkix.Name{CommonName: fmt.Sprintf("Acme SSO signing %d", i)},
			NotBefore:    time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
			NotAfter:     time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC),
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
		if err != nil {
			panic(err)
		}
		c, _ := x509.ParseCertificate(der)
		out[i] = &samlSigner{key: k, cert: c}
	}
	return out
})

const (
	samlEntityID = "https://sso.acme.example/saml/metadata"
	samlIdPID    = "idp_acme"
	samlClientID = "acme-portal"
	samlToken    = testIssuer + "/oauth2/token"
)

// samlEnv is a running server with the SAML grant on, the Acme IdP
// registered with signer 0, a client that trusts it and two people.
type samlEnv struct {
	*env
	secret string
	idp    *keypad.IdP
}

func newSAMLEnv(t *testing.T, mapping string) *samlEnv {
	t.Helper()
	e := newEnv(t, func(c *Config) {
		c.SAML2Bearer = &SAML2BearerConfig{}
		c.Refresh = true
	})
	return setupSAML(t, e, mapping)
}

// setupSAML registers the IdP, the client and the people in e's store
// and starts e.
func setupSAML(t *testing.T, e *env, mapping string) *samlEnv {
	t.Helper()
	ctx := context.Background()
	idp := &keypad.IdP{
		ID: samlIdPID, Name: "Acme SSO", EntityID: samlEntityID,
		Certificates: [][]byte{sharedSAMLSigners()[0].cert.Raw}, NameIDMap: mapping,
		CreatedAt: e.clk.Now(), UpdatedAt: e.clk.Now(),
	}
	if err := idp.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := e.st.CreateIdP(ctx, idp); err != nil {
		t.Fatal(err)
	}
	c := &keypad.Client{
		ID: samlClientID, Name: "Acme portal",
		GrantTypes: []string{keypad.GrantSAML2Bearer, keypad.GrantRefreshToken},
		Scopes:     []string{"usage:read", "offline_access"}, TokenFormat: keypad.FormatJWT,
		Options: keypad.ClientOptions{SAMLIdPs: []string{samlIdPID}},
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	secret := e.mustClient(c)
	for _, s := range []*keypad.Subject{
		{ID: "sub_alice", Username: "alice", Email: "alice@example.com", ExternalID: "1001", Name: "Alice"},
		{ID: "sub_bob", Username: "bob", Email: "bob@example.com", ExternalID: "alice", Name: "Bob"},
	} {
		s.SetIdentifiers([]keypad.Identifier{{Type: keypad.IdentifierEmail, Value: s.Email}})
		s.CreatedAt, s.UpdatedAt = e.clk.Now(), e.clk.Now()
		if err := e.st.CreateSubject(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	if e.ts == nil {
		e.start()
	}
	return &samlEnv{env: e, secret: secret, idp: idp}
}

// exchange sends assertion (already base64url) to the token endpoint as
// the client.
func (e *samlEnv) exchange(assertion, scope string) response {
	e.t.Helper()
	form := url.Values{"grant_type": {keypad.GrantSAML2Bearer}, "assertion": {assertion}}
	if scope != "" {
		form.Set("scope", scope)
	}
	return e.post(PathToken, form, basic(samlClientID, e.secret))
}

// crewjamIdP is github.com/crewjam/saml's identity provider with signer s
// and the test clock: an implementation independent of keypad.
func crewjamIdP(s *samlSigner, now time.Time) *saml.IdentityProvider {
	meta, _ := url.Parse(samlEntityID)
	sso, _ := url.Parse("https://sso.acme.example/saml/sso")
	return &saml.IdentityProvider{
		Key: s.key, Certificate: s.cert, MetadataURL: *meta, SSOURL: *sso,
		Clock: dsig.NewFakeClockAt(now),
	}
}

// crewjamAssertion has crewjam's IdP make and sign an assertion about
// nameID for keypad (audience: keypad's issuer; recipient: keypad's token
// endpoint), and returns its XML.
func crewjamAssertion(t testing.TB, s *samlSigner, now time.Time, nameID string, edit func(*saml.Assertion)) *etree.Element {
	t.Helper()
	idp := crewjamIdP(s, now)
	req := &saml.IdpAuthnRequest{
		IDP: idp, Now: now,
		HTTPRequest:             httptest.NewRequest("POST", "https://sso.acme.example/saml/sso", nil),
		ServiceProviderMetadata: &saml.EntityDescriptor{EntityID: testIssuer},
		SPSSODescriptor:         &saml.SPSSODescriptor{},
		ACSEndpoint:             &saml.IndexedEndpoint{Location: samlToken},
	}
	session := &saml.Session{ID: "s1", CreateTime: now, Index: "1", NameID: nameID,
		NameIDFormat: "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified", UserName: "alice", UserEmail: "alice@example.com"}
	if err := (saml.DefaultAssertionMaker{}).MakeAssertion(req, session); err != nil {
		t.Fatalf("crewjam MakeAssertion: %v", err)
	}
	if edit != nil {
		edit(req.Assertion)
	}
	if err := req.MakeAssertionEl(); err != nil {
		t.Fatalf("crewjam MakeAssertionEl: %v", err)
	}
	return req.AssertionEl
}

// encodeXML is el as the assertion parameter: base64url of its XML.
func encodeXML(t testing.TB, el *etree.Element) string {
	t.Helper()
	doc := etree.NewDocument()
	doc.SetRoot(el.Copy())
	b, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// encodeRaw is raw XML as the assertion parameter.
func encodeRaw(xml string) string { return base64.RawURLEncoding.EncodeToString([]byte(xml)) }

// xmlString is el's XML.
func xmlString(t testing.TB, el *etree.Element) string {
	t.Helper()
	doc := etree.NewDocument()
	doc.SetRoot(el.Copy())
	s, err := doc.WriteToString()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// wantSAMLRefusal checks an invalid_grant whose description contains
// says.
func wantSAMLRefusal(t *testing.T, r response, says string) {
	t.Helper()
	wantError(t, r, 400, "invalid_grant")
	if d, _ := r.body["error_description"].(string); !strings.Contains(d, says) {
		t.Errorf("error_description = %q, want it to say %q", d, says)
	}
}
