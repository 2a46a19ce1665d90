package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/keypadauth/keypad"
)

// ChangeChannel is the PostgreSQL notification channel on which every
// write to cached state (clients, signing keys) announces itself. The
// payload is "SCHEMA:NAME": the writer's schema (channels are per
// database, and keypads in other schemas must not be disturbed) and the
// name of the cache_generations row it bumped.
const ChangeChannel = "keypad_changes"

// PollInterval is how often WatchChanges reads cache_generations when no
// notification channel is set (SQLite): a change made by another process
// is seen within this bound.
const PollInterval = 250 * time.Millisecond

// changeNames maps each kind of change to its cache_generations row.
var changeNames = map[keypad.Change]string{keypad.ChangeClients: "clients", keypad.ChangeKeys: "keys"}

// ChangeOf returns the change a notification payload names for schema
// (0 if none, or if it is another schema's).
func ChangeOf(schema, payload string) keypad.Change {
	s, name, ok := strings.Cut(payload, ":")
	if !ok || s != schema {
		return 0
	}
	for c, n := range changeNames {
		if n == name {
			return c
		}
	}
	return 0
}

// bump records, inside tx, that the state c names changed: its
// generation row goes up by one and, on PostgreSQL, listeners are
// notified when tx commits (never if it rolls back).
func (s *Store) bump(ctx context.Context, tx *sql.Tx, c keypad.Change) error {
	name := changeNames[c]
	if _, err := tx.ExecContext(ctx, `UPDATE cache_generations SET generation = generation + 1 WHERE name = $1`, name); err != nil {
		return fmt.Errorf("bump %s generation: %w", name, dbErr(err))
	}
	if s.d.notify != "" {
		if _, err := tx.ExecContext(ctx, s.d.notify, ChangeChannel, name); err != nil {
			return fmt.Errorf("notify %s change: %w", name, dbErr(err))
		}
	}
	return nil
}

// execChange runs one write statement and bumps c's generation in the
// same transaction; res is the statement's result.
func (s *Store) execChange(ctx context.Context, c keypad.Change, check func(sql.Result, error) error, query string, args ...any) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if err := check(res, err); err != nil {
			return err
		}
		return s.bump(ctx, tx, c)
	})
}

// generations reads every cache_generations row.
func (s *Store) generations(ctx context.Context) (map[string]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, generation FROM cache_generations`)
	if err != nil {
		return nil, dbErr(err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var name string
		var g int64
		if err := rows.Scan(&name, &g); err != nil {
			return nil, dbErr(err)
		}
		out[name] = g
	}
	return out, dbErr(rows.Err())
}

// Watcher is how a backend delivers changes instead of polling
// cache_generations (PostgreSQL: LISTEN on ChangeChannel).
type Watcher func(ctx context.Context, fn func(keypad.Change, error))

// WithWatcher makes WatchChanges use w. Backends call it once, before
// returning the Store.
func (s *Store) WithWatcher(w Watcher) *Store {
	s.watch = w
	return s
}

// WatchChanges implements keypad.ChangeWatcher: through the backend's
// Watcher when it has one, else by reading cache_generations every
// PollInterval (so a change by another process is seen within it).
func (s *Store) WatchChanges(ctx context.Context, fn func(keypad.Change, error)) {
	if s.watch != nil {
		s.watch(ctx, fn)
		return
	}
	s.poll(ctx, PollInterval, fn)
}

// poll compares the generations every interval and reports each kind
// that moved. A failed read reports ChangeAll with the error once, and
// the next good read starts afresh with ChangeAll: what changed meanwhile
// is unknown.
func (s *Store) poll(ctx context.Context, interval time.Duration, fn func(keypad.Change, error)) {
	var last map[string]int64
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		gens, err := s.generations(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			if last != nil {
				fn(keypad.ChangeAll, fmt.Errorf("read cache generations: %w", err))
			}
			last = nil
		case last == nil:
			fn(keypad.ChangeAll, nil)
			last = gens
		default:
			var c keypad.Change
			for kind, name := range changeNames {
				if gens[name] != last[name] {
					c |= kind
				}
			}
			if c != 0 {
				fn(c, nil)
			}
			last = gens
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
