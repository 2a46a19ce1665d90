package sqlite

import (
	"context"
	"database/sql"
	"time"
)

// checkpointEvery paces the background checkpoint. Each checkpoint copies
// the pages written since the last one and syncs the database file;
// smaller, more frequent ones keep each sync short. At 1,000 opaque
// tokens a second, 250 ms instead of 1 s took the soak's p99 from 5–10 ms
// to about 4 ms while the database fit the writer's cache
// (docs/performance.md).
const checkpointEvery = 250 * time.Millisecond

// checkpointer copies the WAL back into the database file every
// checkpointEvery, from a reader connection, until stop is called.
//
// Left to SQLite, the checkpoint runs inside the commit that crosses
// wal_autocheckpoint pages, on the one writer connection: that commit,
// and every request queued behind it, waits while tens of megabytes are
// copied and fsynced. A PASSIVE checkpoint on another connection takes no
// write lock, so commits go on meanwhile, and it does nearly all of that
// copying. What it cannot do under steady writes is end the WAL: SQLite
// starts the WAL file over only when a write begins with every frame
// copied, and at a thousand commits a second some always land during a
// checkpoint. So the WAL still grows to wal_autocheckpoint frames, and
// the writer's own checkpoint then copies what the background one has
// not and syncs twice, about every two seconds at that rate;
// the next commit syncs the new WAL header. Measured in the soak, those
// writer syncs took 1.8 ms on average (docs/performance.md).
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
