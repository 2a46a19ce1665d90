package postgres

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/store/sqlstore"
)

// Back-off between reconnections of the change listener: it doubles from
// minBackoff up to maxBackoff, with jitter, and starts again from
// minBackoff after a connection that lived longer than maxBackoff.
const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// ListenerApplicationName is the application_name of the listener's
// connection followed by a colon and its schema, so operators (and tests)
// can find it in pg_stat_activity.
const ListenerApplicationName = "keypad-listen"

// listener returns the Watcher of a PostgreSQL store: a dedicated
// connection that LISTENs on sqlstore.ChangeChannel. Notifications are
// sent by the transactions that change clients or keys, whichever process
// runs them, so they reach every instance as soon as the change commits.
//
// A notification sent while the connection is down is lost, so each time
// the listener (re)connects it reports keypad.ChangeAll after LISTEN
// succeeded: the caller drops every cache and reads afresh. A lost
// connection is reported at once too (with the error), so caches are not
// trusted while nobody listens.
func listener(dsn string) sqlstore.Watcher {
	return func(ctx context.Context, fn func(keypad.Change, error)) {
		backoff := minBackoff
		// An outage is reported once, not at every failed reconnection:
		// the caches are already dropped, and the ChangeAll that follows a
		// successful LISTEN drops them again.
		reported := false
		heard := func(c keypad.Change, err error) {
			reported = false
			fn(c, err)
		}
		for {
			started := time.Now()
			err := listenOnce(ctx, dsn, heard)
			if ctx.Err() != nil {
				return
			}
			if !reported {
				fn(keypad.ChangeAll, fmt.Errorf("listen for changes: %w (reconnecting)", err))
				reported = true
			}
			if time.Since(started) > maxBackoff {
				backoff = minBackoff
			}
			t := time.NewTimer(backoff + rand.N(backoff))
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			backoff = min(2*backoff, maxBackoff)
		}
	}
}

// listenOnce connects, listens and reports notifications until the
// connection fails or ctx ends.
func listenOnce(ctx context.Context, dsn string, fn func(keypad.Change, error)) error {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() {
		// A dead peer must not hold the listener: closing waits a second at most.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	var schema string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, `SELECT set_config('application_name', $1, false)`, ListenerApplicationName+":"+schema); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+sqlstore.ChangeChannel); err != nil {
		return err
	}
	fn(keypad.ChangeAll, nil)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if c := sqlstore.ChangeOf(schema, n.Payload); c != 0 {
			fn(c, nil)
		}
	}
}
