package main

import (
	"fmt"

	"github.com/keypadauth/keypad/config"
	"github.com/keypadauth/keypad/server"
	"github.com/spf13/cobra"
)

// migrateCommand applies pending schema migrations. It is safe to run
// while other instances run the old schema only when the release notes
// say so; it is always safe to run twice.
func (m *Main) migrateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Create or upgrade the database schema",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			cfg, err := m.config(cmd)
			if err != nil {
				return err
			}
			st, err := server.OpenStore(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer closeStore(st, &err)
			from, to, err := server.Migrate(cmd.Context(), st)
			if err != nil {
				return err
			}
			db := config.RedactDB(cfg.DB)
			if from == to {
				fmt.Fprintf(cmd.OutOrStdout(), "database %s is up to date (schema version %d)\n", db, to)
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "migrated database %s from schema version %d to %d\n", db, from, to)
			return nil
		},
	}
}
