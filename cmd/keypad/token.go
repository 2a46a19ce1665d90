package main

import (
	"errors"
	"fmt"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/manage"
	"github.com/spf13/cobra"
)

func (m *Main) tokenCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "token", Short: "Revoke tokens"}
	cmd.AddCommand(remoteOK(m.tokenRevokeCommand())...)
	return cmd
}

// revokeJSON is what `keypad token revoke --json` prints.
type revokeJSON struct {
	RevokedGrants []string `json:"revoked_grants"`
}

func (m *Main) tokenRevokeCommand() *cobra.Command {
	var subject, client, grant string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "revoke --subject ID | --client ID | --grant ID",
		Short: "Revoke every token of a person, a client or one grant (one device)",
		Long: `Revoke tokens by the grant they belong to: one grant (one app or device of one
person), every grant of a person, or every grant of a client. Refresh tokens
and opaque access tokens end at once; JWT access tokens are reported inactive
by introspection at once, and resource servers that only check signatures
accept them until they expire (at most the access token lifetime).

Tokens from client_credentials belong to no person and no grant; to end them,
rotate the client's secret and wait out the access token lifetime, or delete
the client.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			n := 0
			for _, f := range []string{subject, client, grant} {
				if f != "" {
					n++
				}
			}
			if n != 1 {
				return usageError(cmd, "give exactly one of --subject, --client or --grant")
			}
			b, err := m.manager(cmd)
			if err != nil {
				return err
			}
			defer closeStore(b, &err)
			var targets []*keypad.Grant
			if grant != "" {
				g, err := getGrant(cmd, b, grant)
				if err != nil {
					return err
				}
				targets = []*keypad.Grant{g}
			} else {
				gs, err := listGrants(cmd, b, subject, client)
				if err != nil {
					return err
				}
				targets = manage.ActiveGrants(gs)
			}
			return printRevoked(cmd, b, targets, asJSON)
		},
	}
	f := cmd.Flags()
	f.StringVar(&subject, "subject", "", "revoke every grant of this person (ID or username)")
	f.StringVar(&client, "client", "", "revoke every grant of this client")
	f.StringVar(&grant, "grant", "", "revoke this one grant (see `keypad grant list`)")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// getGrant reads one grant, or says how to find its ID.
func getGrant(cmd *cobra.Command, b manager, id string) (*keypad.Grant, error) {
	g, err := b.GetGrant(cmd.Context(), id)
	if errors.Is(err, keypad.ErrNotFound) {
		return nil, fmt.Errorf("no grant %q: see `keypad grant list --subject ID`", id)
	}
	if err != nil {
		return nil, fmt.Errorf("grant %s: %w", id, err)
	}
	return g, nil
}

// printRevoked revokes the targets and says which grants it ended.
func printRevoked(cmd *cobra.Command, b manager, targets []*keypad.Grant, asJSON bool) error {
	revoked, err := b.RevokeGrants(cmd.Context(), targets)
	if err != nil {
		return err
	}
	out := revokeJSON{RevokedGrants: revoked}
	if asJSON {
		return printJSON(cmd.OutOrStdout(), out)
	}
	w := cmd.OutOrStdout()
	switch len(out.RevokedGrants) {
	case 0:
		fmt.Fprintln(w, "nothing to revoke: no active grant")
	case 1:
		fmt.Fprintf(w, "revoked grant %s and its tokens\n", out.RevokedGrants[0])
	default:
		fmt.Fprintf(w, "revoked %d grants and their tokens\n", len(out.RevokedGrants))
	}
	return nil
}
