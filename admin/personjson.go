package admin

import (
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/manage"
)

// personBody is a person's writable members. Email, phone, address and
// account are what the OTP flow finds them by, normalised as the CLI and
// the import normalise them.
type personBody struct {
	ExternalID        string `json:"external_id,omitempty"`
	Username          string `json:"username,omitempty"`
	Name              string `json:"name,omitempty"`
	Email             string `json:"email,omitempty"`
	Phone             string `json:"phone,omitempty"`
	Address           string `json:"address,omitempty"`
	Account           string `json:"account,omitempty"`
	PreferredLanguage string `json:"preferred_language,omitempty"`
	Disabled          bool   `json:"disabled"`
}

// personResource is a person as the API answers: never their password
// hash, only whether they have one.
type personResource struct {
	ID string `json:"id"`
	personBody
	Identifiers []identifierJSON `json:"identifiers"`
	HasPassword bool             `json:"has_password"`
	CreatedAt   time.Time        `json:"created_at"`
	UpdatedAt   time.Time        `json:"updated_at"`
}

// identifierJSON is one normalised fact a person is found by.
type identifierJSON struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

func bodyOfPerson(s *keypad.Subject) personBody {
	p := manage.SpecOfPerson(s)
	return personBody{ExternalID: p.ExternalID, Username: p.Username, Name: p.Name, Email: p.Email, Phone: p.Phone,
		Address: p.Address, Account: p.Account, PreferredLanguage: p.PreferredLanguage, Disabled: p.Disabled}
}

func (b personBody) spec() manage.PersonSpec {
	return manage.PersonSpec{ExternalID: b.ExternalID, Username: b.Username, Name: b.Name, Email: b.Email, Phone: b.Phone,
		Address: b.Address, Account: b.Account, PreferredLanguage: b.PreferredLanguage, Disabled: b.Disabled}
}

func resourceOfPerson(s *keypad.Subject) personResource {
	out := personResource{ID: s.ID, personBody: bodyOfPerson(s), Identifiers: []identifierJSON{},
		HasPassword: s.PasswordHash != "", CreatedAt: s.CreatedAt.UTC(), UpdatedAt: s.UpdatedAt.UTC()}
	for _, id := range s.Identifiers {
		out.Identifiers = append(out.Identifiers, identifierJSON{Type: string(id.Type), Value: id.Value})
	}
	return out
}

// channelJSON is a channel a person can get codes on, masked as the OTP
// lookup shows it: never the number or the address itself.
type channelJSON struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Hint string `json:"hint"`
}
