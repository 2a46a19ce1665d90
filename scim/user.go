package scim

import (
	"errors"
	"fmt"
	"strings"

	scim "github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/identifier"
)

// representation is a person as a SCIM User's attributes (without id,
// externalId and meta, which the library adds from scim.Resource):
// userName, name.formatted, the identifiers as emails, phoneNumbers,
// addresses and the extension's accountNumbers (the delivery channels
// marked primary), active and preferredLanguage. An address stored with
// its ZIP is also stored by its street alone (the OTP lookup's fallback);
// that second key is not shown, as it is not a second address.
func representation(s *keypad.Subject) scim.ResourceAttributes {
	a := scim.ResourceAttributes{attrActive: !s.Disabled}
	if s.Username != "" {
		a[attrUserName] = s.Username
	}
	if s.Name != "" {
		a[attrName] = map[string]any{"formatted": s.Name}
	}
	if s.PreferredLanguage != "" {
		a[attrPreferredLanguage] = s.PreferredLanguage
	}
	streets := map[string]bool{}
	for _, id := range s.Identifiers {
		if st, ok := identifier.StreetOnly(id); ok {
			streets[st.Value] = true
		}
	}
	var emails, phones, addresses, accounts []any
	for _, id := range s.Identifiers {
		switch id.Type {
		case keypad.IdentifierEmail:
			emails = append(emails, map[string]any{"value": id.Value, "primary": id.Value == s.Email})
		case keypad.IdentifierPhone:
			phones = append(phones, map[string]any{"value": id.Value, "primary": id.Value == s.Phone})
		case keypad.IdentifierAddress:
			if !streets[id.Value] {
				addresses = append(addresses, map[string]any{"formatted": id.Value})
			}
		case keypad.IdentifierAccount:
			accounts = append(accounts, id.Value)
		}
	}
	for name, list := range map[string][]any{attrEmails: emails, attrPhoneNumbers: phones, attrAddresses: addresses} {
		if list != nil {
			a[name] = list
		}
	}
	if accounts != nil {
		a[KeypadExtension] = map[string]any{attrAccountNumbers: accounts}
	}
	return a
}

// resource is a person as the library answers it.
func resource(s *keypad.Subject) scim.Resource {
	created, modified := s.CreatedAt, s.UpdatedAt
	r := scim.Resource{
		ID:         s.ID,
		Attributes: representation(s),
		Meta:       scim.Meta{Created: &created, LastModified: &modified, Version: etag(s)},
	}
	if s.ExternalID != "" {
		r.ExternalID = optional.NewString(s.ExternalID)
	}
	return r
}

// apply sets s from a User's attributes, as a PUT replaces a resource:
// every attribute SCIM carries is taken from a (absent means empty),
// except active, which stays as it was when absent, so that only an
// explicit "active": false disables a person. The ID, the password and
// the timestamps are left alone. Identifiers are normalised as the CLI
// and the import do (identifier.Record, with the server's region for
// phone numbers); the email and phone marked primary, else the last,
// become the delivery channels. Errors are SCIM errors saying which value
// is wrong.
func apply(a scim.ResourceAttributes, s *keypad.Subject, norm identifier.Normalizer) error {
	s.Username, _ = a[attrUserName].(string)
	if strings.TrimSpace(s.Username) == "" {
		return badValue("userName is required: every User needs a sign-in name")
	}
	s.ExternalID, _ = a[attrExternalID].(string)
	s.Name = formattedName(a[attrName])
	s.PreferredLanguage, _ = a[attrPreferredLanguage].(string)
	if active, ok := a[attrActive].(bool); ok {
		s.Disabled = !active
	}
	var ids []keypad.Identifier
	var primary [2]string // email, phone
	for _, f := range []struct {
		attr, sub string
		set       func(*identifier.Record, string)
		primary   *string
	}{
		{attrEmails, "value", func(r *identifier.Record, v string) { r.Email = v }, &primary[0]},
		{attrPhoneNumbers, "value", func(r *identifier.Record, v string) { r.Phone = v }, &primary[1]},
		{attrAddresses, "formatted", func(r *identifier.Record, v string) { r.Address = v }, nil},
	} {
		for _, el := range list(a[f.attr]) {
			m, _ := el.(map[string]any)
			v := stringOf(m, f.sub)
			if f.attr == attrAddresses && v == "" {
				v = composeAddress(m)
			}
			if v == "" {
				continue
			}
			var rec identifier.Record
			f.set(&rec, v)
			got, err := normalise(rec, norm, f.attr+"."+f.sub, v)
			if err != nil {
				return err
			}
			ids = appendNew(ids, got...)
			if p, _ := m["primary"].(bool); p && f.primary != nil && len(got) > 0 {
				*f.primary = got[0].Value
			}
		}
	}
	ext, _ := a[KeypadExtension].(map[string]any)
	for _, el := range list(ext[attrAccountNumbers]) {
		v, _ := el.(string)
		got, err := normalise(identifier.Record{Account: v}, norm, attrAccountNumbers, v)
		if err != nil {
			return err
		}
		ids = appendNew(ids, got...)
	}
	s.Email, s.Phone = "", ""
	s.SetIdentifiers(ids)
	if primary[0] != "" {
		s.Email = primary[0]
	}
	if primary[1] != "" {
		s.Phone = primary[1]
	}
	if err := s.Validate(); err != nil {
		var ve *keypad.ValidationError
		if errors.As(err, &ve) {
			return badValue(ve.Error())
		}
		return err
	}
	return nil
}

// normalise reads one value through the import's rules.
func normalise(rec identifier.Record, norm identifier.Normalizer, attr, v string) ([]keypad.Identifier, error) {
	ids, err := rec.Identifiers(norm)
	if err != nil {
		var re *identifier.RowError
		if errors.As(err, &re) {
			return nil, badValue(fmt.Sprintf("%s %q: %s", attr, v, re.Reason))
		}
		return nil, badValue(fmt.Sprintf("%s %q: %v", attr, v, err))
	}
	return ids, nil
}

func appendNew(ids []keypad.Identifier, more ...keypad.Identifier) []keypad.Identifier {
	for _, id := range more {
		dup := false
		for _, have := range ids {
			dup = dup || have == id
		}
		if !dup {
			ids = append(ids, id)
		}
	}
	return ids
}

// formattedName is name.formatted, or the name composed from its parts
// (keypad keeps one display name).
func formattedName(v any) string {
	m, _ := v.(map[string]any)
	if f := strings.TrimSpace(stringOf(m, "formatted")); f != "" {
		return f
	}
	var parts []string
	for _, k := range []string{"honorificPrefix", "givenName", "middleName", "familyName", "honorificSuffix"} {
		if p := strings.TrimSpace(stringOf(m, k)); p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, " ")
}

// composeAddress writes an address given in parts on one line, as the
// import's address column holds it.
func composeAddress(m map[string]any) string {
	var parts []string
	for _, k := range []string{"streetAddress", "locality", "region", "postalCode", "country"} {
		if p := strings.TrimSpace(stringOf(m, k)); p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ", ")
}

func stringOf(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

// list is a multi-valued attribute's values; one value given alone
// counts as a list of one.
func list(v any) []any {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		return v
	}
	return []any{v}
}

// badValue is RFC 7644's invalidValue with keypad's explanation.
func badValue(detail string) error {
	return scimerrors.ScimError{ScimType: scimerrors.ScimTypeInvalidValue, Detail: detail, Status: 400}
}
