package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/keypadauth/keypad"
)

// Identifiers live twice: as JSON in subjects.identifiers, which is what
// reads return (order, duplicates and nil-ness intact), and as rows of
// subject_identifiers keyed by (type, value, subject_id), which is what
// FindSubjects searches.

const subjectCols = `id, external_id, username, password_hash, name, email, phone, identifiers, created_at, updated_at, preferred_language, disabled`

func scanSubject(r scanner) (*keypad.Subject, error) {
	var s keypad.Subject
	err := r.Scan(&s.ID, txt(&s.ExternalID), txt(&s.Username), &s.PasswordHash, &s.Name,
		&s.Email, &s.Phone, js(&s.Identifiers), tm(&s.CreatedAt), tm(&s.UpdatedAt),
		&s.PreferredLanguage, &s.Disabled)
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// CreateSubject stores a subject and indexes its identifiers; ErrConflict
// if the ID, username or external ID is taken.
func (s *Store) CreateSubject(ctx context.Context, sub *keypad.Subject) error {
	what := fmt.Sprintf("create subject %q", sub.ID)
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO subjects (`+subjectCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			sub.ID, nullable(sub.ExternalID), nullable(sub.Username), sub.PasswordHash, sub.Name,
			sub.Email, sub.Phone, dbJSON(sub.Identifiers), dbTime(sub.CreatedAt), dbTime(sub.UpdatedAt),
			sub.PreferredLanguage, sub.Disabled)
		if err != nil {
			return insertErr(what, err)
		}
		return indexIdentifiers(ctx, tx, what, sub)
	})
}

func indexIdentifiers(ctx context.Context, tx *sql.Tx, what string, sub *keypad.Subject) error {
	for _, id := range sub.Identifiers {
		_, err := tx.ExecContext(ctx, `INSERT INTO subject_identifiers (type, value, subject_id)
			VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, string(id.Type), id.Value, sub.ID)
		if err != nil {
			return fmt.Errorf("%s: index identifier: %w", what, dbErr(err))
		}
	}
	return nil
}

// GetSubject returns a subject by ID, or ErrNotFound.
func (s *Store) GetSubject(ctx context.Context, id string) (*keypad.Subject, error) {
	sub, err := scanSubject(s.readRow(ctx, `SELECT `+subjectCols+` FROM subjects WHERE id = $1`, id))
	if err != nil {
		return nil, readErr(fmt.Sprintf("get subject %q", id), err)
	}
	return sub, nil
}

// GetSubjectByUsername returns a subject by username, or ErrNotFound.
func (s *Store) GetSubjectByUsername(ctx context.Context, username string) (*keypad.Subject, error) {
	sub, err := scanSubject(s.db.QueryRowContext(ctx, `SELECT `+subjectCols+` FROM subjects WHERE username = $1`, username))
	if err != nil {
		return nil, readErr(fmt.Sprintf("get subject by username %q", username), err)
	}
	return sub, nil
}

// GetSubjectByExternalID returns a subject by the data holder's key, or
// ErrNotFound.
func (s *Store) GetSubjectByExternalID(ctx context.Context, externalID string) (*keypad.Subject, error) {
	sub, err := scanSubject(s.readRow(ctx, `SELECT `+subjectCols+` FROM subjects WHERE external_id = $1`, externalID))
	if err != nil {
		return nil, readErr(fmt.Sprintf("get subject by external ID %q", externalID), err)
	}
	return sub, nil
}

// UpdateSubject replaces a subject and its identifiers; ErrNotFound if
// there is none, ErrConflict if the new username or external ID is taken.
func (s *Store) UpdateSubject(ctx context.Context, sub *keypad.Subject) error {
	return s.updateSubject(ctx, sub, nil)
}

// updateSubject is UpdateSubject, when read is set only if the subject's
// updated_at is still *read; also ErrStale.
func (s *Store) updateSubject(ctx context.Context, sub *keypad.Subject, read *time.Time) error {
	what := fmt.Sprintf("update subject %q", sub.ID)
	return s.inTx(ctx, func(tx *sql.Tx) error { return s.writeSubjectIf(ctx, tx, what, sub, read) })
}

// writeSubject writes sub over its row and re-indexes its identifiers.
func (s *Store) writeSubject(ctx context.Context, tx *sql.Tx, what string, sub *keypad.Subject) error {
	return s.writeSubjectIf(ctx, tx, what, sub, nil)
}

