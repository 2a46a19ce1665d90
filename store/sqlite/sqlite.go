// Package sqlite opens keypad's embedded default store: a SQLite database
// file through modernc.org/sqlite (pure Go, no cgo).
//
// The database runs in WAL mode with synchronous=NORMAL: readers never
// block the writer, and a commit costs no fsync (a power cut may lose the
// last commits, never corrupt the file). Writes go through one connection,
// so concurrent writers queue in Go rather than spin on SQLite's lock; reads
// use a pool of their own.
package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/keypadauth/keypad/store/sqlstore"
)

// busyTimeout is how long a statement waits for another process holding
// the write lock (a second keypad, `keypad migrate`) before failing.
const busyTimeout = 10 * time.Second

// Page caches, which with Go's heap set the process's memory: the one
// writer's is large (bulk imports touch index pages all over a big
// database), each reader's small (the OS page cache holds the file
// anyway). At most writerCacheKiB + readers × readerCacheKiB, 72 MiB on a
// 2-core machine (docs/performance.md).
const (
	writerCacheKiB = 64 << 10
	readerCacheKiB = 2 << 10
)

// Open opens (creating if need be) the SQLite database at path. It does
// not migrate: run (*sqlstore.Store).Migrate, or check with CheckSchema.
func Open(ctx context.Context, path string) (*sqlstore.Store, error) {
	if path == "" {
		return nil, fmt.Errorf("open sqlite: empty path: give a file name such as keypad.db")
	}
	if strings.ContainsAny(path, "?#") || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("open sqlite %q: give a plain file path (no '?', '#', file: or :memory:)", path)
	}
	q := url.Values{}
	for _, p := range []string{
		"journal_mode(WAL)",
		"synchronous(NORMAL)",
		fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()),
		"foreign_keys(1)",
		// Checkpoint every ~40 MB of WAL rather than every 4 MB: a
		// checkpoint fsyncs, and at thousands of tokens a second the
		// default one stalls the writer several times a second.
		"wal_autocheckpoint(10000)",
		// Cut the WAL file back after a checkpoint so it does not stay big.
		"journal_size_limit(67108864)",
		// Statement journals (which let a multi-row INSERT that fails a
		// constraint undo itself without undoing its transaction) in
		// memory rather than in a temporary file: an import wrote every
		// page its inserts touched to that file, a tenth of its time.
		// They hold at most the pages one statement dirties.
		"temp_store(MEMORY)",
	} {
		q.Add("_pragma", p)
	}
	// BEGIN IMMEDIATE: a transaction takes the write lock when it starts,
	// so two read-modify-writes never deadlock upgrading their locks.
	q.Set("_txlock", "immediate")
	rq := url.Values{}
	for k, v := range q {
		rq[k] = slices.Clone(v)
	}
	rq.Add("_pragma", fmt.Sprintf("cache_size(%d)", -readerCacheKiB))
	dsn := path + "?" + rq.Encode()
	// The writer's page cache is 64 MiB rather than 2: bulk imports touch
	// index pages all over a database of millions of subjects, and every
	// page not cached is read again and, once dirty, spilled to the WAL
	// before the commit writes it once more. Readers keep the default.
	q.Add("_pragma", fmt.Sprintf("cache_size(%d)", -writerCacheKiB))
	writerDSN := path + "?" + q.Encode()

	w, err := sql.Open("sqlite", writerDSN)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %q: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	// The writer opens first so it creates the file and switches it to WAL
	// before any reader looks.
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %q: %w (does the directory exist and can keypad write to it?)", path, err)
	}

	r, err := sql.Open("sqlite", dsn)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %q: %w", path, err)
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	r.SetConnMaxIdleTime(0)
	if err := r.PingContext(ctx); err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("open sqlite %q: %w", path, err)
	}
	s := sqlstore.New(sqlstore.SQLite, r, w)
	s.OnClose(checkpointer(r))
	return s, nil
}
