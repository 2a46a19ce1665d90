package importer

import (
	"context"
	"errors"
	"io"
	"runtime"
	"sync"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/identifier"
)

// Rows per transaction.
const (
	// DefaultBatch rows are normalised at once, in parallel, while the
	// previous batch goes into the store in one transaction. Bigger
	// batches write each index page less often (512 rows a batch ran at
	// about three quarters of the speed), but a batch holds SQLite's one
	// writer, so a running server's token writes wait for it: 2048 rows
	// took 0.1 s into a fresh database and 0.6 s into one nearing a
	// million people, on a busy 2-core machine.
	DefaultBatch = 2048
	// BulkBatch is for an initial load with no server waiting on the
	// writer, where a transaction may hold it for seconds. Each commit
	// writes every index page the batch dirtied, and into a big database
	// a batch dirties most of them, so the fewer commits the better: a
	// million rows into SQLite took 63 s in batches of 16,384 and 57 s in
	// batches of 65,536 (peak memory 1.7 GB, 512 MiB of it SQLite's page
	// cache).
	BulkBatch = 65536
)

// Options configure an Importer. The zero value is a dry run's.
type Options struct {
	// Key keys the keypad IDs of new people (SubjectIDFor); it comes
	// from the server secret. Nil leaves IDs empty, for a dry run.
	Key []byte
	// Batch is the rows per transaction; 0 means DefaultBatch.
	Batch int
	// Now is the clock, for the people's timestamps and Stats.Seconds;
	// nil means time.Now.
	Now func() time.Time
	// Every is how many rows apart Progress is called; 0 never calls it.
	Every int
	// Progress, if set, is called every Every rows with the counts so far.
	Progress func(Stats)
	// BadRow, if set, is called for each row that was skipped, in file
	// order, with its error: an *identifier.RowError carrying the line.
	BadRow func(error)
	// Workers normalise each batch; 0 means one a core (at most 8). A
	// first load, whose store work is all writes, goes faster with one
	// core left to the writer (LeaveWriterCore).
	Workers int
}

// LeaveWriterCore is the Workers that leave the store's writer a core of
// its own: one fewer than the cores, at least one. While the previous
// batch is written (SQLite: on one connection, so one core; PostgreSQL:
// by the server, often on the same machine) the next is normalised on
// the others. A 200,000-row first load into SQLite on 2 cores ran at
// 17,300 rows/s with both cores normalising and 20,200 with one
// (docs/performance.md). A re-import, whose store work is mostly reads,
// is faster with every core.
func LeaveWriterCore() int {
	return max(1, runtime.GOMAXPROCS(0)-1)
}

// Importer upserts the rows of a file into a store. One Run at a time.
type Importer struct {
	subjects keypad.SubjectStore // nil: dry run
	opts     Options
	start    time.Time
	stats    Stats
}

// New returns an Importer writing to st; a nil st makes every Run a dry
// run, which reads and checks the rows and counts the good ones as
// created.
func New(st keypad.SubjectStore, opts Options) *Importer {
	if opts.Batch <= 0 {
		opts.Batch = DefaultBatch
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Importer{subjects: st, opts: opts}
}

// item is one row on its way from the file to the store.
type item struct {
	line    int
	sub     *keypad.Subject
	err     error // a *identifier.RowError: the row is skipped
	outcome keypad.UpsertOutcome
}

// Run reads, normalises and stores every row of r and returns the counts.
// Reading and normalising one batch overlaps with storing the previous
// one; rows are stored and reported in file order. Bad rows are counted
// and passed to Options.BadRow, not returned; the error is the reader's
// (a file that cannot be read on) or the store's (a *StoreError), and the
// counts then say how far the import got.
func (imp *Importer) Run(ctx context.Context, r *identifier.Reader) (Stats, error) {
	imp.start, imp.stats = imp.opts.Now(), Stats{}
	err := imp.run(ctx, r)
	s := imp.stats
	s.Seconds = imp.opts.Now().Sub(imp.start).Seconds()
	return s, err
}

func (imp *Importer) run(ctx context.Context, r *identifier.Reader) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Unbuffered: the next batch is normalised while this one is stored,
	// and no more than that. With 65,536-row bulk batches, two batches
	// waiting in a buffer cost 300 MB of peak memory and no speed.
	batches := make(chan []item)
	readErr := make(chan error, 1)
	go func() {
		defer close(batches)
		readErr <- imp.read(ctx, r, batches)
	}()
	for batch := range batches {
		if err := imp.store(ctx, batch); err != nil {
			cancel()
			for range batches { // let the reader finish
			}
			<-readErr
			return err
		}
		for _, it := range batch {
			imp.apply(it)
		}
	}
	return <-readErr
}

