package oauth

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/keypadauth/keypad"
)

// signEl signs el (an Assertion without a Signature) with s the way IdPs
// do: enveloped, exclusive canonicalisation, method as given.
func signEl(t testing.TB, el *etree.Element, s *samlSigner, method string) *etree.Element {
	t.Helper()
	ctx := dsig.NewDefaultSigningContext(dsig.TLSCertKeyStore(tls.Certificate{Certificate: [][]byte{s.cert.Raw}, PrivateKey: s.key, Leaf: s.cert}))
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if err := ctx.SetSignatureMethod(method); err != nil {
		t.Fatal(err)
	}
	signed, err := ctx.SignEnveloped(el)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return signed
}

// parseXML reads XML into its root element.
func parseXML(t testing.TB, raw string) *etree.Element {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromString(raw); err != nil {
		t.Fatal(err)
	}
	return doc.Root()
}

// unsigned is el without its Signature.
func unsigned(el *etree.Element) *etree.Element {
	el = el.Copy()
	for _, c := range el.ChildElements() {
		if c.Tag == "Signature" {
			el.RemoveChild(c)
		}
	}
	return el
}

// mustResign reads raw, drops its signature and signs it again with s
// (RSA-SHA256).
func mustResign(t testing.TB, raw string, s *samlSigner) *etree.Element {
	t.Helper()
	return signEl(t, unsigned(parseXML(t, raw)), s, dsig.RSASHA256SignatureMethod)
}

// findPath is the first element under el with that tag path (local
// names), or nil.
func findPath(el *etree.Element, path string) *etree.Element {
	return el.FindElement("./" + path)
}

