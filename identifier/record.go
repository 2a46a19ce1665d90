package identifier

import (
	"errors"

	"github.com/keypadauth/keypad"
)

// Record is one customer read from an import file, as written there
// (trimmed); Identifiers and Subject normalise it.
type Record struct {
	// Line is where the row starts in the file, for error reports.
	Line       int
	ExternalID string
	Username   string
	Name       string
	Email      string
	Phone      string
	Address    string
	Account    string
	// PreferredLanguage is the person's language for pages, texts and
	// emails (a BCP 47 tag); "" leaves a known person's as it was.
	PreferredLanguage string
}

// field returns the field for Columns[i].
func (r *Record) field(i int) *string {
	return [...]*string{&r.ExternalID, &r.Username, &r.Name, &r.Email, &r.Phone, &r.Address, &r.Account, &r.PreferredLanguage}[i]
}

// check reports what makes a row unusable before normalisation.
func (r *Record) check() error {
	if r.ExternalID == "" {
		return &RowError{Line: r.Line, Field: "external_id", Reason: "is empty; every row needs the customer's ID in your system"}
	}
	return nil
}

// Identifiers normalises the facts a person can be found by: email,
// phone, address and account. An address with a ZIP gives two
// identifiers, the full key ("123 MAIN ST 94110") and the street alone
// ("123 MAIN ST"), so a kiosk lookup without the ZIP still finds the
// person (or answers ambiguous_identifier when the street line exists in
// several ZIPs), while a lookup with a different ZIP finds nobody. The
// error is a *RowError naming the bad field.
func (r Record) Identifiers(n Normalizer) ([]keypad.Identifier, error) {
	var ids []keypad.Identifier
	add := func(typ keypad.IdentifierType, v string) {
		id := keypad.Identifier{Type: typ, Value: v}
		for _, have := range ids {
			if have == id {
				return
			}
		}
		ids = append(ids, id)
	}
	if r.Email != "" {
		v, err := n.Email(r.Email)
		if err != nil {
			return nil, r.fieldError(err)
		}
		add(keypad.IdentifierEmail, v)
	}
	if r.Phone != "" {
		v, err := n.Phone(r.Phone, "")
		if err != nil {
			return nil, r.fieldError(err)
		}
		add(keypad.IdentifierPhone, v)
	}
	if r.Address != "" {
		p, err := ParseAddress(r.Address)
		if err != nil {
			return nil, r.fieldError(err)
		}
		add(keypad.IdentifierAddress, p.Key())
		if street, err := Address(p.Street); err == nil && street == p.Street {
			add(keypad.IdentifierAddress, street)
		}
	}
	if r.Account != "" {
		v, err := n.Account(r.Account)
		if err != nil {
			return nil, r.fieldError(err)
		}
		add(keypad.IdentifierAccount, v)
	}
	return ids, nil
}

// Subject builds the subject a row describes, with its email and phone
// normalised as delivery channels and its identifiers; the caller sets ID
// (or finds the existing subject by ExternalID) and the timestamps.
func (r Record) Subject(n Normalizer) (*keypad.Subject, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	ids, err := r.Identifiers(n)
	if err != nil {
		return nil, err
	}
	s := &keypad.Subject{ExternalID: r.ExternalID, Username: r.Username, Name: r.Name, PreferredLanguage: r.PreferredLanguage}
	s.SetIdentifiers(ids)
	return s, nil
}

// fieldError turns a normalisation error into a RowError for this row.
func (r Record) fieldError(err error) error {
	var ve *keypad.ValidationError
	if errors.As(err, &ve) {
		return &RowError{Line: r.Line, Field: ve.Field, Reason: ve.Message}
	}
	return &RowError{Line: r.Line, Reason: err.Error()}
}
