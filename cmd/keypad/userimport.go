package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/identifier"
	"github.com/keypadauth/keypad/token"
	"github.com/spf13/cobra"
)

// How `keypad user import` reads and reports.
const (
	// importBatch rows are normalised at once, in parallel, while the
	// previous batch goes into the store in one transaction. Bigger
	// batches write each index page less often (512 rows a batch ran at
	// about three quarters of the speed), but a batch holds SQLite's one
	// writer, so a running server's token writes wait for it: 2048 rows
	// took 0.1 s into a fresh database and 0.6 s into one nearing a
	// million people, on a busy 2-core machine.
	importBatch = 2048
	// bulkBatch and bulkCacheMiB are --bulk's: an initial load with no
	// server waiting on the writer, where a transaction may hold it for
	// seconds. Eight times the rows per transaction and a page cache of
	// half a gigabyte write each index page to the WAL far less often;
	// on 100,000 rows into a fresh SQLite database, on a heavily shared
	// 2-core machine, 1.7 times the rows a second (docs/performance.md).
	bulkBatch    = 16384
	bulkCacheMiB = 512
	// maxReportedRows bounds the bad rows printed one by one; the rest are
	// counted, so a wholly wrong file does not flood the terminal.
	maxReportedRows = 1000
)

// importStats count what an import did with the rows.
type importStats struct {
	Rows      int     `json:"rows"`
	Created   int     `json:"created"`
	Updated   int     `json:"updated"`
	Unchanged int     `json:"unchanged"`
	Bad       int     `json:"bad"`
	Seconds   float64 `json:"seconds"`
}

func (s importStats) String() string {
	return fmt.Sprintf("%d rows: %d created, %d updated, %d unchanged, %d bad", s.Rows, s.Created, s.Updated, s.Unchanged, s.Bad)
}

// rate is rows per second, for progress lines.
func (s importStats) rate() float64 {
	if s.Seconds <= 0 {
		return 0
	}
	return float64(s.Rows) / s.Seconds
}

// importItem is one row on its way from the file to the store.
type importItem struct {
	line    int
	sub     *keypad.Subject
	err     error // a *identifier.RowError: the row is skipped
	outcome keypad.UpsertOutcome
}

