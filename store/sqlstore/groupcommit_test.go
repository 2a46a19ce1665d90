package sqlstore

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// TestGroupCommitLinger: with a drain goroutine that lingers only a
// microsecond, nearly every burst of inserts meets one that is about to
// end, or has just ended; every row must still be committed, and every
// caller must hear so (a row left in the queue by an ending goroutine
// would keep its caller waiting until the deadline).
func TestGroupCommitLinger(t *testing.T) {
	path := filepath.Join(t.TempDir(), "group.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	w.SetMaxOpenConns(1)
	s := New(SQLite, db, w)
	t.Cleanup(func() { s.Close() })
	if _, err := w.ExecContext(t.Context(), `CREATE TABLE rows (v INTEGER NOT NULL PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	g := &groupCommit{query: `INSERT INTO rows (v) VALUES ($1)`, linger: time.Microsecond}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	const rounds, most = 300, 6
	n := 0
	for r := range rounds {
		var wg sync.WaitGroup
		errs := make(chan error, most)
		for range r%most + 1 {
			n++
			v := n
			wg.Go(func() { errs <- g.insert(ctx, s, []any{v}) })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("round %d: insert: %v", r, err)
			}
		}
	}
	var got int
	if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM rows`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != n {
		t.Errorf("%d rows committed, want %d", got, n)
	}
}
