package sqlstore

import (
	"context"
	"fmt"
	"time"
)

// purges lists, per table, the column whose time ends a record's life.
// Records without that time (NULL: never expires) stay.
var purges = []purge{
	{"tokens", "expires_at"},
	{"revoked_jtis", "expires_at"},
	{"auth_codes", "expires_at"},
	{"device_authorizations", "expires_at"},
	{"sessions", "expires_at"},
	{"otp_sessions", "expires_at"},
	{"otp_sends", "expires_at"},
	{"counters", "window_end"},
	{"dpop_proofs", "expires_at"},
	{"pushed_requests", "expires_at"},
}

type purge struct{ table, column string }

func (p purge) query() string {
	return `DELETE FROM ` + p.table + ` WHERE ` + p.column + ` <= $1`
}

// PurgeExpired deletes every record whose life ended at or before now and
// returns how many went. Each table is purged in its own statement so a
// large purge never holds SQLite's write lock for long.
func (s *Store) PurgeExpired(ctx context.Context, now time.Time) (int, error) {
	total := 0
	for _, p := range purges {
		res, err := s.w.ExecContext(ctx, p.query(), now.UnixMicro())
		if err != nil {
			return total, fmt.Errorf("purge %s: %w", p.table, dbErr(err))
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("purge %s: %w", p.table, dbErr(err))
		}
		total += int(n)
	}
	return total, nil
}
