package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/manage"
	"github.com/spf13/cobra"
)

func (m *Main) tokenCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "token", Short: "Revoke tokens"}
	cmd.AddCommand(remoteOK(m.tokenRevokeCommand())...)
	return cmd
}

// revokeJSON is what `keypad token revoke --json` prints; RevokedToken
// only with --value-stdin.
type revokeJSON struct {
	RevokedGrants []string          `json:"revoked_grants"`
	RevokedToken  *revokedTokenJSON `json:"revoked_token,omitempty"`
}

// revokedTokenJSON is the one token --value-stdin revoked (never its
// value).
type revokedTokenJSON struct {
	ClientID string `json:"client_id"`
	Kind     string `json:"kind"`
}

func (m *Main) tokenRevokeCommand() *cobra.Command {
	var subject, client, grant string
	var asJSON, valueStdin bool
	cmd := &cobra.Command{
		Use:   "revoke --subject ID | --client ID | --grant ID | --value-stdin",
		Short: "Revoke every token of a person, a client or one grant (one device), or one token by its value",
		Long: `Revoke tokens by the grant they belong to: one grant (one app or device of one
person), every grant of a person, or every grant of a client. Refresh tokens
and opaque access tokens end at once; JWT access tokens are reported inactive
by introspection at once, and resource servers that only check signatures
accept them until they expire (at most the access token lifetime).

With --value-stdin, revoke the one token whose value is the first line of
standard input (kept out of the command line and the shell history),
whichever client holds it: an access token ends alone, a refresh token with
its rotation family and its grant. This is how to end one token of
client_credentials, which belongs to no person and no grant. A JWT is found
only if this keypad's issuer signed it and it has not expired.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			n := 0
			for _, f := range []string{subject, client, grant} {
				if f != "" {
					n++
				}
			}
			if valueStdin {
				n++
			}
			if n != 1 {
				return usageError(cmd, "give exactly one of --subject, --client, --grant or --value-stdin")
			}
			var value string
			if valueStdin {
				if value, err = readTokenLine(m.Stdin); err != nil {
					return err
				}
			}
			b, err := m.manager(cmd)
			if err != nil {
				return err
			}
			defer closeStore(b, &err)
			if valueStdin {
				return printTokenRevoked(cmd, b, value, asJSON)
			}
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
	f.BoolVar(&valueStdin, "value-stdin", false, "revoke the one token whose value is the first line of standard input")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// printTokenRevoked revokes the token whose value is tok and says what
// ended; a token not found is an error.
func printTokenRevoked(cmd *cobra.Command, b manager, tok string, asJSON bool) error {
	done, err := b.RevokeToken(cmd.Context(), tok)
	if err != nil {
		return err
	}
	if !done.Found {
		return errors.New("no live token with that value: keypad did not issue it, or it is a JWT that has expired (or was signed by another issuer than this configuration's)")
	}
	out := revokeJSON{RevokedGrants: []string{}, RevokedToken: &revokedTokenJSON{ClientID: done.ClientID, Kind: string(done.Kind)}}
	if done.GrantID != "" {
		out.RevokedGrants = append(out.RevokedGrants, done.GrantID)
	}
	if asJSON {
		return printJSON(cmd.OutOrStdout(), out)
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "revoked the %s token of client %s", done.Kind, done.ClientID)
	if done.GrantID != "" {
		fmt.Fprintf(w, ", and grant %s and its tokens with it", done.GrantID)
	}
	fmt.Fprintln(w)
	return nil
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

// readTokenLine reads the token to revoke from the first line of r,
// trimmed of spaces.
func readTokenLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 64<<10)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the token from standard input: %w", err)
	}
	if tok := strings.TrimSpace(line); tok != "" {
		return tok, nil
	}
	return "", errors.New("--value-stdin: standard input held no token; pipe it in, e.g. `keypad token revoke --value-stdin < token.txt`")
}
