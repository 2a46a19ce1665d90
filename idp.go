package keypad

import (
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"strings"
	"time"
)

// IdP is a SAML 2.0 identity provider an administrator trusts: its signed
// assertions can be traded for tokens with the saml2-bearer grant
// (RFC 7522) by the clients that name it (ClientOptions.SAMLIdPs).
type IdP struct {
	// ID is keypad's name for it ("idp_" and letters or digits), which
	// clients list.
	ID   string
	Name string
	// EntityID is the IdP's SAML entity ID: the Issuer of its assertions.
	EntityID string
	// Certificates are the DER certificates whose keys sign its assertions;
	// more than one during a key rollover.
	Certificates [][]byte
	// NameIDMap says which of a person's identities the assertion names
	// (one of the NameIDMap constants, or "attribute:" and an attribute
	// name); empty is NameIDMapAuto.
	NameIDMap string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// How an IdP's assertion names a person (IdP.NameIDMap).
const (
	// NameIDMapAuto looks the NameID up as a keypad subject ID, a
	// username, an email address and an external ID; a NameID that names
	// two different people is refused.
	NameIDMapAuto = "auto"
	// NameIDMapUsername, NameIDMapEmail and NameIDMapExternalID look the
	// NameID up as that identity only.
	NameIDMapUsername   = "username"
	NameIDMapEmail      = "email"
	NameIDMapExternalID = "external_id"
	// NameIDMapAttributePrefix, followed by a SAML attribute's Name, takes
	// that attribute's one value instead of the NameID, looked up as
	// NameIDMapAuto does.
	NameIDMapAttributePrefix = "attribute:"
)

// MaxIdPCertificates bounds an IdP's signing certificates: a rollover
// needs two or three.
const MaxIdPCertificates = 10

// IdPStore keeps the trusted identity providers.
type IdPStore interface {
	// CreateIdP stores a new IdP; ErrConflict if its ID or entity ID is
	// taken.
	CreateIdP(ctx context.Context, p *IdP) error
	// GetIdP returns an IdP by ID, or ErrNotFound.
	GetIdP(ctx context.Context, id string) (*IdP, error)
	// GetIdPByEntityID returns the IdP with that entity ID, or
	// ErrNotFound.
	GetIdPByEntityID(ctx context.Context, entityID string) (*IdP, error)
	// ListIdPs returns every IdP ordered by ID.
	ListIdPs(ctx context.Context) ([]*IdP, error)
	// UpdateIdP replaces a stored IdP; ErrNotFound if there is none,
	// ErrConflict if its new entity ID is another's.
	UpdateIdP(ctx context.Context, p *IdP) error
	// DeleteIdP removes an IdP, or returns ErrNotFound.
	DeleteIdP(ctx context.Context, id string) error
}

// ValidIdPID reports whether s can be an IdP ID: "idp_" and 1 to 60
// letters or digits.
func ValidIdPID(s string) bool {
	rest, ok := strings.CutPrefix(s, "idp_")
	if !ok || rest == "" || len(rest) > 60 {
		return false
	}
	for _, r := range rest {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// Validate checks an IdP before it is stored: a valid ID, a name, an
// entity ID of printable text, 1 to MaxIdPCertificates certificates whose
// keys are RSA of at least 2048 bits or ECDSA, and a known NameID mapping.
// It returns a *ValidationError naming the field.
func (p *IdP) Validate() error {
	if !ValidIdPID(p.ID) {
		return &ValidationError{Field: "id", Message: fmt.Sprintf("%q: use idp_ and 1 to 60 letters or digits", p.ID)}
	}
	if strings.TrimSpace(p.Name) == "" {
		return &ValidationError{Field: "name", Message: "is required: administrators recognise the IdP by it"}
	}
	if err := checkText("name", p.Name); err != nil {
		return err
	}
	if strings.TrimSpace(p.EntityID) == "" || len(p.EntityID) > 1024 {
		return &ValidationError{Field: "entity_id", Message: "is required (at most 1024 characters): the entityID of the IdP's metadata, which its assertions carry as Issuer"}
	}
	if err := checkText("entity_id", p.EntityID); err != nil {
		return err
	}
	if len(p.Certificates) == 0 || len(p.Certificates) > MaxIdPCertificates {
		return &ValidationError{Field: "certificates", Message: fmt.Sprintf("has %d; an IdP needs 1 to %d signing certificates (KeyDescriptor use=\"signing\" in its metadata)", len(p.Certificates), MaxIdPCertificates)}
	}
	for i, der := range p.Certificates {
		if err := CheckIdPCertificate(der); err != nil {
			return &ValidationError{Field: "certificates", Message: fmt.Sprintf("certificate %d: %v", i+1, err)}
		}
	}
	if err := CheckNameIDMap(p.NameIDMap); err != nil {
		return &ValidationError{Field: "name_id_map", Message: err.Error()}
	}
	return nil
}

// CheckIdPCertificate accepts a DER certificate whose public key may sign
// SAML assertions keypad accepts: RSA of 2048 to 8192 bits, or ECDSA on
// P-256, P-384 or P-521.
func CheckIdPCertificate(der []byte) error {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return fmt.Errorf("is not an X.509 certificate: %v", err)
	}
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		if n := k.N.BitLen(); n < 2048 || n > 8192 {
			return fmt.Errorf("has an RSA key of %d bits; keypad accepts 2048 to 8192", n)
		}
	case *ecdsa.PublicKey:
	default:
		return fmt.Errorf("has a %T key; keypad accepts RSA and ECDSA signing keys", c.PublicKey)
	}
	return nil
}

// CheckNameIDMap accepts "", the NameIDMap constants and "attribute:NAME".
func CheckNameIDMap(m string) error {
	switch m {
	case "", NameIDMapAuto, NameIDMapUsername, NameIDMapEmail, NameIDMapExternalID:
		return nil
	}
	if name, ok := strings.CutPrefix(m, NameIDMapAttributePrefix); ok && strings.TrimSpace(name) != "" && !hasControl(name) && len(name) <= 256 {
		return nil
	}
	return fmt.Errorf("%q: use username, email, external_id, auto, or attribute:NAME with the SAML attribute's Name", m)
}
