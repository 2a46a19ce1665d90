package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"time"
)

// maxAttempts bounds how often a transaction (or a single statement)
// runs when it keeps losing races: PostgreSQL serialization failures
// (SQLSTATE 40001, the everyday answer of SERIALIZABLE databases such as
// CockroachDB under contention) and deadlocks (40P01). Past it the error
// is ErrUnavailable: the caller answers 503 and the client retries.
const maxAttempts = 12

// maxBackoff caps one wait between attempts.
const maxBackoff = time.Second

// inTx runs fn in a write transaction and commits it, running it again
// when the database says it raced another transaction. fn must therefore
// be safe to repeat. An error from fn rolls back and is returned as is.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.retry(ctx, func() error { return s.tryTx(ctx, s.w, fn) })
}

// beginner is what *sql.DB and *sql.Conn have in common.
type beginner interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// inTurn is inTx for transactions that would otherwise keep losing to
// each other (bulk imports writing the same rows): on PostgreSQL the
// dialect's session lock (turn) is taken on one connection before the
// transaction begins, so under SERIALIZABLE each transaction's snapshot
// starts after the previous holder committed and racers take turns
// instead of failing with 40001 again and again. Without a lock it is
// inTx.
func (s *Store) inTurn(ctx context.Context, turn [2]string, fn func(tx *sql.Tx) error) error {
	if turn[0] == "" {
		return s.inTx(ctx, fn)
	}
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return fmt.Errorf("take a connection: %w", dbErr(err))
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, turn[0]); err != nil {
		return fmt.Errorf("take lock: %w", dbErr(err))
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), turn[1])
	return s.retry(ctx, func() error { return s.tryTx(ctx, conn, fn) })
}

// retry runs fn, a whole transaction (or one statement in autocommit,
// which is its own transaction), again while it fails only because it
// raced another transaction: such a failure rolled back everything fn
// did, so running it again cannot write twice. A race still lost after
// maxAttempts is returned marked ErrUnavailable (see dbErr).
func (s *Store) retry(ctx context.Context, fn func() error) error {
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || !isRetryable(err) || attempt == maxAttempts {
			return dbErr(err)
		}
		// Jittered exponential back-off: 1ms, 2ms, 4ms, ... (at most
		// maxBackoff) so racing transactions do not collide again in
		// lock-step.
		d := min(time.Duration(1<<(attempt-1))*time.Millisecond, maxBackoff)
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

func (s *Store) tryTx(ctx context.Context, db beginner, fn func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
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