// newUserImportCmd is `keypad user import FILE`: a utility loads its
// customers (CSV or JSON Lines, see identifier.Columns) so that the OTP
// flow can find them.
func (m *Main) newUserImportCmd() *cobra.Command {
	var format string
	var every int
	var dryRun, asJSON, bulk bool
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Add or update people from a CSV or JSON Lines file",
		Long: `Add or update people from a CSV or JSON Lines file (FILE "-" reads standard
input). Columns or keys: ` + strings.Join(identifier.Columns, ", ") + `;
external_id (your customer number) is required.

The import streams: any file size takes the memory of a few thousand
rows, stored a batch per transaction. It is idempotent: people are matched by
external ID (someone created by hand with that external ID included), so
importing the same file again updates people instead of adding them, and
a row that changed nothing writes nothing. A row without a username
leaves a person's username alone, and passwords are never touched.
Rows that cannot be read or normalised are reported with their line
number and skipped while the good rows go in; the command then exits with
an error, and once the file is fixed the whole file can be imported again.

--bulk is for a first load while no keypad server runs on the database: it
stores 16,384 rows per transaction instead of 2,048, and on SQLite gives the
import a 512 MiB page cache. A running server's token requests would wait
seconds for such a transaction, so leave it off then.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if every < 1 {
				return usageError(cmd, "--progress must be at least 1")
			}
			name := args[0]
			if format == "" {
				if name == "-" {
					return usageError(cmd, "give --format csv or --format jsonl when reading standard input")
				}
				if format, err = identifier.FormatFromName(name); err != nil {
					return err
				}
			}
			in := cmd.InOrStdin()
			if name != "-" {
				f, err := os.Open(name)
				if err != nil {
					return fmt.Errorf("open the import file: %w", err)
				}
				defer f.Close()
				in = f
			}
			r, err := identifier.NewReader(in, format)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			imp := &importer{
				norm: identifier.Normalizer{}, now: m.Now, every: every,
				progress: cmd.ErrOrStderr(), start: m.Now(), batch: importBatch,
			}
			if bulk {
				imp.batch = bulkBatch
			}
			if !dryRun {
				st, cfg, err := m.openStore(cmd)
				if err != nil {
					return err
				}
				defer closeStore(st, &err)
				secret, err := token.LoadSecret(string(cfg.Secret), cfg.SecretPath())
				if err != nil {
					return fmt.Errorf("load the server secret (it keys imported people's IDs): %w", err)
				}
				sealer, err := token.NewSealer(secret, m.Rand)
				if err != nil {
					return fmt.Errorf("load the server secret: %w", err)
				}
				imp.subjects, imp.key = st, sealer.DeriveKey("subject-id")
				if bulk {
					if err := bulkCache(cmd.Context(), st, cfg.DB); err != nil {
						return err
					}
				}
			}
			runErr := imp.run(cmd.Context(), r)
			stats := imp.stats
			stats.Seconds = m.Now().Sub(imp.start).Seconds()
			if runErr != nil {
				return fmt.Errorf("import stopped after %s: %w", stats, runErr)
			}
			if asJSON {
				err = printJSON(cmd.OutOrStdout(), stats)
			} else {
				what := fmt.Sprintf("imported %s: %s", name, stats)
				if dryRun {
					what = fmt.Sprintf("checked %s (dry run, nothing written): %d rows: %d good, %d bad", name, stats.Rows, stats.Created, stats.Bad)
				}
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s in %.1fs (%.0f rows/s)\n", what, stats.Seconds, stats.rate())
			}
			if err == nil && stats.Bad > 0 {
				err = fmt.Errorf("%d of %d rows were not imported (see the lines above); fix them and import the file again: people already in are updated, not duplicated", stats.Bad, stats.Rows)
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&format, "format", "", "csv or jsonl (default: from the file name)")
	f.IntVar(&every, "progress", 10000, "print progress on standard error every this many rows")
	f.BoolVar(&dryRun, "dry-run", false, "check the file without writing anything")
	f.BoolVar(&asJSON, "json", false, "print the summary as JSON")
	f.BoolVar(&bulk, "bulk", false, "first load with no server running: larger transactions and (SQLite) a 512 MiB page cache")
	return cmd
}

// bulkCache gives a SQLite store's writer connection --bulk's page cache
// for the rest of the command; other databases are left alone. The writer
// pool holds one connection for the store's life, so the setting stays.
func bulkCache(ctx context.Context, st any, db string) error {
	w, ok := st.(interface{ DB() *sql.DB })
	if !ok || !strings.HasPrefix(db, "sqlite:") {
		return nil
	}
	if _, err := w.DB().ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = %d", -bulkCacheMiB<<10)); err != nil {
		return fmt.Errorf("--bulk: set the page cache: %w", err)
	}
	return nil
}

// importer upserts the rows of one file.
type importer struct {
	subjects keypad.SubjectStore // nil: dry run
	key      []byte              // keys subject IDs
	norm     identifier.Normalizer
	now      func() time.Time
	start    time.Time
	every    int
	batch    int // rows per transaction
	progress io.Writer
	stats    importStats
}

// run reads, normalises and stores every row. Reading and normalising
// one batch overlaps with storing the previous one; rows are stored and
// reported in file order.
func (imp *importer) run(ctx context.Context, r *identifier.Reader) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []importItem, 2)
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
func (imp *importer) store(ctx context.Context, batch []importItem) error {
	if imp.subjects == nil {
		return nil
	}
	now := imp.now().UTC()
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
		return fmt.Errorf("store the people of lines %d to %d: %w", first.line, last.line, err)
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
func (imp *importer) read(ctx context.Context, r *identifier.Reader, out chan<- []importItem) error {
	var recs []identifier.Record
	var items []importItem
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
			recs, items = append(recs, identifier.Record{}), append(items, importItem{err: rowErr})
		case err != nil:
			flush()
			return err
		default:
			recs, items = append(recs, rec), append(items, importItem{line: rec.Line})
		}
		if len(items) == imp.batch && !flush() {
			return ctx.Err()
		}
	}
}

// normalize turns the records of a batch into subjects, in parallel.
func (imp *importer) normalize(recs []identifier.Record, items []importItem) {
	workers := min(runtime.GOMAXPROCS(0), 8)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(items); i += workers {
				if items[i].err != nil {
					continue
				}
				items[i].sub, items[i].err = recs[i].Subject(imp.norm)
				if items[i].err == nil && imp.key != nil {
					items[i].sub.ID = subjectIDFor(imp.key, recs[i].ExternalID)
				}
				if items[i].err == nil {
					items[i].err = validRow(items[i].sub, items[i].line)
				}
			}
		}()
	}
	wg.Wait()
}

// validRow applies keypad.Subject.Validate to an imported person (a dry
// run has no ID yet), as a row error.
func validRow(s *keypad.Subject, line int) error {
	v := *s
	if v.ID == "" {
		v.ID = "drawn-later"
	}
	var ve *keypad.ValidationError
	if err := v.Validate(); errors.As(err, &ve) {
		return &identifier.RowError{Line: line, Field: ve.Field, Reason: ve.Message}
	} else if err != nil {
		return err
	}
	return nil
}

// apply counts one row, reports it if it is bad, and prints progress.
func (imp *importer) apply(it importItem) {
	imp.stats.Rows++
	switch {
	case it.err != nil:
		imp.stats.Bad++
		if imp.stats.Bad <= maxReportedRows {
			fmt.Fprintln(imp.progress, it.err.Error())
		} else if imp.stats.Bad == maxReportedRows+1 {
			fmt.Fprintf(imp.progress, "more than %d bad rows: the rest are counted, not shown\n", maxReportedRows)
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
	if imp.stats.Rows%imp.every == 0 {
		s := imp.stats
		s.Seconds = imp.now().Sub(imp.start).Seconds()
		fmt.Fprintf(imp.progress, "%s (%.0f rows/s)\n", s, s.rate())
	}
}

// clash is the row error for a person whose username, or whose derived
// keypad ID, another person holds.
func clash(s *keypad.Subject, line int, c keypad.SubjectConflict) error {
	if c.Field == "username" {
		return &identifier.RowError{Line: line, Field: "username", Reason: fmt.Sprintf(
			"%q already belongs to another person (keypad ID %s); change the row's username or that person's", s.Username, c.HolderID)}
	}
	return &identifier.RowError{Line: line, Field: "external_id", Reason: fmt.Sprintf(
		"%q would get keypad ID %s, which a person with another external ID holds (changed by hand?); give them back external_id %q, or delete them",
		s.ExternalID, c.HolderID, s.ExternalID)}
}

// subjectIDEncoding writes IDs as `keypad user create` does: lower-case
// base32 without padding.
var subjectIDEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// subjectIDFor derives a new person's keypad ID from their external ID:
// 128 bits of HMAC-SHA256 under a key from the server secret, so the same
// file imported into two fresh databases gives everyone the same ID; the
// key keeps the ID (the sub claim of their tokens) from revealing the
// customer number to clients.
func subjectIDFor(key []byte, externalID string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("keypad/import/subject-id/v1\x00"))
	m.Write([]byte(externalID))
	return strings.ToLower(subjectIDEncoding.EncodeToString(m.Sum(nil)[:16]))
}
