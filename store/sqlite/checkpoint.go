package sqlite

import (
	"context"
	"database/sql"
	"time"
)

// checkpointEvery paces the background checkpoint.
const checkpointEvery = time.Second

// checkpointer copies the WAL back into the database file every
// checkpointEvery, from a reader connection, until stop is called.
//
// Left to SQLite, the checkpoint runs inside the commit that crosses
// wal_autocheckpoint pages, on the one writer connection: that commit,
// and every request queued behind it, waits while tens of megabytes are
// copied and fsynced. A PASSIVE checkpoint on another connection takes no
// write lock, so commits go on meanwhile, and run every second it keeps
// the WAL far below the autocheckpoint threshold, which stays only as a
// backstop for processes without this goroutine.
func checkpointer(r *sql.DB) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(checkpointEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				// An error (SQLITE_BUSY while another checkpoint runs)
				// only means this round is skipped.
				r.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`)
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}
