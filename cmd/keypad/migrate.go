package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/keypadauth/keypad/config"
	"github.com/keypadauth/keypad/server"
	"github.com/keypadauth/keypad/store"
	"github.com/keypadauth/keypad/store/sqlstore"
	"github.com/spf13/cobra"
)

// migrateCommand applies pending schema migrations. Every step is an
// expand step (docs/deployment.md#upgrades), so it is safe to run while
// instances of the previous release serve; it is always safe to run twice,
// and instances running it at once take turns.
func (m *Main) migrateCommand() *cobra.Command {
	var dryRun, showSQL bool
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Create or upgrade the database schema",
		Long: `Create or upgrade the database schema, in one transaction.

--dry-run lists the steps that would run (version, file and the statements
they hold; --sql prints their full text) and changes nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if showSQL && !dryRun {
				return usageError(cmd, "--sql goes with --dry-run")
			}
			cfg, err := m.config(cmd)
			if err != nil {
				return err
			}
			if dryRun {
				// Opening a SQLite file that is not there would create it.
				if path, ok, _ := store.SQLitePath(cfg.DB); ok {
					if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
						fmt.Fprintf(cmd.OutOrStdout(), "no database at %s: `keypad migrate` would create it and run every step\n", path)
						fmt.Fprintf(cmd.OutOrStdout(), "dry run: nothing was changed\n")
						return nil
					}
				}
			}
			st, err := server.OpenStore(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer closeStore(st, &err)
			db := config.RedactDB(cfg.DB)
			if dryRun {
				return printPending(cmd, st, db, showSQL)
			}
			from, to, err := server.Migrate(cmd.Context(), st)
			if err != nil {
				return err
			}
			if from == to {
				fmt.Fprintf(cmd.OutOrStdout(), "database %s is up to date (schema version %d)\n", db, to)
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "migrated database %s from schema version %d to %d\n", db, from, to)
			return nil
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the steps that would run and change nothing")
	cmd.Flags().BoolVar(&showSQL, "sql", false, "with --dry-run: print each step's full SQL")
	return cmd
}

// printPending is `keypad migrate --dry-run`: it only reads.
func printPending(cmd *cobra.Command, st server.Store, db string, showSQL bool) error {
	ctx := cmd.Context()
	have, err := st.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	steps, err := st.PendingMigrations(ctx)
	if err != nil {
		return fmt.Errorf("database %s: %w", db, err)
	}
	w := cmd.OutOrStdout()
	if len(steps) == 0 {
		fmt.Fprintf(w, "database %s is up to date (schema version %d): nothing would run\n", db, have)
		return nil
	}
	fmt.Fprintf(w, "database %s is at schema version %d; `keypad migrate` would run %d step(s) to version %d, in one transaction:\n",
		db, have, len(steps), steps[len(steps)-1].Version)
	for _, s := range steps {
		fmt.Fprintf(w, "\n%d  %s\n", s.Version, s.Name)
		if showSQL {
			writeIndented(w, s.SQL)
			continue
		}
		for _, stmt := range statementHeads(s) {
			fmt.Fprintf(w, "    %s\n", stmt)
		}
	}
	fmt.Fprintf(w, "\ndry run: nothing was changed\n")
	return nil
}

// statementHeads summarises a step: the first line of each statement,
// comments left out.
func statementHeads(m sqlstore.Migration) []string {
	var code []string
	for _, line := range strings.Split(m.SQL, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "--") {
			code = append(code, line)
		}
	}
	var heads []string
	for _, stmt := range strings.Split(strings.Join(code, "\n"), ";") {
		first, _, _ := strings.Cut(strings.TrimSpace(stmt), "\n")
		if first = strings.TrimSpace(strings.TrimSuffix(first, "(")); first != "" {
			heads = append(heads, first)
		}
	}
	return heads
}

func writeIndented(w io.Writer, text string) {
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		fmt.Fprintf(w, "    %s\n", line)
	}
}
