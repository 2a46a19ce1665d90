package main

import (
	"fmt"
	"os"

	"github.com/keypadauth/keypad/config"
	"github.com/keypadauth/keypad/store"
	"github.com/keypadauth/keypad/store/sqlite"
	"github.com/keypadauth/keypad/store/sqlstore"
	"github.com/spf13/cobra"
)

// backupCommand copies the embedded SQLite database while keypad serves.
func (m *Main) backupCommand() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "backup FILE",
		Short: "Write a consistent copy of the SQLite database to FILE, while keypad serves",
		Long: `Write a consistent copy of the SQLite database to FILE. keypad may keep
serving meanwhile: the copy holds every transaction committed before the
backup started and no half of one. The copy is checked (integrity, schema)
before it is put in place; an existing FILE is refused unless --force.

Back up the server secret (KEYPAD_SECRET or secret_file) and the config
file too: without the secret the signing keys in the backup cannot be
unsealed. On PostgreSQL use pg_dump (docs/deployment.md#backups).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			cfg, path, err := m.sqliteFile(cmd)
			if err != nil {
				return err
			}
			if _, err := os.Stat(path); err != nil {
				return fmt.Errorf("no database to back up at %s: %w", path, err)
			}
			st, err := store.Open(cmd.Context(), cfg.DB)
			if err != nil {
				return err
			}
			defer closeStore(st, &err)
			snap, err := sqlite.Backup(cmd.Context(), st, args[0], force)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "backed up database %s (schema version %d, %d bytes) to %s\n",
				config.RedactDB(cfg.DB), snap.SchemaVersion, snap.Bytes, args[0])
			fmt.Fprintln(cmd.OutOrStdout(), "Keep the server secret and the config file with it: the signing keys in the backup are sealed with the secret.")
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "replace FILE if it exists")
	return cmd
}

// restoreCommand puts a backup in place of the configured SQLite database.
func (m *Main) restoreCommand() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "restore FILE",
		Short: "Make the backup FILE the SQLite database (keypad stopped)",
		Long: `Make the backup FILE the configured SQLite database. FILE is checked first
(integrity, a keypad schema no newer than this keypad); a bad backup never
replaces a database, and FILE itself is not changed.

When no database exists at the configured path, the backup simply becomes
it. When one does, restore refuses unless --force; with --force every
keypad using the database must be stopped (restore fails if the database
is in use), and the database it replaces is kept beside it as
<path>.before-restore-<UTC time>. A backup of an older schema wants
` + "`keypad migrate`" + ` before keypad serves again. On PostgreSQL use pg_restore or psql.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, path, err := m.sqliteFile(cmd)
			if err != nil {
				return err
			}
			snap, kept, err := sqlite.Restore(cmd.Context(), args[0], path, force, m.Now())
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "restored %s (schema version %d) into database %s\n", args[0], snap.SchemaVersion, config.RedactDB(cfg.DB))
			if kept != "" {
				fmt.Fprintf(w, "the database it replaced is kept as %s\n", kept)
			}
			if snap.SchemaVersion < snap.LatestVersion {
				fmt.Fprintf(w, "the backup's schema is at version %d, this keypad needs %d: run `keypad migrate` before `keypad serve`\n",
					snap.SchemaVersion, snap.LatestVersion)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing database (keypad must be stopped)")
	return cmd
}

// sqliteFile loads the configuration and returns the SQLite file it names;
// any other database gets the answer to use its own tools.
func (m *Main) sqliteFile(cmd *cobra.Command) (config.Config, string, error) {
	cfg, err := m.config(cmd)
	if err != nil {
		return cfg, "", err
	}
	path, ok, err := store.SQLitePath(cfg.DB)
	if err != nil {
		return cfg, "", err
	}
	if !ok {
		return cfg, "", fmt.Errorf("database %s: %w", config.RedactDB(cfg.DB), sqlstore.ErrNoOnlineBackup)
	}
	return cfg, path, nil
}
