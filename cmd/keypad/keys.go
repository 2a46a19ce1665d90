package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/config"
	"github.com/keypadauth/keypad/manage"
	"github.com/keypadauth/keypad/server"
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
	cmd.AddCommand(m.keysListCommand(), m.keysRotateCommand())
	return cmd
}

func (m *Main) keysListCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use: "list", Short: "List signing keys, current and retired", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			st, _, err := m.openStore(cmd)
			if err != nil {
				return err
			}
			defer closeStore(st, &err)
			return m.printKeys(cmd, st)
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
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			st, cfg, err := m.openStore(cmd)
			if err != nil {
				return err
			}
			defer closeStore(st, &err)
			keys, _, err := server.OpenKeyring(cmd.Context(), cfg, st, m.Now, m.Rand)
			if err != nil {
				return err
			}
			if err := keys.Rotate(cmd.Context()); err != nil {
				return err
			}
			if !asJSON {
				fmt.Fprintln(cmd.OutOrStdout(), "rotated the signing keys:")
			}
			return m.printKeys(cmd, st)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// printKeys lists the stored keys, newest first.
func (m *Main) printKeys(cmd *cobra.Command, st keypad.KeyStore) error {
	ks, err := st.ListKeys(cmd.Context())
	if err != nil {
		return fmt.Errorf("list keys: %w", err)
	}
	now := m.Now()
	out := make([]keyJSON, 0, len(ks))
	for _, k := range ks {
		j := keyJSON{KID: k.ID, Algorithm: k.Algorithm, Status: manage.KeyStatus(k, now), CreatedAt: k.CreatedAt.UTC()}
		if !k.RetiredAt.IsZero() {
			r := k.RetiredAt.UTC()
			j.RetiredAt = &r
		}
		out = append(out, j)
	}
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
