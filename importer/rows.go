package importer

import (
	"errors"
	"fmt"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/identifier"
)

// validRow applies keypad.Subject.Validate to an imported person (a dry
// run has no ID yet), as a row error.
func validRow(s *keypad.Subject, line int) error {
	v := *s
	if v.ID == "" {
		v.ID = "drawn-later"
	}
	var ve *keypad.ValidationError
	if err := v.Validate(); errors.As(err, &ve) {
		return &identifier.RowError{Line: line, Field: ve.Field, Reason: ve.Message}
	} else if err != nil {
		return err
	}
	return nil
}

// clash is the row error for a person whose username, or whose derived
// keypad ID, another person holds.
func clash(s *keypad.Subject, line int, c keypad.SubjectConflict) error {
	if c.Field == "username" {
		return &identifier.RowError{Line: line, Field: "username", Reason: fmt.Sprintf(
			"%q already belongs to another person (keypad ID %s); change the row's username or that person's", s.Username, c.HolderID)}
	}
	return &identifier.RowError{Line: line, Field: "external_id", Reason: fmt.Sprintf(
		"%q would get keypad ID %s, which a person with another external ID holds (changed by hand?); give them back external_id %q, or delete them",
		s.ExternalID, c.HolderID, s.ExternalID)}
}

// StoreError is a store failure that stopped an import: the batch of
// lines FirstLine to LastLine was not written (the batches before it
// were).
type StoreError struct {
	FirstLine, LastLine int
	Err                 error
}

// Error names the lines of the batch that was not written.
func (e *StoreError) Error() string {
	return fmt.Sprintf("store the people of lines %d to %d: %v", e.FirstLine, e.LastLine, e.Err)
}

// Unwrap gives the store's error.
func (e *StoreError) Unwrap() error { return e.Err }
