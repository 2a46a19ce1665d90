package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"

	"github.com/keypadauth/keypad"
)

// testIdP is crewjam/saml's identity provider with a fresh key: an
// implementation of SAML independent of keypad, which publishes metadata
// and signs assertions.
type testIdP struct {
	idp *saml.IdentityProvider
}

func newTestIdP(t *testing.T, entityID string) *testIdP {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Acme SSO"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	meta, _ := url.Parse(entityID)
	sso, _ := url.Parse(entityID + "/sso")
	return &testIdP{idp: &saml.IdentityProvider{Key: k, Certificate: cert, MetadataURL: *meta, SSOURL: *sso}}
}

// metadataFile writes the IdP's SAML metadata to a file.
func (p *testIdP) metadataFile(t *testing.T) string {
	t.Helper()
	b, err := xml.MarshalIndent(p.idp.Metadata(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return tempFile(t, "idp-metadata.xml", b)
}

// assertion is a signed assertion about nameID for the keypad at base,
// base64url as the grant takes it.
func (p *testIdP) assertion(t *testing.T, base, nameID string) string {
	t.Helper()
	req := &saml.IdpAuthnRequest{
		IDP: p.idp, Now: time.Now(),
		HTTPRequest:             httptest.NewRequest("POST", "https://sso.example/sso", nil),
		ServiceProviderMetadata: &saml.EntityDescriptor{EntityID: base},
		SPSSODescriptor:         &saml.SPSSODescriptor{},
		ACSEndpoint:             &saml.IndexedEndpoint{Location: base + "/oauth2/token"},
	}
	s := &saml.Session{ID: "s", CreateTime: time.Now(), Index: "1", NameID: nameID,
		NameIDFormat: "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"}
	if err := (saml.DefaultAssertionMaker{}).MakeAssertion(req, s); err != nil {
		t.Fatal(err)
	}
	if err := req.MakeAssertionEl(); err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	doc.SetRoot(req.AssertionEl)
	b, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// TestSAML2BearerEndToEnd: an administrator trusts an IdP from its
// metadata file and registers a client for it with the CLI; the client
// trades the IdP's signed assertion for a token over HTTP, once. After
// `idp update --metadata` with the IdP's new key, assertions signed with
// the old key are refused.
func TestSAML2BearerEndToEnd(t *testing.T) {
	e := sqliteBackend.env(t)
	s := startServe(t, e, "--auto-migrate")
	base := s.srv.URL()
	acme := newTestIdP(t, "https://sso.acme.example/saml")

	p := mustJSON[idpJSON](t, e, "idp", "add", "--name", "Acme SSO", "--metadata", acme.metadataFile(t), "--map", "email", "--json")
	if !keypad.ValidIdPID(p.ID) || p.EntityID != "https://sso.acme.example/saml" || len(p.Certificates) != 1 || p.NameIDMap != "email" {
		t.Fatalf("idp add = %+v, want an idp_ ID, the metadata's entity ID, one certificate, map email", p)
	}
	if out := mustRun(t, e, "", "idp", "list"); !strings.Contains(out, p.ID) || !strings.Contains(out, "Acme SSO") {
		t.Errorf("idp list = %q, want the IdP", out)
	}
	u := mustJSON[userJSON](t, e, "user", "create", "--name", "Alice", "--email", "alice@example.com", "--json")
	c := mustJSON[clientJSON](t, e, "client", "create", "--name", "Acme portal", "--grant-types", "saml2-bearer",
		"--saml-idps", p.ID, "--scopes", "usage:read", "--json")
	if len(c.SAMLIdPs) != 1 || c.SAMLIdPs[0] != p.ID {
		t.Fatalf("client create --saml-idps = %+v", c)
	}
	if _, err := run(t, e, "", "client", "create", "--name", "x", "--grant-types", "saml2-bearer", "--saml-idps", "idp_nobody"); err == nil ||
		!strings.Contains(err.Error(), `no identity provider "idp_nobody"`) {
		t.Errorf("client create naming an unknown IdP: %v", err)
	}

	exchange := func(assertion string) (int, map[string]any) {
		t.Helper()
		code, body := postForm(t, base+"/oauth2/token", c.ClientID, c.ClientSecret, url.Values{
			"grant_type": {keypad.GrantSAML2Bearer}, "assertion": {assertion}, "scope": {"usage:read"},
		})
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatalf("token answer %d %s: %v", code, body, err)
		}
		return code, m
	}
	a := acme.assertion(t, base, "alice@example.com")
	code, tok := exchange(a)
	if code != http.StatusOK {
		t.Fatalf("token: %d %v", code, tok)
	}
	in := introspect(t, base, c.ClientID, c.ClientSecret, tok["access_token"].(string))
	if !in.Active || in.Sub != u.ID || in.ClientID != c.ClientID || in.Scope != "usage:read" {
		t.Errorf("introspection = %+v, want active for %s, client %s, scope usage:read", in, u.ID, c.ClientID)
	}
	if code, body := exchange(a); code != http.StatusBadRequest || body["error"] != "invalid_grant" ||
		!strings.Contains(body["error_description"].(string), "already used") {
		t.Errorf("replay: %d %v, want invalid_grant, already used", code, body)
	}

	// Rollover: the IdP's new metadata lists only its new key.
	rolled := newTestIdP(t, "https://sso.acme.example/saml")
	mustRun(t, e, "", "idp", "update", p.ID, "--metadata", rolled.metadataFile(t))
	if code, body := exchange(acme.assertion(t, base, "alice@example.com")); code != http.StatusBadRequest ||
		!strings.Contains(body["error_description"].(string), "does not verify") {
		t.Errorf("old key after idp update: %d %v, want invalid_grant, does not verify", code, body)
	}
	if code, body := exchange(rolled.assertion(t, base, "alice@example.com")); code != http.StatusOK {
		t.Errorf("new key after idp update: %d %v", code, body)
	}

	// The grant is advertised.
	code, meta := httpGet(t, base+"/.well-known/oauth-authorization-server")
	if code != http.StatusOK || !strings.Contains(meta, keypad.GrantSAML2Bearer) {
		t.Errorf("metadata: %d, want %s in grant_types_supported", code, keypad.GrantSAML2Bearer)
	}
	// Neither the assertion nor the token reaches the log.
	for _, secret := range []string{a[:40], tok["access_token"].(string)} {
		if strings.Contains(s.logs.String(), secret) {
			t.Errorf("the log contains %.12s...", secret)
		}
	}
	mustRun(t, e, "", "idp", "delete", p.ID)
	if _, err := run(t, e, "", "idp", "get", p.ID); err == nil || !strings.Contains(err.Error(), "no identity provider") {
		t.Errorf("idp get after delete: %v", err)
	}
}

// TestIdPAddRefusesBadMetadata: metadata that is not an IdP's, or carries
// a DTD, is refused with a message naming the flag.
func TestIdPAddRefusesBadMetadata(t *testing.T) {
	e := migrated(t)
	for _, tc := range []struct{ name, doc, says string }{
		{"DTD", `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x">&e;</md:EntityDescriptor>`, "DTD"},
		{"NotIdP", `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sp.example"><md:SPSSODescriptor/></md:EntityDescriptor>`, "no IDPSSODescriptor"},
		{"NoCert", `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example"><md:IDPSSODescriptor/></md:EntityDescriptor>`, "no signing certificate"},
		{"NotMetadata", `<foo/>`, "must be one md:EntityDescriptor"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := run(t, e, "", "idp", "add", "--name", "x", "--metadata", tempFile(t, "m.xml", []byte(tc.doc)))
			if err == nil || !strings.Contains(err.Error(), "--metadata") || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("got %v, want an error about --metadata saying %q", err, tc.says)
			}
		})
	}
	_, err := run(t, e, "", "idp", "add", "--name", "x", "--metadata", newTestIdP(t, "https://idp.example").metadataFile(t), "--map", "phone")
	if err == nil || !strings.Contains(err.Error(), "--map") {
		t.Errorf("--map phone: %v, want an error about --map", err)
	}
}
