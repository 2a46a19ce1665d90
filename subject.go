package keypad

import (
	"context"
	"fmt"
	"strings"
	"time"

	"golang.org/x/text/language"
)

// IdentifierType names what kind of fact identifies a person.
type IdentifierType string

// Identifier types a person may be found by (DESIGN.md, OTP flow).
const (
	IdentifierEmail   IdentifierType = "email"
	IdentifierPhone   IdentifierType = "phone"
	IdentifierAddress IdentifierType = "address"
	IdentifierAccount IdentifierType = "account"
)

// Identifier is one normalised fact that finds a subject: an E.164 phone
// number, a lower-cased email, a normalised service address, an account
// number. Several subjects may share one (two accounts at one address).
type Identifier struct {
	Type  IdentifierType
	Value string
}

// Subject is a person (resource owner). Username and password are optional:
// a utility customer may have neither and sign in with a one-time code.
type Subject struct {
	// ID is the stable, opaque "sub" claim.
	ID string
	// ExternalID is the data holder's own key (customer number), used to
	// make imports idempotent. Optional and unique when set.
	ExternalID string
	Username   string
	// PasswordHash is an argon2id PHC string; empty when the subject has
	// no password.
	PasswordHash string
	Name         string
	Email        string // delivery channel and OIDC claim, normalised
	Phone        string // delivery channel and OIDC claim, E.164
	Identifiers  []Identifier
	// PreferredLanguage is a BCP 47 tag ("es", "en-US") for the pages,
	// texts and emails the person gets; "" means the server's default.
	PreferredLanguage string
	// Disabled is set for a person who may no longer sign in or be found
	// (SCIM's active: false); their data is kept.
	Disabled  bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Validate checks a person before they are stored: an ID, and names and
// contact details without control characters, since they go into emails,
// text messages and logs, where a line break could forge a header or a
// line. It returns a *ValidationError naming the field.
func (s *Subject) Validate() error {
	if strings.TrimSpace(s.ID) == "" {
		return &ValidationError{Field: "id", Message: "is required"}
	}
	if s.Username != strings.TrimSpace(s.Username) {
		return &ValidationError{Field: "username", Message: fmt.Sprintf("%q starts or ends with a space: people cannot see it when they sign in", s.Username)}
	}
	for _, f := range []struct{ field, v string }{
		{"id", s.ID}, {"username", s.Username}, {"name", s.Name}, {"email", s.Email}, {"phone", s.Phone}, {"external_id", s.ExternalID},
	} {
		if hasControl(f.v) {
			return &ValidationError{Field: f.field, Message: fmt.Sprintf("%q contains a control character (such as a line break); it appears in emails and text messages, so use printable text on one line", f.v)}
		}
	}
	if s.PreferredLanguage != "" {
		if _, err := language.Parse(s.PreferredLanguage); err != nil {
			return &ValidationError{Field: "preferred_language", Message: fmt.Sprintf("%q is not a language tag: use a BCP 47 tag such as es or en-US", s.PreferredLanguage)}
		}
	}
	for _, id := range s.Identifiers {
		if hasControl(id.Value) {
			return &ValidationError{Field: string(id.Type), Message: fmt.Sprintf("%q contains a control character (such as a line break): use printable text on one line", id.Value)}
		}
	}
	return nil
}

// SetIdentifiers gives s the identifiers it is found by, and takes its
// delivery channels from them: the email and the phone identifier (the
// last of each) are where codes go. A channel the identifiers do not name
// is left as it was. The CLI and the import share this rule, so a person
// added either way gets codes at the same places.
func (s *Subject) SetIdentifiers(ids []Identifier) {
	s.Identifiers = ids
	for _, id := range ids {
		switch id.Type {
		case IdentifierEmail:
			s.Email = id.Value
		case IdentifierPhone:
			s.Phone = id.Value
		}
	}
}

// SubjectStore keeps people.
type SubjectStore interface {
	// CreateSubject stores a new subject. Returns ErrConflict if the ID,
	// the username or the external ID is taken.
	CreateSubject(ctx context.Context, s *Subject) error
	// GetSubject returns a subject by ID, or ErrNotFound.
	GetSubject(ctx context.Context, id string) (*Subject, error)
	// GetSubjectByUsername returns a subject by username, or ErrNotFound.
	GetSubjectByUsername(ctx context.Context, username string) (*Subject, error)
	// UpdateSubject replaces a stored subject (and its identifiers).
	// Returns ErrNotFound if it does not exist, ErrConflict if the new
	// username or external ID is taken.
	UpdateSubject(ctx context.Context, s *Subject) error
	// DeleteSubject removes a subject and everything issued for it.
	// Returns ErrNotFound if it does not exist.
	DeleteSubject(ctx context.Context, id string) error
	// ListSubjects returns subjects ordered by ID, at most limit of them
	// (0 means no limit), starting after the ID after.
	ListSubjects(ctx context.Context, after string, limit int) ([]*Subject, error)
	// FindSubjects returns every subject holding the identifier, ordered by
	// ID; none is not an error.
	FindSubjects(ctx context.Context, id Identifier) ([]*Subject, error)
	// GetSubjectByExternalID returns the subject with the data holder's key
	// (customer number), or ErrNotFound.
	GetSubjectByExternalID(ctx context.Context, externalID string) (*Subject, error)
	// UpsertSubjects stores a batch of subjects keyed by ExternalID, in one
	// transaction, as bulk imports need: a million customers, imported
	// again every night, must neither take hours nor duplicate anyone.
	//
	// The batch applies in order, as if one subject after the other (the
	// same external ID twice: the later applies on top of the earlier):
	//   - No subject has the external ID: the subject is stored as given
	//     (UpsertCreated).
	//   - One has: it keeps its ID and CreatedAt, and its PasswordHash and
	//     Username where the incoming ones are empty (an import carries no
	//     passwords, and a row without a username leaves the login alone);
	//     every other field, identifiers included, becomes the incoming
	//     one's, UpdatedAt too (UpsertUpdated). When that changes nothing
	//     but UpdatedAt, nothing is written (UpsertUnchanged).
	//   - The username is another subject's (stored, or earlier in the
	//     batch), or a new subject's ID is another subject's: that subject
	//     is skipped and reported in Conflicts (UpsertConflict); the rest
	//     of the batch goes in.
	//
	// The subjects are not modified. Returns a *ValidationError, writing
	// nothing, if a subject is nil or lacks ExternalID or ID (the ID is
	// used only when the subject is new); any other error (the database,
	// ctx) also means nothing was written. It never returns ErrConflict.
	//
	// A batch holds the store's write lock until it commits (on SQLite,
	// the only writer), so other writes wait for it: a couple of thousand
	// subjects a batch hold it for a fraction of a second.
	UpsertSubjects(ctx context.Context, subjects []*Subject) (UpsertResult, error)
}

// UpsertOutcome is what UpsertSubjects did with one subject of a batch.
type UpsertOutcome int

// Outcomes of UpsertSubjects, one per subject of a batch.
const (
	// UpsertCreated: no subject had the external ID; it is stored as given.
	UpsertCreated UpsertOutcome = iota + 1
	// UpsertUpdated: the subject with the external ID was changed.
	UpsertUpdated
	// UpsertUnchanged: the subject with the external ID already held the
	// incoming values; nothing was written.
	UpsertUnchanged
	// UpsertConflict: nothing was written for it; see
	// UpsertResult.Conflicts for why.
	UpsertConflict
)

// String names the outcome as an import summary does.
func (o UpsertOutcome) String() string {
	switch o {
	case UpsertCreated:
		return "created"
	case UpsertUpdated:
		return "updated"
	case UpsertUnchanged:
		return "unchanged"
	case UpsertConflict:
		return "conflict"
	}
	return fmt.Sprintf("UpsertOutcome(%d)", int(o))
}

// SubjectConflict reports a subject UpsertSubjects skipped because a
// unique value of it belongs to another subject. The caller decides what
// to tell whom (an import reports the file's line).
type SubjectConflict struct {
	// Index is the subject's position in the batch.
	Index int
	// Field is "username", or "id" when a new subject's ID is taken.
	Field string
	// HolderID is the ID of the subject holding the value.
	HolderID string
}

// UpsertResult is what UpsertSubjects did with a batch.
type UpsertResult struct {
	// Created, Updated and Unchanged count the subjects per outcome; the
	// conflicts are len(Conflicts).
	Created, Updated, Unchanged int
	// Outcomes holds one outcome per subject, in batch order.
	Outcomes []UpsertOutcome
	// Conflicts holds the skipped subjects, in batch order.
	Conflicts []SubjectConflict
}
