// Package sqlstore implements keypad.Store once, on database/sql, for every
// SQL backend keypad supports. The backends (store/sqlite, store/postgres)
// only open the database and pick a Dialect; the SQL itself is shared, so
// SQLite and PostgreSQL behave alike and pass the one conformance suite in
// store/storetest.
//
// Representation, the same in every table:
//   - times are BIGINT unix microseconds, UTC; NULL is the zero time. Times
//     therefore round-trip at microsecond precision.
//   - durations are BIGINT nanoseconds.
//   - lists and documents (scopes, options, channels, session data) are
//     JSON text, so nil and empty slices stay apart; subject identifiers
//     also go to an indexed table for FindSubjects.
//   - secrets are never stored: only their keypad.SecretHash (or, for
//     opaque access and refresh tokens, keypad.TokenKey).
//
// Single-use records are consumed with one conditional UPDATE; Update*
// methods lock the row for the length of the callback; PostgreSQL
// transactions are retried on serialization failures and deadlocks.
//
// Ownership: this package owns the schema and the SQL, not the rules. It
// writes what its callers decide — flow state only as package oauth asks,
// the pages' sessions and audit events as package web asks — and the
// conformance suite in store/storetest, not this code, is the contract.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/keypadauth/keypad"
)

// Store is keypad.Store on a SQL database.
type Store struct {
	d *Dialect
	// db serves reads; w serves writes and transactions. They are the same
	// pool except on SQLite, where one writer connection lets writers
	// queue in Go instead of spinning on the database lock.
	db, w *sql.DB
	// reads and writes keep the hot statements prepared on db and w (one
	// cache when they are the same pool).
	reads, writes *stmtCache
	// watch delivers changes for WatchChanges (nil: poll).
	watch Watcher
	// tokens groups CreateToken's inserts into shared commits on SQLite's
	// one writer (nil: each insert commits alone, as on PostgreSQL, whose
	// writers run in parallel).
	tokens *groupCommit
	// onClose runs first in Close: a backend's background work (SQLite's
	// checkpointer) stops before the pools close.
	onClose []func()
}

// OnClose has Close call f before it closes the pools; a backend uses it
// to stop background work it started on them.
func (s *Store) OnClose(f func()) { s.onClose = append(s.onClose, f) }

// ReadDB returns the pool that takes reads (the same as DB except on
// SQLite), for a backend's own maintenance statements.
func (s *Store) ReadDB() *sql.DB { return s.db }

var _ keypad.Store = (*Store)(nil)

// New returns a Store on db speaking dialect d. writeDB, when not nil,
// takes every write and transaction (SQLite passes a one-connection pool
// here); otherwise db takes everything. The Store owns the pools: Close
// closes them.
func New(d *Dialect, db, writeDB *sql.DB) *Store {
	if writeDB == nil {
		writeDB = db
	}
	s := &Store{d: d, db: db, w: writeDB, reads: &stmtCache{db: db}}
	s.writes = s.reads
	if writeDB != db {
		s.writes = &stmtCache{db: writeDB}
		s.tokens = &groupCommit{query: insertToken}
	}
	return s
}

// DB returns the pool that takes writes, for tests and tools that need raw
// SQL (a schema check, a benchmark's set-up). Keypad itself never needs it.
func (s *Store) DB() *sql.DB { return s.w }

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s: %w", s.d.name, dbErr(err))
	}
	return nil
}

// CheckWritable reports whether the database takes writes: a read-only
// file or replica, a full disk or a default_transaction_read_only
// session pass a ping yet fail every token request. It rewrites the
// schema version row with its own value in a committed transaction, which
// changes no data but goes all the way to the disk (or the WAL). Errors
// wrap keypad.ErrUnavailable.
func (s *Store) CheckWritable(ctx context.Context) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE schema_version SET version = version WHERE version = (SELECT MAX(version) FROM schema_version)`)
		return err
	})
	if err != nil {
		return fmt.Errorf("write to %s: %w", s.d.name, dbErr(err))
	}
	return nil
}

// Close closes the database pools.
func (s *Store) Close() error {
	for _, f := range s.onClose {
		f()
	}
	s.onClose = nil
	err := s.reads.close()
	if s.writes != s.reads {
		err = errors.Join(err, s.writes.close())
	}
	err = errors.Join(err, s.db.Close())
	if s.w != s.db {
		err = errors.Join(err, s.w.Close())
	}
	return err
}
