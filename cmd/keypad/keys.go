package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/keypadauth/keypad/config"
	"github.com/spf13/cobra"
)

// keyJSON is a signing key as `keys list --json` prints it; the private
// half never leaves the store.
type keyJSON struct {
	KID       string     `json:"kid"`
	Algorithm string     `json:"alg"`
	Status    string     `json:"status"`
	CreatedAt time.Time  `json:"created_at"`
	RetiredAt *time.Time `json:"retired_at,omitempty"`
}

func (m *Main) keysCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "List and rotate the JWT signing keys"}
	config.AddFlags(cmd.PersistentFlags(), "secret_file")
	cmd.AddCommand(remoteOK(m.keysListCommand(), m.keysRotateCommand())...)
	return cmd
}

func (m *Main) keysListCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use: "list", Short: "List signing keys, current and retired", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.withManager(cmd, func(b manager) error {
				ks, err := b.ListKeys(cmd.Context())
				if err != nil {
					return fmt.Errorf("list keys: %w", err)
				}
				return printKeys(cmd, ks)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (m *Main) keysRotateCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "rotate",
		Short: "Create new signing keys and retire the current ones",
		Long: `Create a new key of each algorithm and retire the current ones. Retired keys
stop signing but stay published in the JWKS for a day (the longest an access
token lives), so tokens they signed keep verifying. Running servers switch to
the new keys within a minute.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.withManager(cmd, func(b manager) error {
				ks, err := b.RotateKeys(cmd.Context())
				if err != nil {
					return err
				}
				if !asJSON {
					fmt.Fprintln(cmd.OutOrStdout(), "rotated the signing keys:")
				}
				return printKeys(cmd, ks)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// printKeys shows the keys, newest first.
func printKeys(cmd *cobra.Command, out []keyJSON) error {
	if asJSON, _ := cmd.Flags().GetBool("json"); asJSON {
		return printJSON(cmd.OutOrStdout(), out)
	}
	if len(out) == 0 {
		fmt.Fprintln(cmd.OutOrStdout(), "no signing keys yet: `keypad serve` creates them on first start")
		return nil
	}
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KID\tALG\tSTATUS\tCREATED\tRETIRED")
	for _, j := range out {
		retired := "-"
		if j.RetiredAt != nil {
			retired = timeText(*j.RetiredAt)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", j.KID, j.Algorithm, j.Status, timeText(j.CreatedAt), retired)
	}
	return tw.Flush()
}