// TestSAML2BearerHostile: every assertion an attacker can build from a
// genuine one, or from nothing, is refused with invalid_grant saying why.
func TestSAML2BearerHostile(t *testing.T) {
	e := newSAMLEnv(t, keypad.NameIDMapUsername)
	signers := sharedSAMLSigners()
	now := e.clk.Now()
	// genuine is a fresh signed assertion about alice.
	genuine := func(edit func(*saml.Assertion)) *etree.Element {
		return crewjamAssertion(t, signers[0], now, "alice", edit)
	}
	// evil is genuine's content rewritten to name bob, under a new ID,
	// and unsigned.
	evil := func(id string) *etree.Element {
		el := unsigned(genuine(nil))
		el.SelectAttr("ID").Value = id
		findPath(el, "Subject/NameID").SetText("bob")
		return el
	}
	for _, tc := range []struct {
		name      string
		assertion func(t *testing.T) string
		says      string
	}{
		{"ErrUnsigned", func(t *testing.T) string { return encodeXML(t, unsigned(genuine(nil))) }, "is not signed"},
		{"ErrOtherKey", func(t *testing.T) string {
			return encodeXML(t, signEl(t, unsigned(genuine(nil)), signers[1], dsig.RSASHA256SignatureMethod))
		}, "does not verify with any certificate registered"},
		{"ErrSHA1", func(t *testing.T) string {
			return encodeXML(t, signEl(t, unsigned(genuine(nil)), signers[0], dsig.RSASHA1SignatureMethod))
		}, "signed with SHA-1"},
		{"ErrTampered", func(t *testing.T) string {
			el := genuine(nil)
			findPath(el, "Subject/NameID").SetText("bob")
			return encodeXML(t, el)
		}, "does not verify"},
		{"ErrWrongAudience", func(t *testing.T) string {
			return encodeXML(t, genuine(func(a *saml.Assertion) {
				a.Conditions.AudienceRestrictions[0].Audience.Value = "https://other.example"
			}))
		}, "AudienceRestriction does not name this server"},
		{"ErrNoAudience", func(t *testing.T) string {
			return encodeXML(t, genuine(func(a *saml.Assertion) { a.Conditions.AudienceRestrictions = nil }))
		}, "has no AudienceRestriction"},
		{"ErrWrongRecipient", func(t *testing.T) string {
			return encodeXML(t, genuine(func(a *saml.Assertion) {
				a.Subject.SubjectConfirmations[0].SubjectConfirmationData.Recipient = "https://other.example/acs"
			}))
		}, "Recipient must be this server's token endpoint"},
		{"ErrNotBearer", func(t *testing.T) string {
			return encodeXML(t, genuine(func(a *saml.Assertion) {
				a.Subject.SubjectConfirmations[0].Method = "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key"
			}))
		}, "no SubjectConfirmation with Method urn:oasis:names:tc:SAML:2.0:cm:bearer"},
		{"ErrExpired", func(t *testing.T) string {
			return encodeXML(t, crewjamAssertion(t, signers[0], now.Add(-10*time.Minute), "alice", nil))
		}, "expired at"},
		{"ErrNotYetValid", func(t *testing.T) string {
			return encodeXML(t, crewjamAssertion(t, signers[0], now.Add(10*time.Minute), "alice", nil))
		}, "not valid before"},
		{"ErrTwoNameIDs", func(t *testing.T) string {
			el := unsigned(genuine(nil))
			sub := findPath(el, "Subject")
			second := findPath(el, "Subject/NameID").Copy()
			second.SetText("bob")
			sub.InsertChildAt(1, second)
			return encodeXML(t, signEl(t, el, signers[0], dsig.RSASHA256SignatureMethod))
		}, "exactly one NameID, found 2"},
		{"ErrDTD", func(t *testing.T) string {
			return encodeRaw(`<?xml version="1.0"?><!DOCTYPE a [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>` + xmlString(t, genuine(nil)))
		}, "carries a DTD"},
		{"ErrEntityBomb", func(t *testing.T) string {
			return encodeRaw(`<!DOCTYPE a [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">&b;</saml:Assertion>`)
		}, "carries a DTD"},
		{"ErrDeep", func(t *testing.T) string {
			return encodeRaw(`<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">` + strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100) + `</saml:Assertion>`)
		}, "nests deeper than"},
		{"ErrNotXML", func(t *testing.T) string { return encodeRaw("<saml:Assertion") }, "not well-formed XML"},
		{"ErrNotBase64", func(t *testing.T) string { return "not*base64" }, "is not base64url"},
		{"ErrResponseNotAssertion", func(t *testing.T) string {
			// XSW on a Response: a signed assertion inside a Response (or
			// its Extensions) is not what the grant takes.
			resp := etree.NewElement("samlp:Response")
			resp.CreateAttr("xmlns:samlp", "urn:oasis:names:tc:SAML:2.0:protocol")
			ext := resp.CreateElement("samlp:Extensions")
			ext.AddChild(genuine(nil))
			return encodeXML(t, resp)
		}, "is not a saml:Assertion"},
		{"ErrXSWWrappedInAdvice", func(t *testing.T) string {
			// The signed original hides in the evil assertion's Advice;
			// the original's signature moves to the evil root.
			orig := genuine(nil)
			ev := evil("id-evil")
			ev.AddChild(findPath(orig, "Signature").Copy())
			ev.CreateElement("saml:Advice").AddChild(unsigned(orig))
			return encodeXML(t, ev)
		}, "contains another Assertion"},
		{"ErrXSWWrappedInExtensions", func(t *testing.T) string {
			// The signed original hides in an Extensions element of the
			// evil assertion, which carries the original's signature.
			orig := genuine(nil)
			ev := evil("id-evil")
			ev.AddChild(findPath(orig, "Signature").Copy())
			ext := ev.CreateElement("samlp:Extensions")
			ext.CreateAttr("xmlns:samlp", "urn:oasis:names:tc:SAML:2.0:protocol")
			ext.AddChild(orig)
			return encodeXML(t, ev)
		}, "contains another Assertion"},
		{"ErrXSWWrappedInObject", func(t *testing.T) string {
			// The signed original hides in a ds:Object of the signature
			// the evil root carries.
			orig := genuine(nil)
			ev := evil("id-evil")
			sig := findPath(orig, "Signature").Copy()
			sig.CreateElement("ds:Object").AddChild(unsigned(orig))
			ev.AddChild(sig)
			return encodeXML(t, ev)
		}, "contains another Assertion"},
		{"ErrXSWSignatureMoved", func(t *testing.T) string {
			// Only the signature moves over; it references the original's
			// ID, which the evil root does not carry.
			orig := genuine(nil)
			ev := evil("id-evil")
			ev.AddChild(findPath(orig, "Signature").Copy())
			return encodeXML(t, ev)
		}, "does not reference the Assertion"},
		{"ErrXSWSameID", func(t *testing.T) string {
			// A second assertion with the original's ID: the signature's
			// reference matches, its digest does not.
			orig := genuine(nil)
			ev := evil(orig.SelectAttrValue("ID", ""))
			ev.AddChild(findPath(orig, "Signature").Copy())
			return encodeXML(t, ev)
		}, "does not verify"},
		{"ErrDuplicateID", func(t *testing.T) string {
			// Two elements with one ID inside one assertion.
			orig := genuine(nil)
			id := orig.SelectAttrValue("ID", "")
			ext := orig.CreateElement("saml:Statement")
			ext.CreateAttr("ID", id)
			return encodeXML(t, orig)
		}, "carry the same ID"},
		{"ErrTwoSignatures", func(t *testing.T) string {
			orig := genuine(nil)
			findPath(orig, "Subject").AddChild(findPath(orig, "Signature").Copy())
			return encodeXML(t, orig)
		}, "exactly one Signature"},
		{"ErrUnknownIssuer", func(t *testing.T) string {
			el := unsigned(genuine(nil))
			findPath(el, "Issuer").SetText("https://evil.example/idp")
			return encodeXML(t, signEl(t, el, signers[1], dsig.RSASHA256SignatureMethod))
		}, "no identity provider registered in keypad"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantSAMLRefusal(t, e.exchange(tc.assertion(t), ""), tc.says)
		})
	}
	t.Run("ErrReplayed", func(t *testing.T) {
		a := encodeXML(t, genuine(nil))
		if r := e.exchange(a, ""); r.status != http.StatusOK {
			t.Fatalf("first use: got %d %s", r.status, r.raw)
		}
		wantSAMLRefusal(t, e.exchange(a, ""), "assertion already used")
	})
	t.Run("ErrTenMegabytes", func(t *testing.T) {
		big := `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">` + strings.Repeat("x", 10<<20) + `</saml:Assertion>`
		// The grant's own bound, whatever reaches it.
		_, fail := parseSAMLAssertion(encodeRaw(big))
		if fail == nil || !strings.Contains(fail.msg, "larger than 256 KiB") {
			t.Errorf("10 MB assertion: %v, want larger than 256 KiB", fail)
		}
		// Over HTTP the token endpoint's form limit answers first.
		r := e.exchange(encodeRaw(big), "")
		wantError(t, r, 400, "invalid_request")
	})
	t.Run("ErrUntrustedIdP", func(t *testing.T) {
		other := &keypad.IdP{ID: "idp_other", Name: "Other", EntityID: "https://other.example/idp",
			Certificates: [][]byte{signers[1].cert.Raw}, CreatedAt: now, UpdatedAt: now}
		if err := e.st.CreateIdP(context.Background(), other); err != nil {
			t.Fatal(err)
		}
		el := unsigned(genuine(nil))
		findPath(el, "Issuer").SetText(other.EntityID)
		r := e.exchange(encodeXML(t, signEl(t, el, signers[1], dsig.RSASHA256SignatureMethod)), "")
		wantSAMLRefusal(t, r, "does not accept assertions from identity provider idp_other")
	})
	t.Run("ErrNoAssertion", func(t *testing.T) {
		r := e.post(PathToken, url.Values{"grant_type": {keypad.GrantSAML2Bearer}}, basic(samlClientID, e.secret))
		wantError(t, r, 400, "invalid_request")
	})
	t.Run("AuditRefusals", func(t *testing.T) {
		evs, err := e.st.ListAuditEvents(context.Background(), 1000)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, ev := range evs {
			if ev.Type == "saml2_bearer.refused" {
				check, _, _ := strings.Cut(strings.TrimPrefix(ev.Detail, "check="), " ")
				seen[check] = true
				if strings.Contains(ev.Detail, "<") || strings.Contains(ev.Detail, "alice") {
					t.Errorf("audit detail holds assertion content: %q", ev.Detail)
				}
			}
		}
		for _, want := range []string{"unsigned", "signature", "sha1", "audience", "recipient", "expired", "not_yet_valid", "name_id", "dtd", "nested_assertion", "duplicate_id", "replayed", "issuer", "untrusted_idp"} {
			if !seen[want] {
				t.Errorf("no saml2_bearer.refused event with check=%s; saw %v", want, seen)
			}
		}
	})
}

// TestSAML2BearerRollover: an IdP registered with two certificates
// accepts assertions signed by either.
func TestSAML2BearerRollover(t *testing.T) {
	e := newSAMLEnv(t, keypad.NameIDMapUsername)
	signers := sharedSAMLSigners()
	p := *e.idp
	p.Certificates = [][]byte{signers[1].cert.Raw, signers[0].cert.Raw}
	if err := e.st.UpdateIdP(context.Background(), &p); err != nil {
		t.Fatal(err)
	}
	for i, s := range signers {
		if r := e.exchange(encodeXML(t, crewjamAssertion(t, s, e.clk.Now(), "alice", nil)), ""); r.status != http.StatusOK {
			t.Errorf("signed with certificate %d: got %d %s", i, r.status, r.raw)
		}
	}
}