// store upserts the good rows of a batch in one transaction and notes
// each row's outcome; rows another person's username or ID blocks become
// row errors. A store failure stops the import: the batch was not
// written.
func (imp *Importer) store(ctx context.Context, batch []item) error {
	if imp.subjects == nil {
		return nil
	}
	now := imp.opts.Now().UTC()
	var subs []*keypad.Subject
	var rows []int // index in batch of each of subs
	for i, it := range batch {
		if it.err == nil {
			it.sub.CreatedAt, it.sub.UpdatedAt = now, now
			subs, rows = append(subs, it.sub), append(rows, i)
		}
	}
	if len(subs) == 0 {
		return nil
	}
	res, err := imp.subjects.UpsertSubjects(ctx, subs)
	if err != nil {
		first, last := batch[rows[0]], batch[rows[len(rows)-1]]
		return &StoreError{FirstLine: first.line, LastLine: last.line, Err: err}
	}
	for j, o := range res.Outcomes {
		batch[rows[j]].outcome = o
	}
	for _, c := range res.Conflicts {
		it := &batch[rows[c.Index]]
		it.err = clash(it.sub, it.line, c)
	}
	return nil
}

// read sends the file's rows in normalised batches.
func (imp *Importer) read(ctx context.Context, r *identifier.Reader, out chan<- []item) error {
	var recs []identifier.Record
	var items []item
	flush := func() bool {
		if len(items) == 0 {
			return true
		}
		imp.normalize(recs, items)
		select {
		case out <- items:
		case <-ctx.Done():
			return false
		}
		recs, items = nil, nil
		return true
	}
	for {
		rec, err := r.Next()
		var rowErr *identifier.RowError
		switch {
		case err == io.EOF:
			flush()
			return nil
		case errors.As(err, &rowErr):
			recs, items = append(recs, identifier.Record{}), append(items, item{err: rowErr})
		case err != nil:
			flush()
			return err
		default:
			recs, items = append(recs, rec), append(items, item{line: rec.Line})
		}
		if len(items) == imp.opts.Batch && !flush() {
			return ctx.Err()
		}
	}
}

// normalize turns the records of a batch into subjects, in parallel.
func (imp *Importer) normalize(recs []identifier.Record, items []item) {
	workers := imp.opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, 8)
	var norm identifier.Normalizer
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(items); i += workers {
				if items[i].err != nil {
					continue
				}
				items[i].sub, items[i].err = recs[i].Subject(norm)
				if items[i].err == nil && imp.opts.Key != nil {
					items[i].sub.ID = SubjectIDFor(imp.opts.Key, recs[i].ExternalID)
				}
				if items[i].err == nil {
					items[i].err = validRow(items[i].sub, items[i].line)
				}
			}
		}()
	}
	wg.Wait()
}

// apply counts one row, reports it if it is bad, and calls Progress.
func (imp *Importer) apply(it item) {
	imp.stats.Rows++
	switch {
	case it.err != nil:
		imp.stats.Bad++
		if imp.opts.BadRow != nil {
			imp.opts.BadRow(it.err)
		}
	case imp.subjects == nil:
		imp.stats.Created++ // dry run: counts the good rows
	case it.outcome == keypad.UpsertCreated:
		imp.stats.Created++
	case it.outcome == keypad.UpsertUpdated:
		imp.stats.Updated++
	case it.outcome == keypad.UpsertUnchanged:
		imp.stats.Unchanged++
	}
	if imp.opts.Every > 0 && imp.opts.Progress != nil && imp.stats.Rows%imp.opts.Every == 0 {
		s := imp.stats
		s.Seconds = imp.opts.Now().Sub(imp.start).Seconds()
		imp.opts.Progress(s)
	}
}
