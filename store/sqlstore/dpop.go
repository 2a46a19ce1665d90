package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/keypadauth/keypad"
)

// UseDPoPProof records a DPoP proof until exp with one statement: an
// INSERT that, on a live record of the same hash, changes nothing. The
// primary key decides between concurrent callers, on one instance or on
// many; a record past its expiry (not purged yet) is taken over.
func (s *Store) UseDPoPProof(ctx context.Context, hash []byte, now, exp time.Time) error {
	var res sql.Result
	err := s.retry(ctx, func() (err error) {
		res, err = s.w.ExecContext(ctx, `INSERT INTO dpop_proofs (hash, expires_at) VALUES ($1, $3)
		ON CONFLICT (hash) DO UPDATE SET expires_at = excluded.expires_at
		WHERE dpop_proofs.expires_at <= $2`, hash, now.UnixMicro(), exp.UnixMicro())
		return err
	})
	if err != nil {
		return fmt.Errorf("use dpop proof: %w", dbErr(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("use dpop proof: %w", dbErr(err))
	}
	if n == 0 {
		return fmt.Errorf("use dpop proof: %w", keypad.ErrConflict)
	}
	return nil
}
