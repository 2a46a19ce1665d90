package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/keypadauth/keypad"
)

// ModifySubject reads a subject holding its row, lets fn change it and
// writes it back, in one transaction; a disabled result also ends
// everything the subject holds (writeSubjectIf) in that transaction.
func (s *Store) ModifySubject(ctx context.Context, id string, now time.Time, fn func(*keypad.Subject) error) (*keypad.Subject, error) {
	what := fmt.Sprintf("modify subject %q", id)
	var out *keypad.Subject
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		sub, err := scanSubject(tx.QueryRowContext(ctx, `SELECT `+subjectCols+` FROM subjects WHERE id = $1`+s.d.forUpdate, id))
		if err != nil {
			return readErr(what, err)
		}
		if err := fn(sub); err != nil {
			return err
		}
		if sub.ID != id {
			return fmt.Errorf("%s: the update changed the ID to %q", what, sub.ID)
		}
		if err := s.writeSubject(ctx, tx, what, sub); err != nil {
			return err
		}
		out = sub
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// disableSubject revokes a subject's grants and tokens (keeping the first
// revocation time of those revoked before) and deletes what could still
// turn into a grant or a signed-in page: browser sessions, authorization
// codes, OTP sessions and CIBA requests.
func disableSubject(ctx context.Context, tx *sql.Tx, what, id string, now time.Time) error {
	for _, table := range []string{"grants", "tokens"} {
		if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET revoked_at = $2
			WHERE subject = $1 AND revoked_at IS NULL`, id, dbTime(now)); err != nil {
			return fmt.Errorf("%s: revoke its %s: %w", what, table, dbErr(err))
		}
	}
	for _, table := range []string{"sessions", "auth_codes", "otp_sessions", "ciba_requests"} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE subject = $1`, id); err != nil {
			return fmt.Errorf("%s: delete its %s: %w", what, table, dbErr(err))
		}
	}
	return nil
}
