package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/identifier"
	"github.com/keypadauth/keypad/importer"
	"github.com/keypadauth/keypad/token"
	"github.com/spf13/cobra"
)

// How `keypad user import` reports.
const (
	// bulkCacheMiB is --bulk's page cache on SQLite: with importer.BulkBatch
	// rows a transaction, on 100,000 rows into a fresh SQLite database, on a
	// heavily shared 2-core machine, 1.7 times the rows a second
	// (docs/performance.md).
	bulkCacheMiB = 512
	// maxReportedRows bounds the bad rows printed one by one; the rest are
	// counted, so a wholly wrong file does not flood the terminal.
	maxReportedRows = 1000
)

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
stores 65,536 rows per transaction instead of 2,048, leaves one core to the
database's writer, and on SQLite gives the import a 512 MiB page cache (a
million rows peak at about 1.7 GB of memory). A running server's token
requests would wait seconds for such a transaction, so leave it off then.`,
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
			progress := cmd.ErrOrStderr()
			opts := importer.Options{
				Now: m.Now, Every: every, Batch: importer.DefaultBatch,
				Progress: func(s importer.Stats) { fmt.Fprintf(progress, "%s (%.0f rows/s)\n", s, s.Rate()) },
				BadRow:   reportBadRows(progress),
			}
			if bulk {
				opts.Batch, opts.Workers = importer.BulkBatch, importer.LeaveWriterCore()
			}
			var subjects keypad.SubjectStore // nil: dry run
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
				subjects, opts.Key = st, sealer.DeriveKey("subject-id")
				if bulk {
					if err := bulkCache(cmd.Context(), st, cfg.DB); err != nil {
						return err
					}
				}
			}
			stats, runErr := importer.New(subjects, opts).Run(cmd.Context(), r)
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
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s in %.1fs (%.0f rows/s)\n", what, stats.Seconds, stats.Rate())
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
	// A --bulk batch dirties more pages than the server's autocheckpoint
	// threshold, so each commit would copy the WAL into the database
	// itself, on the writer. The store's background checkpointer copies
	// it on another connection meanwhile; the threshold stays as a
	// backstop (about 400 MB of WAL).
	if _, err := w.DB().ExecContext(ctx, "PRAGMA wal_autocheckpoint = 100000"); err != nil {
		return fmt.Errorf("--bulk: set the checkpoint threshold: %w", err)
	}
	return nil
}

// reportBadRows prints the first maxReportedRows bad rows and then says
// that the rest are only counted.
func reportBadRows(w io.Writer) func(error) {
	bad := 0
	return func(err error) {
		bad++
		if bad <= maxReportedRows {
			fmt.Fprintln(w, err.Error())
		} else if bad == maxReportedRows+1 {
			fmt.Fprintf(w, "more than %d bad rows: the rest are counted, not shown\n", maxReportedRows)
		}
	}
}
