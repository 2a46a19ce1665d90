package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Hit counts one event on a fixed-window counter with a single upsert, so
// concurrent hits on any number of instances each get a distinct count. A
// window that ended at or before now restarts at 1.
func (s *Store) Hit(ctx context.Context, key string, window time.Duration, now time.Time) (int64, error) {
	var n int64
	err := s.retry(ctx, func() error {
		return s.w.QueryRowContext(ctx, `INSERT INTO counters (name, hits, window_end) VALUES ($1, 1, $3)
		ON CONFLICT (name) DO UPDATE SET
			hits = CASE WHEN counters.window_end <= $2 THEN 1 ELSE counters.hits + 1 END,
			window_end = CASE WHEN counters.window_end <= $2 THEN $3 ELSE counters.window_end END
		RETURNING hits`, key, now.UnixMicro(), now.Add(window).UnixMicro()).Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("count %q: %w", key, dbErr(err))
	}
	return n, nil
}

// Count returns a counter's value in its current window, 0 if it has none.
func (s *Store) Count(ctx context.Context, key string, now time.Time) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT hits FROM counters
		WHERE name = $1 AND window_end > $2`, key, now.UnixMicro()).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read counter %q: %w", key, dbErr(err))
	}
	return n, nil
}

// Unhit takes back one hit made at chargedAt with window: only from the
// window that held chargedAt (it ends after chargedAt and no later than
// chargedAt+window; any later window ends later than that). A counter at
// 0, missing, or in another window is left alone.
func (s *Store) Unhit(ctx context.Context, key string, window time.Duration, chargedAt time.Time) error {
	if err := s.retry(ctx, func() error {
		_, err := s.w.ExecContext(ctx, `UPDATE counters SET hits = hits - 1
		WHERE name = $1 AND window_end > $2 AND window_end <= $3 AND hits > 0`,
			key, chargedAt.UnixMicro(), chargedAt.Add(window).UnixMicro())
		return err
	}); err != nil {
		return fmt.Errorf("take back a hit of %q: %w", key, dbErr(err))
	}
	return nil
}

// ResetCounter deletes a counter; a missing one is not an error.
func (s *Store) ResetCounter(ctx context.Context, key string) error {
	if err := s.retry(ctx, func() error {
		_, err := s.w.ExecContext(ctx, `DELETE FROM counters WHERE name = $1`, key)
		return err
	}); err != nil {
		return fmt.Errorf("reset counter %q: %w", key, dbErr(err))
	}
	return nil
}