// writeSubjectIf is writeSubject, when read is set only if the row's
// updated_at is still *read (ErrStale otherwise). Writing a disabled
// person ends everything they hold (disableSubject) in the same
// transaction, whichever interface disabled them (SCIM, the admin API).
func (s *Store) writeSubjectIf(ctx context.Context, tx *sql.Tx, what string, sub *keypad.Subject, read *time.Time) error {
	old, err := s.storedIdentifiers(ctx, tx, sub.ID)
	if err != nil && !errors.Is(err, keypad.ErrNotFound) { // none: the UPDATE says so
		return fmt.Errorf("%s: %w", what, dbErr(err))
	}
	cond, args := versionCond(read, []any{sub.ID, nullable(sub.ExternalID), nullable(sub.Username), sub.PasswordHash, sub.Name,
		sub.Email, sub.Phone, dbJSON(sub.Identifiers), dbTime(sub.CreatedAt), dbTime(sub.UpdatedAt),
		sub.PreferredLanguage, sub.Disabled})
	res, err := tx.ExecContext(ctx, `UPDATE subjects SET external_id = $2, username = $3,
		password_hash = $4, name = $5, email = $6, phone = $7, identifiers = $8,
		created_at = $9, updated_at = $10, preferred_language = $11, disabled = $12 WHERE id = $1`+cond, args...)
	if err := mustAffectIf(ctx, tx, what, "subjects", sub.ID, res, err); err != nil {
		return err
	}
	if err := dropIdentifierRows(ctx, tx, s.d, identRows(sub.ID, old)); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if sub.Disabled {
		if err := disableSubject(ctx, tx, what, sub.ID, sub.UpdatedAt); err != nil {
			return err
		}
	}
	return indexIdentifiers(ctx, tx, what, sub)
}

// DeleteSubject removes a subject and everything issued for it: grants,
// tokens, codes, device authorizations, sessions and OTP sessions.
// ErrNotFound if there is none.
func (s *Store) DeleteSubject(ctx context.Context, id string) error {
	return s.deleteSubject(ctx, id, nil)
}

// deleteSubject is DeleteSubject, when read is set only if the subject's
// updated_at is still *read; also ErrStale.
func (s *Store) deleteSubject(ctx context.Context, id string, read *time.Time) error {
	what := fmt.Sprintf("delete subject %q", id)
	cond, args := versionCond(read, []any{id})
	return s.inTx(ctx, func(tx *sql.Tx) error {
		old, err := s.storedIdentifiers(ctx, tx, id)
		if err != nil && !errors.Is(err, keypad.ErrNotFound) { // none: the DELETE says so
			return fmt.Errorf("%s: %w", what, dbErr(err))
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM subjects WHERE id = $1`+cond, args...)
		if err := mustAffectIf(ctx, tx, what, "subjects", id, res, err); err != nil {
			return err
		}
		if err := dropIdentifierRows(ctx, tx, s.d, identRows(id, old)); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		for _, table := range []string{"tokens", "grants", "auth_codes", "device_authorizations", "sessions", "otp_sessions"} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE subject = $1`, id); err != nil {
				return fmt.Errorf("%s: delete its %s: %w", what, table, dbErr(err))
			}
		}
		return nil
	})
}

// ListSubjects returns up to limit subjects (0: all) with IDs after after,
// ordered by ID: a page of a keyset pagination.
func (s *Store) ListSubjects(ctx context.Context, after string, limit int) ([]*keypad.Subject, error) {
	q := `SELECT ` + subjectCols + ` FROM subjects WHERE id > $1 ORDER BY id`
	args := []any{after}
	if limit > 0 {
		q += ` LIMIT $2`
		args = append(args, limit)
	}
	return list(ctx, s.db, "list subjects", scanSubject, q, args...)
}

// findSubjects searches the identifier index, then fetches by primary key:
// fast over millions of subjects (TestQueryPlans).
const findSubjects = `SELECT ` + subjectCols + ` FROM subjects WHERE id IN
	(SELECT subject_id FROM subject_identifiers WHERE type = $1 AND value = $2)
	ORDER BY id`

// FindSubjects returns the subjects holding an identifier, ordered by ID.
func (s *Store) FindSubjects(ctx context.Context, id keypad.Identifier) ([]*keypad.Subject, error) {
	return list(ctx, s.db, fmt.Sprintf("find subjects by %s", id.Type), scanSubject,
		findSubjects, string(id.Type), id.Value)
}
