package keypad

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxIdPMetadataSize bounds an IdP metadata file.
const MaxIdPMetadataSize = 1 << 20

const (
	nsSAMLMetadata = "urn:oasis:names:tc:SAML:2.0:metadata"
)

// IdPMetadata is what keypad takes from an IdP's SAML metadata
// (SAML 2.0 Metadata §2.3.2, §2.4.3): its entity ID and the certificates
// of its signing keys.
type IdPMetadata struct {
	EntityID     string
	Certificates [][]byte
}

// ParseIdPMetadata reads an IdP's SAML metadata: one EntityDescriptor
// with an IDPSSODescriptor whose KeyDescriptors of use "signing" (or of
// no use, which means both) carry X509Certificates. A document with a
// DTD is refused (no entity is ever expanded), as is one larger than
// MaxIdPMetadataSize. The certificates are returned in document order,
// duplicates dropped; their keys are checked by IdP.Validate.
func ParseIdPMetadata(doc []byte) (*IdPMetadata, error) {
	if len(doc) > MaxIdPMetadataSize {
		return nil, fmt.Errorf("metadata is larger than %d bytes", MaxIdPMetadataSize)
	}
	if err := checkPlainXML(doc); err != nil {
		return nil, err
	}
	var ed struct {
		XMLName  xml.Name
		EntityID string `xml:"entityID,attr"`
		IdPs     []struct {
			Keys []struct {
				Use   string   `xml:"use,attr"`
				Certs []string `xml:"http://www.w3.org/2000/09/xmldsig# KeyInfo>X509Data>X509Certificate"`
			} `xml:"urn:oasis:names:tc:SAML:2.0:metadata KeyDescriptor"`
		} `xml:"urn:oasis:names:tc:SAML:2.0:metadata IDPSSODescriptor"`
	}
	if err := xml.Unmarshal(doc, &ed); err != nil {
		return nil, fmt.Errorf("metadata is not well-formed XML: %v", err)
	}
	if ed.XMLName.Space != nsSAMLMetadata || ed.XMLName.Local != "EntityDescriptor" {
		return nil, errors.New("metadata must be one md:EntityDescriptor (urn:oasis:names:tc:SAML:2.0:metadata); export the IdP's own metadata, not a federation's EntitiesDescriptor")
	}
	m := &IdPMetadata{EntityID: strings.TrimSpace(ed.EntityID)}
	if m.EntityID == "" {
		return nil, errors.New("metadata has no entityID")
	}
	if len(ed.IdPs) == 0 {
		return nil, errors.New("metadata has no IDPSSODescriptor: it does not describe an identity provider")
	}
	for _, idp := range ed.IdPs {
		for _, k := range idp.Keys {
			if k.Use != "" && k.Use != "signing" {
				continue
			}
			for _, c := range k.Certs {
				der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(c), ""))
				if err != nil {
					return nil, fmt.Errorf("metadata: an X509Certificate is not base64: %v", err)
				}
				if !containsBytes(m.Certificates, der) {
					m.Certificates = append(m.Certificates, der)
				}
			}
		}
	}
	if len(m.Certificates) == 0 {
		return nil, errors.New("metadata has no signing certificate (KeyDescriptor use=\"signing\" with ds:X509Certificate)")
	}
	return m, nil
}

// checkPlainXML refuses XML carrying a DTD (<!DOCTYPE …>, and with it
// entity declarations): keypad reads SAML documents, which never need
// one.
func checkPlainXML(doc []byte) error {
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("not well-formed XML: %v", err)
		}
		if _, ok := tok.(xml.Directive); ok {
			return errors.New("XML with a DTD (<!DOCTYPE …>) is refused: SAML documents need none, and entities are an attack")
		}
	}
}

func containsBytes(list [][]byte, b []byte) bool {
	for _, x := range list {
		if bytes.Equal(x, b) {
			return true
		}
	}
	return false
}
