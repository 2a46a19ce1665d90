package scim

import (
	"slices"

	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"
)

// Schema URNs: SCIM's User (RFC 7643 §4.1) and keypad's extension.
const (
	UserSchema      = "urn:ietf:params:scim:schemas:core:2.0:User"
	KeypadExtension = "urn:keypad:params:scim:schemas:extension:keypad:2.0:User"
)

// Attribute names of a User, as the schemas spell them.
const (
	attrUserName          = "userName"
	attrName              = "name"
	attrEmails            = "emails"
	attrPhoneNumbers      = "phoneNumbers"
	attrAddresses         = "addresses"
	attrActive            = "active"
	attrPreferredLanguage = "preferredLanguage"
	attrExternalID        = "externalId"
	attrAccountNumbers    = "accountNumbers"
)

// supported are the core User attributes keypad stores; the schema it
// serves lists only these, so a filter on another attribute is refused
// (invalidFilter) rather than matching nothing, and clients reading
// /Schemas learn what is kept.
var supported = []string{attrUserName, attrName, attrEmails, attrPhoneNumbers, attrAddresses, attrActive, attrPreferredLanguage}

// userSchema is RFC 7643's User schema cut to the attributes keypad
// stores. userName is case-exact: keypad's sign-in names are.
func userSchema() schema.Schema {
	s := schema.CoreUserSchema()
	s.Attributes = slices.DeleteFunc(slices.Clone(s.Attributes), func(a schema.CoreAttribute) bool {
		return !slices.Contains(supported, a.Name())
	})
	for i, a := range s.Attributes {
		if a.Name() == attrUserName {
			s.Attributes[i] = schema.SimpleCoreAttribute(schema.SimpleStringParams(schema.StringParams{
				CaseExact:   true,
				Description: optional.NewString("The person's sign-in name; unique, case-exact. REQUIRED."),
				Name:        attrUserName,
				Required:    true,
				Uniqueness:  schema.AttributeUniquenessServer(),
			}))
		}
	}
	return s
}

// keypadSchema is keypad's extension: the account numbers a person is
// found by (the OTP flow's "account" identifier).
func keypadSchema() schema.Schema {
	return schema.Schema{
		ID:          KeypadExtension,
		Name:        optional.NewString("KeypadUser"),
		Description: optional.NewString("What keypad finds a person by besides the core attributes"),
		Attributes: []schema.CoreAttribute{
			schema.SimpleCoreAttribute(schema.SimpleStringParams(schema.StringParams{
				Description: optional.NewString("The person's account numbers with the data holder; normalised (letters upper-cased, spaces and dashes dropped)."),
				MultiValued: true,
				Name:        attrAccountNumbers,
			})),
		},
	}
}
