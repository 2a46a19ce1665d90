package main

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/keypadauth/keypad"
)

// idpJSON is a trusted identity provider as `--json` prints it.
type idpJSON struct {
	ID           string     `json:"id"`
	Name         string     `json:"name"`
	EntityID     string     `json:"entity_id"`
	NameIDMap    string     `json:"map"`
	Certificates []certJSON `json:"certificates"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// certJSON names a signing certificate: its subject, validity and
// SHA-256 fingerprint, as administrators compare them with the IdP's.
type certJSON struct {
	Subject   string    `json:"subject"`
	NotAfter  time.Time `json:"not_after"`
	SHA256    string    `json:"sha256"`
	NotBefore time.Time `json:"not_before"`
}

func newIdPJSON(p *keypad.IdP) idpJSON {
	j := idpJSON{ID: p.ID, Name: p.Name, EntityID: p.EntityID, NameIDMap: idpMap(p.NameIDMap),
		Certificates: []certJSON{}, CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC()}
	for _, der := range p.Certificates {
		sum := sha256.Sum256(der)
		c := certJSON{SHA256: hex.EncodeToString(sum[:])}
		if cert, err := x509.ParseCertificate(der); err == nil {
			c.Subject, c.NotBefore, c.NotAfter = cert.Subject.String(), cert.NotBefore.UTC(), cert.NotAfter.UTC()
		}
		j.Certificates = append(j.Certificates, c)
	}
	return j
}

func idpMap(m string) string {
	if m == "" {
		return keypad.NameIDMapAuto
	}
	return m
}

func (m *Main) idpCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "idp",
		Short: "Manage the SAML identity providers whose assertions clients may trade for tokens (saml2-bearer)",
	}
	cmd.AddCommand(m.idpAddCommand(), m.idpUpdateCommand(), m.idpListCommand(), m.idpGetCommand(), m.idpDeleteCommand())
	return cmd
}

const idpMapHelp = "how an assertion names a person: username, email, external_id, attribute:NAME (that SAML attribute's value), " +
	"or auto (subject ID, username, email or external ID; a name that fits two people is refused)"

func (m *Main) idpAddCommand() *cobra.Command {
	var name, metadata, mapping string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "add --name NAME --metadata FILE [--map username|email|external_id|attribute:NAME]",
		Short: "Trust an identity provider, from its SAML metadata",
		Long: `Trust an identity provider (IdP): keypad reads its entity ID and its signing
certificates from the SAML metadata file the IdP publishes. Clients then name
it with ` + "`keypad client create ... --grant-types saml2-bearer --saml-idps ID`" + `,
and may trade assertions it signs for tokens for the people they name.
See docs/assertion-grant.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			md, err := readIdPMetadata(metadata)
			if err != nil {
				return usageError(cmd, "%v", err)
			}
			p := &keypad.IdP{Name: strings.TrimSpace(name), EntityID: md.EntityID, Certificates: md.Certificates, NameIDMap: mapping}
			if p.ID, err = m.newID("idp_"); err != nil {
				return err
			}
			if err := p.Validate(); err != nil {
				return usageError(cmd, "%v", idpFlagError(err))
			}
			st, _, err := m.openStore(cmd)
			if err != nil {
				return err
			}
			defer closeStore(st, &err)
			p.CreatedAt = m.Now().UTC()
			p.UpdatedAt = p.CreatedAt
			if err := st.CreateIdP(cmd.Context(), p); err != nil {
				if errors.Is(err, keypad.ErrConflict) {
					return fmt.Errorf("an identity provider with entity ID %q is registered already: see `keypad idp list`, and `keypad idp update ID --metadata FILE` to replace its certificates", p.EntityID)
				}
				return fmt.Errorf("add idp: %w", err)
			}
			return printIdP(cmd.OutOrStdout(), p, asJSON)
		},
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "name administrators know the IdP by (required)")
	f.StringVar(&metadata, "metadata", "", "FILE with the IdP's SAML metadata (an md:EntityDescriptor) (required)")
	f.StringVar(&mapping, "map", "", idpMapHelp+" (default auto)")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (m *Main) idpUpdateCommand() *cobra.Command {
	var name, metadata, mapping string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "update ID [--metadata FILE] [--name NAME] [--map ...]",
		Short: "Change an identity provider; --metadata replaces its entity ID and certificates",
		Long: `Change an identity provider. --metadata FILE replaces its entity ID and all
its signing certificates with those of the file: for a key rollover, load the
IdP's metadata listing both keys, and again once it lists the new one alone.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			f := cmd.Flags()
			if !f.Changed("metadata") && !f.Changed("name") && !f.Changed("map") {
				return usageError(cmd, "nothing to change: give --metadata FILE, --name or --map")
			}
			st, _, err := m.openStore(cmd)
			if err != nil {
				return err
			}
			defer closeStore(st, &err)
			p, err := st.GetIdP(cmd.Context(), args[0])
			if err != nil {
				return idpErr(args[0], err)
			}
			if f.Changed("metadata") {
				md, err := readIdPMetadata(metadata)
				if err != nil {
					return usageError(cmd, "%v", err)
				}
				p.EntityID, p.Certificates = md.EntityID, md.Certificates
			}
			if f.Changed("name") {
				p.Name = strings.TrimSpace(name)
			}
			if f.Changed("map") {
				p.NameIDMap = mapping
			}
			if err := p.Validate(); err != nil {
				return usageError(cmd, "%v", idpFlagError(err))
			}
			p.UpdatedAt = m.Now().UTC()
			if err := st.UpdateIdP(cmd.Context(), p); err != nil {
				if errors.Is(err, keypad.ErrConflict) {
					return fmt.Errorf("another identity provider has entity ID %q: see `keypad idp list`", p.EntityID)
				}
				return idpErr(p.ID, err)
			}
			return printIdP(cmd.OutOrStdout(), p, asJSON)
		},
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "name administrators know the IdP by")
	f.StringVar(&metadata, "metadata", "", "FILE with the IdP's SAML metadata; replaces the entity ID and every certificate")
	f.StringVar(&mapping, "map", "", idpMapHelp)
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (m *Main) idpListCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use: "list", Short: "List the trusted identity providers", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			st, _, err := m.openStore(cmd)
			if err != nil {
				return err
			}
			defer closeStore(st, &err)
			ps, err := st.ListIdPs(cmd.Context())
			if err != nil {
				return fmt.Errorf("list idps: %w", err)
			}
			if asJSON {
				out := make([]idpJSON, 0, len(ps))
				for _, p := range ps {
					out = append(out, newIdPJSON(p))
				}
				return printJSON(cmd.OutOrStdout(), out)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tENTITY ID\tMAP\tCERTIFICATES")
			for _, p := range ps {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\n", p.ID, p.Name, p.EntityID, idpMap(p.NameIDMap), len(p.Certificates))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (m *Main) idpGetCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use: "get ID", Short: "Show an identity provider and its certificates", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			st, _, err := m.openStore(cmd)
			if err != nil {
				return err
			}
			defer closeStore(st, &err)
			p, err := st.GetIdP(cmd.Context(), args[0])
			if err != nil {
				return idpErr(args[0], err)
			}
			return printIdP(cmd.OutOrStdout(), p, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (m *Main) idpDeleteCommand() *cobra.Command {
	return &cobra.Command{
		Use: "delete ID", Short: "Stop trusting an identity provider", Args: cobra.ExactArgs(1),
		Long: `Stop trusting an identity provider: its assertions are refused from now on.
Clients that name it keep the name (and get invalid_grant for its
assertions); remove it from them with keypad client update --saml-idps.`,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			st, _, err := m.openStore(cmd)
			if err != nil {
				return err
			}
			defer closeStore(st, &err)
			if err := st.DeleteIdP(cmd.Context(), args[0]); err != nil {
				return idpErr(args[0], err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deleted idp %s\n", args[0])
			return nil
		},
	}
}

// readIdPMetadata reads and parses the --metadata file.
func readIdPMetadata(path string) (*keypad.IdPMetadata, error) {
	if path == "" {
		return nil, errors.New("--metadata FILE is required: the IdP's SAML metadata (an md:EntityDescriptor)")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--metadata: %v", err)
	}
	defer f.Close()
	doc, err := io.ReadAll(io.LimitReader(f, keypad.MaxIdPMetadataSize+1))
	if err != nil {
		return nil, fmt.Errorf("--metadata: %v", err)
	}
	md, err := keypad.ParseIdPMetadata(doc)
	if err != nil {
		return nil, fmt.Errorf("--metadata %s: %v", path, err)
	}
	return md, nil
}

// idpFlagError words an IdP rule as the flag behind it.
func idpFlagError(err error) error {
	var ve *keypad.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	switch ve.Field {
	case "name":
		return fmt.Errorf("--name %s", ve.Message)
	case "name_id_map":
		return fmt.Errorf("--map %s", ve.Message)
	case "entity_id", "certificates":
		return fmt.Errorf("--metadata: %s %s", strings.ReplaceAll(ve.Field, "_", " "), ve.Message)
	}
	return err
}

func idpErr(id string, err error) error {
	if errors.Is(err, keypad.ErrNotFound) {
		return fmt.Errorf("no identity provider %q: see `keypad idp list`", id)
	}
	return fmt.Errorf("idp %s: %w", id, err)
}

func printIdP(w io.Writer, p *keypad.IdP, asJSON bool) error {
	j := newIdPJSON(p)
	if asJSON {
		return printJSON(w, j)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
	fmt.Fprintf(tw, "id:\t%s\n", j.ID)
	fmt.Fprintf(tw, "name:\t%s\n", j.Name)
	fmt.Fprintf(tw, "entity_id:\t%s\n", j.EntityID)
	fmt.Fprintf(tw, "map:\t%s\n", j.NameIDMap)
	for i, c := range j.Certificates {
		fmt.Fprintf(tw, "certificate %d:\t%s, valid %s to %s, sha256 %s\n", i+1, c.Subject,
			c.NotBefore.Format(time.DateOnly), c.NotAfter.Format(time.DateOnly), c.SHA256)
	}
	return tw.Flush()
}
