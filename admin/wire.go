package admin

import (
	"encoding/json"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/manage"
)

// The API's JSON forms of clients and people, for its own clients: the
// CLI's remote mode (keypad --server) sends what the API reads and reads
// what it answers through these, so the two cannot drift apart.

// ClientRequest is the body of a create or a PUT that registers c as it
// is; an empty c.ID is left out, for the server to draw one.
func ClientRequest(c *keypad.Client) any { return bodyOfClient(c) }

// DecodeClient reads a client resource: the client (without its secret's
// hash, which the API never sends) and, in the answer of a create or a
// rotation, its secret.
func DecodeClient(data []byte) (*keypad.Client, string, error) {
	var r clientResource
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, "", err
	}
	spec, err := r.spec()
	if err != nil {
		return nil, "", err
	}
	c, err := spec.Client()
	if err != nil {
		return nil, "", err
	}
	c.CreatedAt, c.UpdatedAt = r.CreatedAt, r.UpdatedAt
	return c, r.ClientSecret, nil
}

// PersonRequest is the body of a create that adds the person spec
// describes.
func PersonRequest(spec manage.PersonSpec) any {
	return personBody{ExternalID: spec.ExternalID, Username: spec.Username, Name: spec.Name, Email: spec.Email,
		Phone: spec.Phone, Address: spec.Address, Account: spec.Account, PreferredLanguage: spec.PreferredLanguage,
		Disabled: spec.Disabled}
}

// HasPasswordMark stands in DecodePerson's Subject.PasswordHash for a
// person who has a password: the API says only that there is one.
const HasPasswordMark = "(set; the admin API does not show hashes)"

// DecodePerson reads a person resource.
func DecodePerson(data []byte) (*keypad.Subject, error) {
	var r personResource
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, err
	}
	s := &keypad.Subject{ID: r.ID, ExternalID: r.ExternalID, Username: r.Username, Name: r.Name, Email: r.Email,
		Phone: r.Phone, PreferredLanguage: r.PreferredLanguage, Disabled: r.Disabled,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	for _, id := range r.Identifiers {
		s.Identifiers = append(s.Identifiers, keypad.Identifier{Type: keypad.IdentifierType(id.Type), Value: id.Value})
	}
	if r.HasPassword {
		s.PasswordHash = HasPasswordMark
	}
	return s, nil
}

// Page is one page of a list answer, its items still JSON.
type Page struct {
	Items      []json.RawMessage `json:"items"`
	NextCursor string            `json:"next_cursor,omitempty"`
}
