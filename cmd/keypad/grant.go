package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/manage"
	"github.com/spf13/cobra"
)

// grantJSON is a person's grant as `keypad grant list --json` prints it.
type grantJSON struct {
	ID         string    `json:"id"`
	Subject    string    `json:"subject"`
	ClientID   string    `json:"client_id"`
	DeviceName string    `json:"device_name,omitempty"`
	Flow       string    `json:"flow"`
	Scopes     []string  `json:"scopes"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
}

func newGrantJSON(g *keypad.Grant) grantJSON {
	return grantJSON{ID: g.ID, Subject: g.Subject, ClientID: g.ClientID, DeviceName: g.DeviceName,
		Flow: g.Flow, Scopes: nonNil(g.Scopes), CreatedAt: g.CreatedAt.UTC(),
		LastUsedAt: g.LastUsedAt.UTC(), RevokedAt: g.RevokedAt.UTC()}
}

func (m *Main) grantCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "grant",
		Short: "See what people have authorised (one grant per app or device)",
		Long: `A grant is one authorisation a person gave one client or device: what the
"my devices" page lists. Every token carries its grant, so revoking a grant
(keypad token revoke --grant) ends that device's tokens and no others.`,
	}
	cmd.AddCommand(remoteOK(m.grantListCommand(), m.grantRevokeCommand())...)
	return cmd
}

func (m *Main) grantListCommand() *cobra.Command {
	var subject, client string
	var asJSON, all bool
	cmd := &cobra.Command{
		Use:   "list --subject ID | --client ID",
		Short: "List a person's or a client's grants, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if (subject == "") == (client == "") {
				return usageError(cmd, "give exactly one of --subject or --client")
			}
			b, err := m.manager(cmd)
			if err != nil {
				return err
			}
			defer closeStore(b, &err)
			gs, err := listGrants(cmd, b, subject, client)
			if err != nil {
				return err
			}
			if !all {
				gs = manage.ActiveGrants(gs)
			}
			if asJSON {
				out := make([]grantJSON, 0, len(gs))
				for _, g := range gs {
					out = append(out, newGrantJSON(g))
				}
				return printJSON(cmd.OutOrStdout(), out)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSUBJECT\tCLIENT\tFLOW\tSCOPES\tCREATED\tLAST USED\tREVOKED")
			for _, g := range gs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", g.ID, g.Subject, g.ClientID, flowName(g.Flow),
					dash(strings.Join(g.Scopes, " ")), timeText(g.CreatedAt), timeText(g.LastUsedAt), timeText(g.RevokedAt))
			}
			return tw.Flush()
		},
	}
	f := cmd.Flags()
	f.StringVar(&subject, "subject", "", "the person's ID or username (see `keypad user list`)")
	f.StringVar(&client, "client", "", "the client's ID (see `keypad client list`)")
	f.BoolVar(&all, "all", false, "include revoked grants")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// listGrants returns the grants of a subject (by ID or username) or of a
// client, refusing an unknown one so that a typo does not read as
// "nothing".
func listGrants(cmd *cobra.Command, b manager, subject, client string) ([]*keypad.Grant, error) {
	if subject != "" {
		u, err := findUser(cmd, b, subject)
		if err != nil {
			return nil, err
		}
		subject = u.ID
	} else if _, err := b.GetClient(cmd.Context(), client); err != nil {
		return nil, clientErr(client, err)
	}
	gs, err := b.ListGrants(cmd.Context(), subject, client)
	if err != nil {
		return nil, fmt.Errorf("list grants: %w", err)
	}
	return gs, nil
}

// flowName shortens the URN grant types for tables.
func flowName(flow string) string {
	for short, full := range map[string]string{"device_code": keypad.GrantDeviceCode, "otp": keypad.GrantOTP} {
		if flow == full {
			return short
		}
	}
	return dash(flow)
}

func (m *Main) grantRevokeCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "revoke GRANT_ID",
		Short: "Revoke one grant (one app or device of one person) and its tokens",
		Long: `Revoke one grant and every token issued under it, as
keypad token revoke --grant does: the person signs in on that device again.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.withManager(cmd, func(b manager) error {
				g, err := getGrant(cmd, b, args[0])
				if err != nil {
					return err
				}
				return printRevoked(cmd, b, []*keypad.Grant{g}, asJSON)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
