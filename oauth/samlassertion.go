package oauth

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// Bounds on a SAML assertion, which is hostile input until its signature
// has been checked.
const (
	// maxSAMLAssertion bounds the decoded assertion. (The token endpoint's
	// form limit, 64 KiB, refuses larger requests before the grant runs.)
	maxSAMLAssertion = 256 << 10
	// maxSAMLDepth bounds element nesting: an assertion is about six
	// deep; a signature's KeyInfo adds three.
	maxSAMLDepth = 32
	// maxSAMLElements bounds the number of elements.
	maxSAMLElements = 4096
)

// XML namespaces and algorithm identifiers the grant reads.
const (
	nsSAML          = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsDSig          = "http://www.w3.org/2000/09/xmldsig#"
	samlBearer      = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
	algExcC14N      = "http://www.w3.org/2001/10/xml-exc-c14n#"
	algEnveloped    = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
	algRSASHA1      = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
	algECDSASHA1    = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1"
	algDigestSHA1   = "http://www.w3.org/2000/09/xmldsig#sha1"
	samlTimeLayout  = "2006-01-02T15:04:05Z"
	samlTimeLayoutN = "2006-01-02T15:04:05.999999999Z"
)

// samlSignatureAlgs are the signature methods accepted: RSA and ECDSA with
// SHA-256 or stronger. SHA-1 (rsa-sha1, ecdsa-sha1) is refused unless the
// grant's config allows it.
var samlSignatureAlgs = map[string]bool{
	"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256":   true,
	"http://www.w3.org/2001/04/xmldsig-more#rsa-sha384":   true,
	"http://www.w3.org/2001/04/xmldsig-more#rsa-sha512":   true,
	"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256": true,
	"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384": true,
	"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512": true,
}

// samlDigestAlgs are the digest methods accepted beside SHA-1.
var samlDigestAlgs = map[string]bool{
	"http://www.w3.org/2001/04/xmlenc#sha256":       true,
	"http://www.w3.org/2001/04/xmldsig-more#sha384": true,
	"http://www.w3.org/2001/04/xmlenc#sha512":       true,
}

// samlEnvelope is an assertion read but not yet verified: the parsed
// document, its root Assertion and the (untrusted) Issuer that says which
// IdP's certificates to verify it with.
type samlEnvelope struct {
	root   *etree.Element
	issuer string
}

// parseSAMLAssertion decodes the assertion parameter (base64url, RFC 7522
// §2.1; padding and the standard alphabet are tolerated) and reads it as
// one saml:Assertion, refusing what a signed assertion never needs and
// attacks use: a DTD or entity, processing instructions, excessive size
// or depth, an Assertion inside the Assertion (in Advice, Extensions or a
// signature's Object: the XSW family), two elements with one ID, more
// than one Signature, or a Signature that is not the Assertion's own
// child.
func parseSAMLAssertion(param string) (*samlEnvelope, *assertionFailure) {
	if len(param) > base64.RawURLEncoding.EncodedLen(maxSAMLAssertion)+4 {
		return nil, failed("malformed", "the assertion is larger than %d KiB; send one SAML assertion, not a whole response", maxSAMLAssertion>>10)
	}
	raw, err := decodeBase64Any(param)
	if err != nil {
		return nil, failed("malformed", "the assertion is not base64url: encode the XML of one saml:Assertion (RFC 7522 section 2.1)")
	}
	if len(raw) > maxSAMLAssertion {
		return nil, failed("malformed", "the assertion is larger than %d KiB; send one SAML assertion, not a whole response", maxSAMLAssertion>>10)
	}
	if fail := scanSAMLXML(raw); fail != nil {
		return nil, fail
	}
	doc := etree.NewDocument()
	doc.ReadSettings.Permissive = false
	if err := doc.ReadFromBytes(raw); err != nil {
		return nil, failed("malformed", "the assertion is not well-formed XML")
	}
	root := doc.Root()
	if root == nil || root.NamespaceURI() != nsSAML || root.Tag != "Assertion" {
		return nil, failed("malformed", "the XML is not a saml:Assertion (urn:oasis:names:tc:SAML:2.0:assertion); send the assertion itself, not the Response around it")
	}
	ids := map[string]bool{}
	var sigs []*etree.Element
	var nested, dup bool
	walk(root, func(el *etree.Element) {
		for _, a := range el.Attr {
			if strings.EqualFold(a.Key, "ID") && a.Space == "" {
				dup = dup || ids[a.Value]
				ids[a.Value] = true
			}
		}
		if el != root && el.Tag == "Assertion" && el.NamespaceURI() == nsSAML {
			nested = true
		}
		if el.Tag == "Signature" && el.NamespaceURI() == nsDSig {
			sigs = append(sigs, el)
		}
	})
	switch {
	case dup:
		return nil, failed("duplicate_id", "two elements of the assertion carry the same ID; a signature could not say which it covers")
	case nested:
		return nil, failed("nested_assertion", "the assertion contains another Assertion (in Advice or elsewhere); keypad takes one assertion, signed by itself, with no assertion inside")
	case len(sigs) == 0:
		return nil, failed("unsigned", "the assertion is not signed: the IdP must sign the Assertion itself (a signature on a Response is not enough)")
	case len(sigs) > 1 || sigs[0].Parent() != root:
		return nil, failed("signature_placement", "the assertion must carry exactly one Signature, as a direct child of the Assertion")
	}
	var issuer string
	if iss := samlChildren(root, "Issuer"); len(iss) == 1 {
		issuer = strings.TrimSpace(iss[0].Text())
	}
	if issuer == "" {
		return nil, failed("issuer", "the assertion has no Issuer: it must name the IdP that signed it")
	}
	return &samlEnvelope{root: root, issuer: issuer}, nil
}

