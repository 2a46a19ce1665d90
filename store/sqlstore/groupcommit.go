package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"sync"
	"time"
)

// groupCommit commits the opaque token endpoint's inserts together on
// SQLite. Each insert alone is a transaction, and a commit writes the
// changed pages to the WAL with a handful of system calls: with one
// writer connection, commits, not the inserts, bound how many opaque
// tokens a second keypad issues. Inserts that arrive while a batch is
// being written wait for the next batch, which writes all of them in one
// transaction. A lone insert waits for nothing: it starts a batch of one
// at once. Durability does not change (each caller returns only once its
// row is committed), and a batch that fails is run again row by row, so
// each caller gets its own row's outcome (a duplicate hash is that
// caller's ErrConflict, no one else's).
type groupCommit struct {
	// query is the INSERT each row runs.
	query string

	mu      sync.Mutex
	queue   []*pendingRow
	writing bool // a drain goroutine is running
	// wake tells a drain goroutine waiting for more rows (linger) that
	// one has come.
	wake chan struct{}
	// linger overrides defaultLinger (tests).
	linger time.Duration
}

// pendingRow is one caller's row and, once done is closed, its outcome.
type pendingRow struct {
	args []any
	err  error
	done chan struct{}
}

// maxGroup bounds a batch: a transaction of a few hundred small inserts
// holds the writer for a few milliseconds at most.
const maxGroup = 256

// groupTimeout bounds one batch's transaction; the batch does not run on
// any one caller's context, since it serves many.
const groupTimeout = 30 * time.Second

// defaultLinger is how long a drain goroutine waits for the next row before it
// ends. A new goroutine starts with a small stack, and SQLite's parser
// (modernc runs the C code as Go) grows it to tens of kilobytes, copying
// it at each doubling: at a steady 1,000 tokens a second, one new
// goroutine per token spent 4 % of keypad's CPU growing stacks. One that
// lingers keeps its stack while rows keep coming.
const defaultLinger = 50 * time.Millisecond

// insert runs query with args in the next batch and returns once it is
// committed (or failed), or ctx ends first (the row may still be
// written; nothing refers to it).
func (g *groupCommit) insert(ctx context.Context, s *Store, args []any) error {
	p := &pendingRow{args: args, done: make(chan struct{})}
	g.mu.Lock()
	g.queue = append(g.queue, p)
	start := !g.writing
	g.writing = true
	if g.wake == nil {
		g.wake = make(chan struct{}, 1)
	}
	wake := g.wake
	g.mu.Unlock()
	if start {
		go g.drain(s)
	} else {
		select {
		case wake <- struct{}{}:
		default: // already told
		}
	}
	select {
	case <-p.done:
		return p.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// drain writes batches until the queue has stayed empty for linger.
func (g *groupCommit) drain(s *Store) {
	linger := cmp.Or(g.linger, defaultLinger)
	idle := time.NewTimer(linger)
	defer idle.Stop()
	for {
		g.mu.Lock()
		n := min(len(g.queue), maxGroup)
		if n == 0 {
			g.mu.Unlock()
			idle.Reset(linger)
			select {
			case <-g.wake:
				continue
			case <-idle.C:
			}
			// Ending: but only if no row came meanwhile, which insert
			// left for this goroutine since writing was still true.
			g.mu.Lock()
			if len(g.queue) > 0 {
				g.mu.Unlock()
				continue
			}
			g.writing = false
			g.mu.Unlock()
			return
		}
		batch := g.queue[:n:n]
		g.queue = g.queue[n:]
		if len(g.queue) == 0 {
			g.queue = nil // let the written rows go
		}
		g.mu.Unlock()
		g.write(s, batch)
	}
}

// write commits batch in one transaction, or, when that fails, each row
// on its own; then tells every caller.
func (g *groupCommit) write(s *Store, batch []*pendingRow) {
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	defer cancel()
	// Prepared before the transaction: on the one-connection pool a
	// statement prepared inside it would wait for the connection the
	// transaction holds.
	st, err := s.writes.prepared(ctx, g.query)
	if err == nil {
		err = s.inTx(ctx, func(tx *sql.Tx) error {
			txst := tx.StmtContext(ctx, st)
			for _, p := range batch {
				if _, err := txst.ExecContext(ctx, p.args...); err != nil {
					return err
				}
			}
			return nil
		})
	}
	for _, p := range batch {
		switch {
		case err == nil:
		case len(batch) == 1:
			p.err = err
		default:
			_, p.err = s.exec(ctx, g.query, p.args...)
		}
		close(p.done)
	}
}
