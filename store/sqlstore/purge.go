package sqlstore

import (
	"context"
	"fmt"
	"strconv"
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
	{"ciba_requests", "expires_at"},
	{"counters", "window_end"},
	{"dpop_proofs", "expires_at"},
	{"pushed_requests", "expires_at"},
	{"idempotency_keys", "expires_at"},
	{"initial_access_tokens", "expires_at"},
}

type purge struct{ table, column string }

// purgeBatch is how many rows one purge statement deletes at most. At a
// thousand opaque tokens a second, ten minutes of expired tokens are
// 600,000 rows: deleted in one statement they held SQLite's only writer
// for seconds, and every token request queued behind it. A batch of 500
// takes a few milliseconds, and requests get the writer in between.
const purgeBatch = 500

func (p purge) query(d *Dialect) string {
	return `DELETE FROM ` + p.table + ` WHERE ` + d.rowID + ` IN (SELECT ` + d.rowID + ` FROM ` + p.table +
		` WHERE ` + p.column + ` <= $1 LIMIT ` + strconv.Itoa(purgeBatch) + `)`
}

// PurgeExpired deletes every record whose life ended at or before now and
// returns how many went. Each table is purged purgeBatch rows per
// statement (each its own transaction), so a large purge never holds
// SQLite's write lock for long, and after each full batch it waits as
// long as the batch took: however large the backlog, the purge holds the
// writer at most half the time, and the pause lets the requests queued
// behind a batch (each a write far shorter than the batch) through
// before the next. database/sql hands a freed connection to a random
// waiter, so without the pause a purge could win the writer back again
// and again.
func (s *Store) PurgeExpired(ctx context.Context, now time.Time) (int, error) {
	total := 0
	for _, p := range purges {
		query := p.query(s.d)
		for {
			start := time.Now()
			res, err := s.exec(ctx, query, now.UnixMicro())
			if err != nil {
				return total, fmt.Errorf("purge %s: %w", p.table, dbErr(err))
			}
			n, err := res.RowsAffected()
			if err != nil {
				return total, fmt.Errorf("purge %s: %w", p.table, dbErr(err))
			}
			total += int(n)
			if n < purgeBatch {
				break
			}
			if err := pause(ctx, time.Since(start)); err != nil {
				return total, err
			}
		}
	}
	return total, nil
}

// pause waits d, or until ctx ends.
func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