// scanSAMLXML refuses, before anything builds a tree, XML with a DTD
// (and so any entity), processing instructions other than the XML
// declaration, or more depth or elements than an assertion has.
func scanSAMLXML(raw []byte) *assertionFailure {
	d := xml.NewDecoder(bytes.NewReader(raw))
	d.Strict = true
	depth, elements := 0, 0
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return failed("malformed", "the assertion is not well-formed XML")
		}
		switch t := tok.(type) {
		case xml.Directive:
			return failed("dtd", "the assertion carries a DTD (<!DOCTYPE or <!ENTITY); keypad refuses XML with a DTD")
		case xml.ProcInst:
			if t.Target != "xml" {
				return failed("malformed", "the assertion carries a processing instruction; keypad refuses them")
			}
		case xml.StartElement:
			depth++
			elements++
			if depth > maxSAMLDepth || elements > maxSAMLElements {
				return failed("malformed", "the assertion nests deeper than %d elements or has more than %d; keypad refuses it", maxSAMLDepth, maxSAMLElements)
			}
		case xml.EndElement:
			depth--
		}
	}
}

// verifySAMLSignature checks the Assertion's one enveloped signature with
// each of the IdP's certificates in turn and returns the element
// goxmldsig validated: the canonical form of exactly the bytes the
// signature covers, from which alone the claims are then read (never the
// original tree, which may hold elements the signature does not cover).
// Only exclusive canonicalisation without comments is accepted, and a
// signature method and digest of SHA-256 or stronger unless allowSHA1.
func verifySAMLSignature(env *samlEnvelope, certs [][]byte, now time.Time, allowSHA1 bool) (*etree.Element, *assertionFailure) {
	root := env.root
	id := root.SelectAttrValue("ID", "")
	if id == "" {
		return nil, failed("malformed", "the assertion has no ID attribute")
	}
	sig := samlChild(root, nsDSig, "Signature")
	si := samlChild(sig, nsDSig, "SignedInfo")
	if si == nil {
		return nil, failed("signature", "the Signature has no SignedInfo")
	}
	c14n := samlChild(si, nsDSig, "CanonicalizationMethod")
	method := samlChild(si, nsDSig, "SignatureMethod")
	refs := samlChildrenNS(si, nsDSig, "Reference")
	if c14n == nil || method == nil || len(refs) != 1 {
		return nil, failed("signature", "the Signature's SignedInfo must have a CanonicalizationMethod, a SignatureMethod and exactly one Reference")
	}
	ref := refs[0]
	if ref.SelectAttrValue("URI", "") != "#"+id {
		return nil, failed("signature", "the Signature does not reference the Assertion (its Reference URI must be #%s)", id)
	}
	if c14n.SelectAttrValue("Algorithm", "") != algExcC14N {
		return nil, failed("signature", "the SignedInfo is canonicalised with %q; keypad accepts only exclusive canonicalisation without comments (%s)", c14n.SelectAttrValue("Algorithm", ""), algExcC14N)
	}
	if tr := samlChild(ref, nsDSig, "Transforms"); tr != nil {
		for _, t := range samlChildrenNS(tr, nsDSig, "Transform") {
			if a := t.SelectAttrValue("Algorithm", ""); a != algEnveloped && a != algExcC14N {
				return nil, failed("signature", "the Reference has transform %q; keypad accepts only enveloped-signature and exclusive canonicalisation without comments", a)
			}
		}
	}
	alg := method.SelectAttrValue("Algorithm", "")
	digest := ""
	if dm := samlChild(ref, nsDSig, "DigestMethod"); dm != nil {
		digest = dm.SelectAttrValue("Algorithm", "")
	}
	sha1 := alg == algRSASHA1 || alg == algECDSASHA1 || digest == algDigestSHA1
	switch {
	case sha1 && !allowSHA1:
		return nil, failed("sha1", "the assertion is signed with SHA-1, which keypad refuses: have the IdP sign with RSA-SHA256 or stronger")
	case !sha1 && !samlSignatureAlgs[alg]:
		return nil, failed("signature", "signature method %q is not accepted: use RSA-SHA256 or stronger", alg)
	case !sha1 && !samlDigestAlgs[digest]:
		return nil, failed("signature", "digest method %q is not accepted: use SHA-256 or stronger", digest)
	}
	for _, der := range certs {
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			continue // checked at registration; a bad one verifies nothing
		}
		ctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{cert}})
		ctx.Clock = dsig.NewFakeClockAt(now)
		// goxmldsig's error is not shown: it could echo the assertion.
		if validated, err := ctx.Validate(root); err == nil {
			return validated, nil
		}
	}
	return nil, failed("signature", "the assertion's signature does not verify with any certificate registered for this IdP (or the certificate is outside its validity dates); if the IdP rolled its key, update it with `keypad idp update --metadata`")
}

