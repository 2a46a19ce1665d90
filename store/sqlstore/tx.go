package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"time"
)

// maxAttempts bounds how often a transaction runs when it keeps losing
// races (PostgreSQL serialization failures and deadlocks).
const maxAttempts = 8

// inTx runs fn in a write transaction and commits it, running it again
// when the database says it raced another transaction. fn must therefore
// be safe to repeat. An error from fn rolls back and is returned as is.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.tryTx(ctx, fn)
		if err == nil || !isRetryable(err) || attempt == maxAttempts {
			return dbErr(err)
		}
		// Jittered exponential back-off: 1ms, 2ms, 4ms, ... so racing
		// transactions do not collide again in lock-step.
		d := time.Duration(1<<(attempt-1)) * time.Millisecond
		d += rand.N(d)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("retry transaction: %w", ctx.Err())
		case <-t.C:
		}
	}
}

func (s *Store) tryTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", dbErr(err))
	}
	// Roll back on every way out but a commit, a panic in fn included: an
	// open transaction would hold SQLite's only writer for good.
	done := false
	defer func() {
		if !done {
			_ = tx.Rollback()
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	done = true
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", dbErr(err))
	}
	return nil
}

// readModifyWrite loads one row with sel (holding its lock until commit),
// lets fn change it and stores it with write, in one transaction. A row
// that is missing or unreadable is reported as readErr does, under what. If fn
// fails nothing is written and fn's error is returned unchanged. fn must
// not use the store: on SQLite the transaction holds the only writer.
func readModifyWrite[T any](ctx context.Context, s *Store, what, sel string, key []byte,
	scan func(scanner) (*T, error), fn func(*T) error,
	write func(context.Context, *sql.Tx, *T) error,
) (*T, error) {
	var out *T
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		v, err := scan(tx.QueryRowContext(ctx, sel+s.d.forUpdate, key))
		if err != nil {
			return readErr(what, err)
		}
		if err := fn(v); err != nil {
			return err
		}
		if err := write(ctx, tx, v); err != nil {
			return err
		}
		out = v
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
