package sqlstore

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps the hot queries prepared, once per pool. SQLite parses
// and plans a statement on every unprepared call, and for a primary-key
// read that was about half of its CPU; a *sql.Stmt is prepared on each
// connection of the pool the first time it runs there and kept. Only
// constant query texts go in, so the cache stays small.
type stmtCache struct {
	db *sql.DB
	m  sync.Map // query text → *sql.Stmt
}

// prepared returns the statement for query, preparing it on first use.
func (c *stmtCache) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := c.m.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if other, loaded := c.m.LoadOrStore(query, st); loaded {
		// Another goroutine prepared it first; use theirs.
		st.Close()
		return other.(*sql.Stmt), nil
	}
	return st, nil
}

// close closes every cached statement.
func (c *stmtCache) close() error {
	var first error
	c.m.Range(func(k, v any) bool {
		if err := v.(*sql.Stmt).Close(); err != nil && first == nil {
			first = err
		}
		c.m.Delete(k)
		return true
	})
	return first
}

// errRow is the row of a query that could not be prepared: scanning it
// reports why.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// readRow runs a constant single-row query on the read pool as a cached
// prepared statement.
func (s *Store) readRow(ctx context.Context, query string, args ...any) scanner {
	st, err := s.reads.prepared(ctx, query)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(ctx, args...)
}

// exec runs a constant statement on the write pool as a cached prepared
// statement.
func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := s.writes.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}