// decodeBase64Any decodes base64url as RFC 7522 asks, and also padded or
// standard base64, which IdP libraries commonly emit.
func decodeBase64Any(s string) ([]byte, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "=")
	if strings.ContainsAny(s, "+/") {
		return base64.RawStdEncoding.DecodeString(s)
	}
	return base64.RawURLEncoding.DecodeString(s)
}

// walk calls fn on el and every element below it.
func walk(el *etree.Element, fn func(*etree.Element)) {
	fn(el)
	for _, c := range el.ChildElements() {
		walk(c, fn)
	}
}

// samlChildren returns el's child elements named local in the SAML
// assertion namespace.
func samlChildren(el *etree.Element, local string) []*etree.Element {
	return samlChildrenNS(el, nsSAML, local)
}

func samlChildrenNS(el *etree.Element, ns, local string) []*etree.Element {
	if el == nil {
		return nil
	}
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if c.Tag == local && c.NamespaceURI() == ns {
			out = append(out, c)
		}
	}
	return out
}

// samlChild returns the first child element ns:local, or nil.
func samlChild(el *etree.Element, ns, local string) *etree.Element {
	if cs := samlChildrenNS(el, ns, local); len(cs) > 0 {
		return cs[0]
	}
	return nil
}

// samlText is the whole character content of an element that must hold
// text only: every text node joined (after canonicalisation, comments are
// gone, so "alice@example.com<!---->.evil.com" reads as the one string the
// IdP signed). ok is false when the element has child elements.
func samlText(el *etree.Element) (string, bool) {
	if len(el.ChildElements()) > 0 {
		return "", false
	}
	var b strings.Builder
	for _, t := range el.Child {
		if cd, ok := t.(*etree.CharData); ok {
			b.WriteString(cd.Data)
		}
	}
	return strings.TrimSpace(b.String()), true
}

// parseSAMLTime reads an xs:dateTime in UTC as SAML Core §1.3.3 requires.
func parseSAMLTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	t, err := time.Parse(samlTimeLayoutN, s)
	if err != nil {
		t, err = time.Parse(samlTimeLayout, s)
	}
	if err != nil {
		return time.Time{}, errors.New("not a UTC xs:dateTime")
	}
	return t, nil
}
