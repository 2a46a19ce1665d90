package main

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"text/tabwriter"

	"github.com/keypadauth/keypad"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// scopeJSON is a catalogue entry as `--json` prints it.
type scopeJSON struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// Descriptions are Description in other languages, by BCP 47 tag.
	Descriptions map[string]string `json:"descriptions,omitempty"`
}

func (m *Main) scopeCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scope",
		Short: "Manage the scope catalogue (what consent pages and messages say a scope means)",
	}
	cmd.AddCommand(remoteOK(m.scopeCreateCommand(), m.scopeUpdateCommand(), m.scopeListCommand(), m.scopeDeleteCommand())...)
	return cmd
}

func (m *Main) scopeCreateCommand() *cobra.Command {
	sc := &keypad.Scope{}
	cmd := &cobra.Command{
		Use:   "create NAME --description TEXT [--description-es TEXT] [--description-in TAG=TEXT]...",
		Short: "Add or replace a scope",
		Long: `Add or replace a scope. The description is what people read on consent pages
and in one-time-code messages, so write what the scope lets a client do, in
plain words: "read your energy usage history". --description-es (and
--description-in TAG=TEXT for any other language) say it in other languages;
people whose language has none read the default description.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sc.Name = args[0]
			sc.Descriptions = noneIfEmpty(sc.Descriptions)
			if err := checkScope(cmd, sc); err != nil {
				return err
			}
			return m.withManager(cmd, func(b manager) error { return saveScope(cmd, b, sc) })
		},
	}
	cmd.Flags().StringVar(&sc.Description, "description", "", "what the scope lets a client do, in plain words (required)")
	descriptionFlags(cmd.Flags(), &sc.Descriptions, "the description")
	return cmd
}

func (m *Main) scopeUpdateCommand() *cobra.Command {
	var given keypad.Scope
	cmd := &cobra.Command{
		Use:   "update NAME [--description TEXT] [--description-es TEXT] [--description-in TAG=TEXT]...",
		Short: "Change a scope's descriptions",
		Long: `Change a scope's descriptions: only the flags given change. An empty text
(--description-es "" or --description-in es=) removes that language's
description.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.withManager(cmd, func(b manager) error { return updateScope(cmd, b, args[0], &given) })
		},
	}
	cmd.Flags().StringVar(&given.Description, "description", "", "what the scope lets a client do, in plain words")
	descriptionFlags(cmd.Flags(), &given.Descriptions, "the description")
	return cmd
}

// updateScope applies the flags given to scope name, read from b.
func updateScope(cmd *cobra.Command, b manager, name string, given *keypad.Scope) error {
	sc, err := b.GetScope(cmd.Context(), name)
	if errors.Is(err, keypad.ErrNotFound) {
		return fmt.Errorf("no scope %q: see `keypad scope list`, or add it with `keypad scope create`", name)
	}
	if err != nil {
		return fmt.Errorf("read scope %s: %w", name, err)
	}
	changes := 0
	if cmd.Flags().Changed("description") {
		sc.Description, changes = given.Description, changes+1
	}
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if v, ok := f.Value.(*descValue); ok {
			if sc.Descriptions == nil {
				sc.Descriptions = keypad.Descriptions{}
			}
			changes++
			for _, s := range v.set {
				dst := &descValue{d: &sc.Descriptions, tag: v.tag}
				if err := dst.Set(s); err != nil {
					panic(err) // it parsed once already
				}
			}
		}
	})
	if changes == 0 {
		return usageError(cmd, "nothing to change: give --description, --description-es or --description-in")
	}
	sc.Descriptions = noneIfEmpty(sc.Descriptions)
	if err := checkScope(cmd, sc); err != nil {
		return err
	}
	return saveScope(cmd, b, sc)
}

// checkScope checks sc as the flags gave it.
func checkScope(cmd *cobra.Command, sc *keypad.Scope) error {
	if err := sc.Validate(); err != nil {
		var ve *keypad.ValidationError
		if errors.As(err, &ve) && ve.Field == "name" {
			return usageError(cmd, "%s", ve.Message)
		}
		return usageError(cmd, "%v", flagError(err))
	}
	return nil
}

// saveScope stores sc, checked; after a read, only over that version.
func saveScope(cmd *cobra.Command, b manager, sc *keypad.Scope) error {
	if err := b.PutScope(cmd.Context(), sc); err != nil {
		return fmt.Errorf("save scope %s: %w", sc.Name, err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "saved scope %s\n", sc.Name)
	return nil
}

func (m *Main) scopeListCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use: "list", Short: "List the scope catalogue", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			b, err := m.manager(cmd)
			if err != nil {
				return err
			}
			defer closeStore(b, &err)
			ss, err := b.ListScopes(cmd.Context())
			if err != nil {
				return fmt.Errorf("list scopes: %w", err)
			}
			if asJSON {
				out := make([]scopeJSON, 0, len(ss))
				for _, s := range ss {
					out = append(out, scopeJSON{s.Name, s.Description, descriptionsJSON(s.Descriptions)})
				}
				return printJSON(cmd.OutOrStdout(), out)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SCOPE\tDESCRIPTION")
			for _, s := range ss {
				fmt.Fprintf(tw, "%s\t%s\n", s.Name, s.Description)
				for _, tag := range slices.Sorted(maps.Keys(s.Descriptions)) {
					fmt.Fprintf(tw, "\t(%s) %s\n", tag, s.Descriptions[tag])
				}
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
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.withManager(cmd, func(b manager) error {
				if err := b.DeleteScope(cmd.Context(), args[0]); err != nil {
					if errors.Is(err, keypad.ErrNotFound) {
						return fmt.Errorf("no scope %q: see `keypad scope list`", args[0])
					}
					return fmt.Errorf("delete scope %s: %w", args[0], err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "deleted scope %s\n", args[0])
				return nil
			})
		},
	}
}
