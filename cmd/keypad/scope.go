package main

import (
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/keypadauth/keypad"
	"github.com/spf13/cobra"
)

// scopeJSON is a catalogue entry as `--json` prints it.
type scopeJSON struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

func (m *Main) scopeCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scope",
		Short: "Manage the scope catalogue (what consent pages and messages say a scope means)",
	}
	cmd.AddCommand(m.scopeCreateCommand(), m.scopeListCommand(), m.scopeDeleteCommand())
	return cmd
}

func (m *Main) scopeCreateCommand() *cobra.Command {
	var desc string
	cmd := &cobra.Command{
		Use:   "create NAME --description TEXT",
		Short: "Add or replace a scope",
		Long: `Add or replace a scope. The description is what people read on consent pages
and in one-time-code messages, so write what the scope lets a client do, in
plain words: "read your energy usage history".`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			sc := &keypad.Scope{Name: args[0], Description: desc}
			if err := sc.Validate(); err != nil {
				var ve *keypad.ValidationError
				if errors.As(err, &ve) && ve.Field == "name" {
					return usageError(cmd, "%s", ve.Message)
				}
				return usageError(cmd, "%v", flagError(err))
			}
			st, _, err := m.openStore(cmd)
			if err != nil {
				return err
			}
			defer closeStore(st, &err)
			if err := st.PutScope(cmd.Context(), sc); err != nil {
				return fmt.Errorf("save scope %s: %w", args[0], err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "saved scope %s\n", args[0])
			return nil
		},
	}
	cmd.Flags().StringVar(&desc, "description", "", "what the scope lets a client do, in plain words (required)")
	return cmd
}

func (m *Main) scopeListCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use: "list", Short: "List the scope catalogue", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			st, _, err := m.openStore(cmd)
			if err != nil {
				return err
			}
			defer closeStore(st, &err)
			ss, err := st.ListScopes(cmd.Context())
			if err != nil {
				return fmt.Errorf("list scopes: %w", err)
			}
			if asJSON {
				out := make([]scopeJSON, 0, len(ss))
				for _, s := range ss {
					out = append(out, scopeJSON{s.Name, s.Description})
				}
				return printJSON(cmd.OutOrStdout(), out)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SCOPE\tDESCRIPTION")
			for _, s := range ss {
				fmt.Fprintf(tw, "%s\t%s\n", s.Name, s.Description)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (m *Main) scopeDeleteCommand() *cobra.Command {
	return &cobra.Command{
		Use: "delete NAME", Short: "Remove a scope from the catalogue", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			st, _, err := m.openStore(cmd)
			if err != nil {
				return err
			}
			defer closeStore(st, &err)
			if err := st.DeleteScope(cmd.Context(), args[0]); err != nil {
				if errors.Is(err, keypad.ErrNotFound) {
					return fmt.Errorf("no scope %q: see `keypad scope list`", args[0])
				}
				return fmt.Errorf("delete scope %s: %w", args[0], err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deleted scope %s\n", args[0])
			return nil
		},
	}
}
