package main

import (
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/config"
	"github.com/keypadauth/keypad/oauth"
	"github.com/spf13/cobra"
)

// initialTokenCommand manages initial access tokens: the operator's
// permission to register clients at /oauth2/register while registration
// is closed (docs/dynamic-registration.md).
func (m *Main) initialTokenCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "initial-token",
		Short: "Issue and revoke initial access tokens for dynamic client registration",
	}
	cmd.AddCommand(remoteOK(m.initialTokenCreateCommand())...)
	cmd.AddCommand(m.initialTokenListCommand(), m.initialTokenDeleteCommand())
	return cmd
}

func (m *Main) initialTokenCreateCommand() *cobra.Command {
	var expires string
	var uses int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "create [--expires 24h] [--uses N]",
		Short: "Issue an initial access token; prints it once",
		Long: `Issue an initial access token (kp_it_...). Whoever holds it may register
clients at /oauth2/register (RFC 7591) until it expires or its uses are used
up: hand it to the developer or partner who is to register. keypad keeps only
its SHA-256 hash, so it is printed this once.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			ttl, err := config.ParseDuration(expires)
			if err != nil {
				return usageError(cmd, "--expires: %v", err)
			}
			secret, t, err := oauth.NewInitialAccessToken(m.Rand, m.Now(), ttl, uses, "cli")
			if err != nil {
				return usageError(cmd, "%v", flagError(err))
			}
			b, err := m.manager(cmd)
			if err != nil {
				return err
			}
			defer closeStore(b, &err)
			j, err := b.CreateInitialToken(cmd.Context(), t, secret)
			if err != nil {
				return fmt.Errorf("create initial access token: %w", err)
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), j)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "initial access token %s (shown once; keypad keeps only its hash):\n\n  %s\n\n", j.ID, j.Token)
			fmt.Fprintf(out, "It registers %s until %s. Send it as 'Authorization: Bearer <token>' to POST /oauth2/register.\n",
				usesText(j.MaxUses), j.ExpiresAt.UTC().Format(time.RFC3339))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&expires, "expires", config.FormatDuration(oauth.DefaultInitialTokenTTL), "how long the token is valid, "+
		config.FormatDuration(oauth.MinInitialTokenTTL)+" to "+config.FormatDuration(oauth.MaxInitialTokenTTL))
	f.IntVar(&uses, "uses", 0, "how many clients it may register (default: any number until it expires)")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// usesText says how many registrations a token allows.
func usesText(n int) string {
	switch n {
	case 0:
		return "any number of clients"
	case 1:
		return "one client"
	}
	return fmt.Sprintf("%d clients", n)
}

func (m *Main) initialTokenListCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use: "list", Short: "List initial access tokens (never the tokens themselves)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			st, _, err := m.openStore(cmd)
			if err != nil {
				return err
			}
			defer closeStore(st, &err)
			ts, err := st.ListInitialAccessTokens(cmd.Context())
			if err != nil {
				return fmt.Errorf("list initial access tokens: %w", err)
			}
			if asJSON {
				out := make([]oauth.InitialAccessTokenJSON, 0, len(ts))
				for _, t := range ts {
					out = append(out, oauth.NewInitialAccessTokenJSON(t, ""))
				}
				return printJSON(cmd.OutOrStdout(), out)
			}
			now := m.Now()
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tEXPIRES\tUSES\tSTATE\tCREATED BY")
			for _, t := range ts {
				limit := "any"
				if t.MaxUses > 0 {
					limit = fmt.Sprint(t.MaxUses)
				}
				state := "usable"
				switch {
				case !now.Before(t.ExpiresAt):
					state = "expired"
				case t.MaxUses > 0 && t.Uses >= t.MaxUses:
					state = "used up"
				}
				fmt.Fprintf(tw, "%s\t%s\t%d of %s\t%s\t%s\n", t.ID, t.ExpiresAt.UTC().Format(time.RFC3339), t.Uses, limit, state, t.CreatedBy)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (m *Main) initialTokenDeleteCommand() *cobra.Command {
	return &cobra.Command{
		Use: "delete ID", Short: "Revoke an initial access token (clients it registered stay)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			st, _, err := m.openStore(cmd)
			if err != nil {
				return err
			}
			defer closeStore(st, &err)
			if err := st.DeleteInitialAccessToken(cmd.Context(), args[0]); err != nil {
				if errors.Is(err, keypad.ErrNotFound) {
					return fmt.Errorf("no initial access token %q: see `keypad client initial-token list`", args[0])
				}
				return fmt.Errorf("delete initial access token %s: %w", args[0], err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deleted initial access token %s\n", args[0])
			return nil
		},
	}
}
