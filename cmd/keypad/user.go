package main

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/manage"
	"github.com/keypadauth/keypad/password"
	"github.com/spf13/cobra"
)

// userJSON is a person as `--json` prints it; the password hash is never
// shown.
type userJSON struct {
	ID       string `json:"id"`
	Username string `json:"username,omitempty"`
	Name     string `json:"name,omitempty"`
	Email    string `json:"email,omitempty"`
	Phone    string `json:"phone,omitempty"`
	// PreferredLanguage is the person's language (BCP 47), "" for the
	// server's default.
	PreferredLanguage string    `json:"preferred_language,omitempty"`
	Identifiers       []idJSON  `json:"identifiers,omitempty"`
	HasPassword       bool      `json:"has_password"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
}

// idJSON is one normalised fact a person is found by in the OTP flow.
type idJSON struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

func newUserJSON(s *keypad.Subject) userJSON {
	u := userJSON{ID: s.ID, Username: s.Username, Name: s.Name, Email: s.Email, Phone: s.Phone, PreferredLanguage: s.PreferredLanguage,
		HasPassword: s.PasswordHash != "", CreatedAt: s.CreatedAt.UTC(), UpdatedAt: s.UpdatedAt.UTC()}
	for _, id := range s.Identifiers {
		u.Identifiers = append(u.Identifiers, idJSON{Type: string(id.Type), Value: id.Value})
	}
	return u
}

func (m *Main) userCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Manage people (resource owners)"}
	cmd.AddCommand(remoteOK(m.userCreateCommand(), m.userUpdateCommand(), m.userListCommand(), m.userGetCommand(),
		m.userDeleteCommand(), m.userSetPasswordCommand())...)
	cmd.AddCommand(m.newUserImportCmd())
	return cmd
}

func (m *Main) userCreateCommand() *cobra.Command {
	var spec manage.PersonSpec
	var pwStdin, asJSON bool
	cmd := &cobra.Command{
		Use:   "create [--username NAME] [--password-stdin] [--name N] [--email E] [--phone P] [--address A] [--account N]",
		Short: "Add a person",
		Long: `Add a person. Give at least one of --username, --email, --phone, --address
or --account: something the person is found by; none of them is required on
its own (a utility customer may have no username). With --password-stdin the password is read from the first line of
standard input (so it stays out of the shell history and ps); without it the
person has no password and signs in with a one-time code.

Email, phone, address and account number are what the OTP flow finds the
person by (phone and email are also where codes go); they are normalised as
` + "`keypad user import`" + ` does, phone numbers without a country code in otp.region.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if err := spec.Findable(); err != nil {
				return usageError(cmd, "%v", flagError(err))
			}
			var pw string
			if pwStdin {
				if pw, err = m.readPassword(cmd); err != nil {
					return err
				}
			}
			return m.withManager(cmd, func(b manager) error {
				s, err := b.CreatePerson(cmd.Context(), spec, pw)
				var fe *manage.FieldError
				var ve *keypad.ValidationError
				switch {
				case errors.Is(err, keypad.ErrConflict):
					return fmt.Errorf("username %q is taken: choose another", spec.Username)
				case errors.As(err, &fe), errors.As(err, &ve):
					return usageError(cmd, "%v", flagError(err))
				case err != nil:
					return fmt.Errorf("create user: %w", err)
				}
				return printUser(cmd.OutOrStdout(), s, asJSON)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&spec.Username, "username", "", "sign-in name")
	f.StringVar(&spec.Name, "name", "", "display name")
	f.StringVar(&spec.Email, "email", "", "email address (a delivery channel for codes)")
	f.StringVar(&spec.Phone, "phone", "", "phone number, e.g. +14155550123 (a delivery channel for codes)")
	f.StringVar(&spec.Address, "address", "", `service address, e.g. "123 Main St, Springfield 62701"`)
	f.StringVar(&spec.Account, "account", "", "account number")
	f.StringVar(&spec.PreferredLanguage, "language", "", "the person's language for pages, texts and emails (BCP 47, e.g. es; default: the server's default_language)")
	f.BoolVar(&pwStdin, "password-stdin", false, "read the password from standard input")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (m *Main) userUpdateCommand() *cobra.Command {
	var given keypad.Subject
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "update ID|USERNAME [--language TAG] [--name NAME]",
		Short: "Change a person's language or display name",
		Long: `Change a person's language or display name: only the flags given change.
--language "" goes back to the server's default_language. The language is
what the hosted pages speak once the person is signed in, and what texts and
emails to them are written in.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f := cmd.Flags()
			if !f.Changed("language") && !f.Changed("name") {
				return usageError(cmd, "nothing to change: give --language or --name")
			}
			var name, language *string
			if f.Changed("language") {
				lang := strings.TrimSpace(given.PreferredLanguage)
				language = &lang
			}
			if f.Changed("name") {
				name = &given.Name
			}
			return m.withUser(cmd, args[0], func(b manager, u *keypad.Subject) error {
				id := u.ID
				u, err := b.UpdatePerson(cmd.Context(), u, name, language)
				var ve *keypad.ValidationError
				if errors.As(err, &ve) {
					return usageError(cmd, "%v", flagError(err))
				}
				if err != nil {
					return fmt.Errorf("update user %s: %w", id, err)
				}
				return printUser(cmd.OutOrStdout(), u, asJSON)
			})
		},
	}
	cmd.Flags().StringVar(&given.PreferredLanguage, "language", "", "the person's language (BCP 47, e.g. es); \"\" for the server's default")
	cmd.Flags().StringVar(&given.Name, "name", "", "display name")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (m *Main) userListCommand() *cobra.Command {
	var asJSON bool
	var limit int
	cmd := &cobra.Command{
		Use: "list", Short: "List people", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			b, err := m.manager(cmd)
			if err != nil {
				return err
			}
			defer closeStore(b, &err)
			us, err := b.ListPeople(cmd.Context(), limit)
			if err != nil {
				return fmt.Errorf("list users: %w", err)
			}
			if asJSON {
				out := make([]userJSON, 0, len(us))
				for _, u := range us {
					out = append(out, newUserJSON(u))
				}
				return printJSON(cmd.OutOrStdout(), out)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tUSERNAME\tNAME\tEMAIL\tPHONE")
			for _, u := range us {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", u.ID, dash(u.Username), dash(u.Name), dash(u.Email), dash(u.Phone))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().IntVar(&limit, "limit", 0, "show at most this many (0: all)")
	return cmd
}

func (m *Main) userGetCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use: "get ID|USERNAME", Short: "Show a person", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.withUser(cmd, args[0], func(_ manager, u *keypad.Subject) error {
				return printUser(cmd.OutOrStdout(), u, asJSON)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (m *Main) userDeleteCommand() *cobra.Command {
	return &cobra.Command{
		Use: "delete ID|USERNAME", Short: "Delete a person and everything issued for them", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.withUser(cmd, args[0], func(b manager, u *keypad.Subject) error {
				if err := b.DeletePerson(cmd.Context(), u); err != nil {
					return fmt.Errorf("delete user %s: %w", u.ID, err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "deleted user %s\n", u.ID)
				return nil
			})
		},
	}
}

func (m *Main) userSetPasswordCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "set-password ID|USERNAME",
		Short: "Set a person's password, read from standard input",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pw, err := m.readPassword(cmd)
			if err != nil {
				return err
			}
			return m.withUser(cmd, args[0], func(b manager, u *keypad.Subject) error {
				if err := b.SetPassword(cmd.Context(), u, pw); err != nil {
					return fmt.Errorf("set password of %s: %w", u.ID, err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "set the password of user %s\n", u.ID)
				return nil
			})
		},
	}
}

// readPassword reads one line from standard input and checks it against
// the password policy; the manager hashes it (the local one here, the
// remote one on the server).
func (m *Main) readPassword(cmd *cobra.Command) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(cmd.InOrStdin(), password.MaxBytes+2)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password from standard input: %w", err)
	}
	pw := strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if err := password.Validate(pw); err != nil {
		return "", err
	}
	return pw, nil
}

// withUser opens the manager, finds the person by ID or username, and
// runs fn; the user commands' counterpart of withClient.
func (m *Main) withUser(cmd *cobra.Command, idOrName string, fn func(manager, *keypad.Subject) error) error {
	return m.withManager(cmd, func(b manager) error {
		u, err := findUser(cmd, b, idOrName)
		if err != nil {
			return err
		}
		return fn(b, u)
	})
}

// findUser looks a person up by ID, then by username.
func findUser(cmd *cobra.Command, b manager, idOrName string) (*keypad.Subject, error) {
	u, err := b.FindPerson(cmd.Context(), idOrName)
	if errors.Is(err, keypad.ErrNotFound) {
		return nil, fmt.Errorf("no user with ID or username %q: see `keypad user list`", idOrName)
	}
	if err != nil {
		return nil, fmt.Errorf("find user %q: %w", idOrName, err)
	}
	return u, nil
}

func printUser(w io.Writer, u *keypad.Subject, asJSON bool) error {
	if asJSON {
		return printJSON(w, newUserJSON(u))
	}
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
	fmt.Fprintf(tw, "id:\t%s\n", u.ID)
	fmt.Fprintf(tw, "username:\t%s\n", dash(u.Username))
	fmt.Fprintf(tw, "name:\t%s\n", dash(u.Name))
	fmt.Fprintf(tw, "email:\t%s\n", dash(u.Email))
	fmt.Fprintf(tw, "phone:\t%s\n", dash(u.Phone))
	fmt.Fprintf(tw, "language:\t%s\n", cmp.Or(u.PreferredLanguage, "- (the server's default)"))
	var found []string
	for _, id := range u.Identifiers {
		found = append(found, fmt.Sprintf("%s %q", id.Type, id.Value))
	}
	fmt.Fprintf(tw, "found by:\t%s\n", dash(strings.Join(found, ", ")))
	fmt.Fprintf(tw, "password:\t%s\n", map[bool]string{true: "set", false: "none (signs in with a code)"}[u.PasswordHash != ""])
	return tw.Flush()
}

// dash shows an empty value as "-" in tables.
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
