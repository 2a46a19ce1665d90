package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/config"
	"github.com/keypadauth/keypad/manage"
	"github.com/keypadauth/keypad/token"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// clientJSON is a client as `--json` prints it. ClientSecret appears only
// in the output of create and rotate-secret, the one time it exists in
// clear.
type clientJSON struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret,omitempty"`
	Name         string `json:"name"`
	Description  string `json:"description,omitempty"`
	// Descriptions are Description in other languages, by BCP 47 tag.
	Descriptions map[string]string `json:"descriptions,omitempty"`
	Public       bool              `json:"public"`
	GrantTypes   []string          `json:"grant_types"`
	Scopes       []string          `json:"scopes"`
	RedirectURIs []string          `json:"redirect_uris"`
	TokenFormat  string            `json:"token_format"`
	SigningAlg   string            `json:"signing_alg"`
	// AccessTTL and RefreshTTL are in seconds; 0 means the server default.
	AccessTTL  int64 `json:"access_ttl"`
	RefreshTTL int64 `json:"refresh_ttl"`
	// The keypad.ClientOptions switches; RefreshIdleTTL is in seconds, 0
	// for none.
	AlwaysConsent             bool  `json:"always_consent"`
	AllowPlainPKCE            bool  `json:"allow_plain_pkce"`
	RefreshIdleTTL            int64 `json:"refresh_idle_ttl"`
	RefreshNoExpiry           bool  `json:"refresh_no_expiry"`
	ExplicitUnknownIdentifier bool  `json:"explicit_unknown_identifier"`
	IntrospectAny             bool  `json:"introspect_any"`
	// HintStyle is what OTP lookup hints show: masked or none.
	HintStyle string `json:"hint_style"`
	// AssertionIssuer is the iss the client's jwt-bearer assertions must
	// carry, shown when it has assertion keys; AssertionKeys lists them.
	AssertionIssuer string             `json:"assertion_issuer,omitempty"`
	AssertionKeys   []assertionKeyJSON `json:"assertion_keys,omitempty"`
	// AuthMethod is the registered token_endpoint_auth_method, when one
	// is; JWKSURI where a private_key_jwt client publishes its keys.
	AuthMethod string `json:"token_endpoint_auth_method,omitempty"`
	JWKSURI    string `json:"jwks_uri,omitempty"`
	// SAMLIdPs are the IdPs whose assertions the client may trade.
	SAMLIdPs []string `json:"saml_idps,omitempty"`
	// DPoP is optional or required (RFC 9449 sender-constrained tokens).
	DPoP string `json:"dpop"`
	// RequirePAR: authorization requests must be pushed (RFC 9126).
	RequirePAR bool `json:"require_par"`
	// Profile is "" or fapi2 (docs/fapi.md).
	Profile string `json:"profile,omitempty"`
	// Audiences are the resources the client's tokens may be for.
	Audiences []string  `json:"audiences,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func newClientJSON(c *keypad.Client, secret string) clientJSON {
	alg := c.Options.SigningAlg
	if alg == "" {
		alg = keypad.AlgES256
	}
	j := clientJSON{
		ClientID: c.ID, ClientSecret: secret, Name: c.Name, Description: c.Description,
		Descriptions: descriptionsJSON(c.Descriptions),
		Public:       c.Public, GrantTypes: nonNil(c.GrantTypes), Scopes: nonNil(c.Scopes),
		RedirectURIs: nonNil(c.RedirectURIs), TokenFormat: string(c.TokenFormat), SigningAlg: alg,
		AccessTTL: int64(c.AccessTTL / time.Second), RefreshTTL: int64(c.RefreshTTL / time.Second),
		AlwaysConsent: c.Options.AlwaysConsent, AllowPlainPKCE: c.Options.AllowPlainPKCE,
		RefreshIdleTTL: int64(c.Options.RefreshIdleTTL / time.Second), RefreshNoExpiry: c.Options.RefreshNoExpiry,
		ExplicitUnknownIdentifier: c.Options.ExplicitUnknownIdentifier,
		IntrospectAny:             c.Options.IntrospectAny,
		HintStyle:                 hintStyle(c.Options),
		AssertionKeys:             assertionKeysOf(c.Options),
		AuthMethod:                c.Options.TokenEndpointAuthMethod,
		JWKSURI:                   c.Options.JWKSURI,
		SAMLIdPs:                  c.Options.SAMLIdPs,
		DPoP:                      dpopMode(c.Options),
		RequirePAR:                c.Options.RequirePAR,
		Profile:                   c.Options.Profile,
		Audiences:                 c.Options.Audiences,
		CreatedAt:                 c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(),
	}
	if j.AssertionKeys != nil {
		j.AssertionIssuer = c.Options.AssertionIssuer
		if j.AssertionIssuer == "" {
			j.AssertionIssuer = c.ID
		}
	}
	return j
}

func (m *Main) clientCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "client", Short: "Register and manage OAuth clients"}
	cmd.AddCommand(remoteOK(m.clientCreateCommand(), m.clientUpdateCommand(), m.clientListCommand(), m.clientGetCommand(),
		m.clientDeleteCommand(), m.clientRotateCommand())...)
	cmd.AddCommand(m.initialTokenCommand())
	return cmd
}

func (m *Main) clientCreateCommand() *cobra.Command {
	var spec clientSpec
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "create --name NAME --grant-types GRANT[,GRANT] [--scopes \"A B\"] ...",
		Short: "Register a client; prints its secret once",
		Long: `Register a client. A confidential client gets a generated secret (kp_cs_...),
printed this once: keypad stores only its SHA-256 hash.

Grant types: ` + strings.Join(keypad.AllGrantTypes, ", ") + `
(device_code, otp, jwt-bearer and saml2-bearer work as short names).

A jwt-bearer partner needs --assertion-keys: its public keys, as a JWK Set or
PEM. It can then act for any subject it names; see docs/assertion-grant.md.
A saml2-bearer client needs --saml-idps: the identity providers (keypad idp
list) whose signed SAML assertions it may trade for tokens.

--auth-method private_key_jwt with --jwks FILE or --jwks-uri URL registers a
client that authenticates with JWTs signed by its own key (RFC 7523 section
2.2) and gets no secret. client_secret_jwt is not offered: keypad keeps only a
hash of each secret. See docs/configuration.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := spec.client()
			if err != nil {
				return usageError(cmd, "%v", err)
			}
			return m.withManager(cmd, func(b manager) error {
				if err := b.CheckClient(cmd.Context(), c); err != nil {
					return usageError(cmd, "%v", flagError(err))
				}
				created, secret, err := b.CreateClient(cmd.Context(), c)
				if err != nil {
					if errors.Is(err, keypad.ErrConflict) {
						return fmt.Errorf("a client with ID %q already exists: choose another --id", c.ID)
					}
					return fmt.Errorf("create client: %w", err)
				}
				return m.printClient(cmd.OutOrStdout(), created, secret, asJSON)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&spec.ID, "id", "", "client ID (default: generated)")
	f.BoolVar(&spec.Public, "public", false, "a public client (TV, CLI, native app) that cannot keep a secret")
	clientFlags(f, &spec, false)
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// clientFlags binds the flags that create and update share to spec. For
// update nothing is required and nothing has a default: a flag not given
// keeps the client's value.
func clientFlags(f *pflag.FlagSet, spec *clientSpec, update bool) {
	required, format, alg := " (required)", "jwt", "ES256"
	if update {
		required, format, alg = "", "", ""
	}
	f.StringVar(&spec.Name, "name", "", "name shown to people on consent pages and in messages"+required)
	f.StringVar(&spec.Description, "description", "", "what the client is, shown under its name on consent pages")
	descriptionFlags(f, &spec.Descriptions, "what the client is")
	f.StringSliceVar(&spec.GrantTypes, "grant-types", nil, "grant types the client may use, comma-separated"+required)
	f.StringVar(&spec.Scopes, "scopes", "", "scopes the client may be granted, space- or comma-separated")
	f.StringSliceVar(&spec.RedirectURIs, "redirect-uris", nil, "allowed redirect URIs, comma-separated (authorization_code)")
	f.StringVar(&spec.TokenFormat, "token-format", format, "access token format: jwt or opaque")
	f.StringVar(&spec.SigningAlg, "signing-alg", alg, "JWT signing algorithm: ES256 or RS256")
	f.StringVar(&spec.AccessTTL, "access-ttl", "", "access token lifetime, 1m to 24h; with --token-format opaque up to "+
		manage.DurationText(token.MaxOpaqueAccessTTL, "")+", for devices that cannot refresh (default: the server's access_ttl)")
	f.StringVar(&spec.RefreshTTL, "refresh-ttl", "", "absolute refresh token lifetime, 1h to "+manage.DurationText(token.MaxRefreshTTL, "")+
		", e.g. 90d (default: the server's refresh_ttl)")
	f.StringVar(&spec.RefreshIdleTTL, "refresh-idle-ttl", "", "end a refresh token not used for this long, e.g. 30d (default: no idle limit)")
	f.BoolVar(&spec.RefreshNoExpiry, "refresh-no-expiry", false, "refresh tokens live until revoked (long-lived devices); not with --refresh-ttl")
	f.BoolVar(&spec.AlwaysConsent, "always-consent", false, "show the consent page at every sign-in, even when consent was given before")
	f.BoolVar(&spec.AllowPlainPKCE, "allow-plain-pkce", false, "accept code_challenge_method=plain (RFC 7636 section 4.2), for apps that cannot hash; S256 is safer")
	f.BoolVar(&spec.ExplicitUnknownIdentifier, "explicit-unknown-identifier", false,
		"OTP lookups of someone unknown answer unknown_identifier instead of decoy channels; only for clients that may learn who is a customer")
	f.BoolVar(&spec.IntrospectAny, "introspect-any", false,
		"a resource server: may introspect every token, not only those issued to it or naming it in aud")
	f.StringVar(&spec.HintStyle, "hint-style", keypad.HintStyleMasked, "what OTP lookup hints show: masked ((•••) •••-4821, h•••@e•••.com) or none "+
		"(•••-••••, •••@•••: no digit or letter, so someone who knows a number cannot check it against the hint)")
	f.StringVar(&spec.AssertionIssuer, "assertion-issuer", "", "jwt-bearer: the iss the partner's assertions carry (default: the client ID)")
	f.StringVar(&spec.AssertionKeys, "assertion-keys", "", "jwt-bearer: FILE with the partner's public keys, a JWK Set (JSON) or PEM public keys or certificates"+
		map[bool]string{false: "", true: `; "none" removes them`}[update])
	f.StringVar(&spec.AuthMethod, "auth-method", "", "the one way the client authenticates: client_secret_basic, client_secret_post, private_key_jwt "+
		"or none (default: its secret, Basic or in the body; none for --public)")
	f.StringVar(&spec.AssertionKeys, "jwks", "", "private_key_jwt: FILE with the client's public keys (JWK Set or PEM); the same keys as --assertion-keys")
	f.StringVar(&spec.CIBAMode, "backchannel-token-delivery-mode", "", "CIBA: poll (the default) or ping")
	f.StringVar(&spec.CIBAEndpoint, "backchannel-client-notification-endpoint", "", "CIBA ping mode: https URL (http only to loopback) keypad POSTs {\"auth_req_id\":...} to once the person decided")
	f.BoolVar(&spec.CIBAUserCode, "backchannel-user-code-parameter", false, "CIBA: the client sends a user_code (not offered yet: refused with an explanation)")
	f.BoolVar(&spec.CIBASignIn, "backchannel-require-sign-in", false, "CIBA: the person must be signed in on keypad to approve, not only hold the phone or inbox")
	f.BoolVar(&spec.CIBABindingCode, "backchannel-require-binding-code", false, "CIBA: the person must type the code the client shows (binding_message, 4 to 8 digits; never sent to them) to approve")
	f.StringSliceVar(&spec.SAMLIdPs, "saml-idps", nil, "saml2-bearer: IDs of the identity providers whose SAML assertions the client may trade, comma-separated (keypad idp list)")
	f.StringVar(&spec.DPoP, "dpop", keypad.DPoPOptional, "DPoP (RFC 9449): optional (a proof, when the client sends one, binds its tokens to its key) "+
		"or required (token requests without a proof are refused, so every token is bound); see docs/dpop.md")
	f.BoolVar(&spec.RequirePAR, "require-par", false, "authorization requests must be pushed to /oauth2/par first (RFC 9126); "+
		"/oauth2/authorize then takes only client_id and request_uri")
	f.StringVar(&spec.Profile, "profile", "", "a security profile the client is held to: fapi2 (FAPI 2.0 Security Profile: needs --auth-method private_key_jwt, "+
		"--dpop required and --require-par; see docs/fapi.md)"+map[bool]string{false: "", true: `; "" removes it`}[update])
	f.StringSliceVar(&spec.Audiences, "audiences", nil, "the resources (RFC 8707) the client's access tokens may be for, comma-separated URLs: "+
		"every request must then name one with resource, and the token's aud is it (docs/fapi.md)"+map[bool]string{false: "", true: `; "" removes them`}[update])
	f.StringVar(&spec.JWKSURI, "jwks-uri", "", "private_key_jwt: https URL where the client publishes its JWK Set; fetched and cached by the server"+
		map[bool]string{false: "", true: `; "" removes it`}[update])
}

func (m *Main) clientUpdateCommand() *cobra.Command {
	var spec clientSpec
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "update CLIENT_ID [--name NAME] [--scopes \"A B\"] [--always-consent=false] ...",
		Short: "Change a client's registration",
		Long: `Change a client's registration: only the flags given change, and a flag
replaces the whole value (--scopes "a b" sets both scopes, --grant-types the
full list). Turn a switch off with =false (--always-consent=false); give a
lifetime as "default" to go back to the server's.

The client ID, its secret and --public stay: see rotate-secret, or delete the
client and create it again. Running servers see the change at once (with
client_cache_ttl set, within that time).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.withClient(cmd, args[0], func(b manager, old *keypad.Client) error {
				c, err := updated(cmd.Flags(), old)
				if err != nil {
					return usageError(cmd, "%v", err)
				}
				if err := b.CheckClient(cmd.Context(), c); err != nil {
					return usageError(cmd, "%v", flagError(err))
				}
				if c, err = b.UpdateClient(cmd.Context(), c); err != nil {
					return clientErr(old.ID, err)
				}
				return m.printClient(cmd.OutOrStdout(), c, "", asJSON)
			})
		},
	}
	clientFlags(cmd.Flags(), &spec, true)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// updated is old with the flags set on the command line applied: they are
// replayed onto the flags of old's own spec, and the result checked as
// create checks it.
func updated(given *pflag.FlagSet, old *keypad.Client) (*keypad.Client, error) {
	var spec clientSpec
	f := pflag.NewFlagSet("update", pflag.ContinueOnError)
	clientFlags(f, &spec, true)
	spec = specOf(old) // after clientFlags, which sets the flags' defaults
	var err error
	changes := 0
	given.VisitAll(func(g *pflag.Flag) {
		dst := f.Lookup(g.Name)
		if err != nil || dst == nil || !g.Changed {
			return // not a client flag (--json, --db), or not given
		}
		changes++
		if gs, ok := g.Value.(pflag.SliceValue); ok {
			err = dst.Value.(pflag.SliceValue).Replace(gs.GetSlice())
		} else {
			err = dst.Value.Set(g.Value.String())
		}
	})
	switch {
	case err != nil:
		return nil, err
	case changes == 0:
		return nil, fmt.Errorf("nothing to change: give the flags to change, e.g. --scopes \"a b\"")
	}
	c, err := spec.client()
	if err != nil {
		return nil, err
	}
	c.SecretHash, c.CreatedAt = old.SecretHash, old.CreatedAt
	return c, nil
}

func (m *Main) clientListCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use: "list", Short: "List clients", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			b, err := m.manager(cmd)
			if err != nil {
				return err
			}
			defer closeStore(b, &err)
			cs, err := b.ListClients(cmd.Context())
			if err != nil {
				return fmt.Errorf("list clients: %w", err)
			}
			if asJSON {
				out := make([]clientJSON, 0, len(cs))
				for _, c := range cs {
					out = append(out, newClientJSON(c, ""))
				}
				return printJSON(cmd.OutOrStdout(), out)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "CLIENT ID\tNAME\tTYPE\tFORMAT\tGRANT TYPES")
			for _, c := range cs {
				kind := "confidential"
				if c.Public {
					kind = "public"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.ID, c.Name, kind, c.TokenFormat, strings.Join(c.GrantTypes, ","))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (m *Main) clientGetCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use: "get CLIENT_ID", Short: "Show a client", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.withClient(cmd, args[0], func(_ manager, c *keypad.Client) error {
				return m.printClient(cmd.OutOrStdout(), c, "", asJSON)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (m *Main) clientDeleteCommand() *cobra.Command {
	return &cobra.Command{
		Use: "delete CLIENT_ID", Short: "Delete a client and every token and grant issued to it", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.withManager(cmd, func(b manager) error {
				if err := b.DeleteClient(cmd.Context(), args[0]); err != nil {
					return clientErr(args[0], err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "deleted client %s\n", args[0])
				return nil
			})
		},
	}
}

func (m *Main) clientRotateCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "rotate-secret CLIENT_ID",
		Short: "Replace a client's secret; prints the new one once",
		Long: `Replace a client's secret. The old secret stops working at once (on servers
with client_cache_ttl set, within that time). The new one is printed this once.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.withClient(cmd, args[0], func(b manager, c *keypad.Client) error {
				switch {
				case c.Public:
					return fmt.Errorf("client %s is public: it has no secret to rotate", c.ID)
				case !manage.TakesSecret(c):
					return fmt.Errorf("client %s authenticates with private_key_jwt, so a secret would not be accepted: change its keys with `keypad client update %s --jwks FILE` (or --jwks-uri), or first switch it to --auth-method client_secret_basic", c.ID, c.ID)
				}
				id := c.ID
				c, secret, err := b.RotateSecret(cmd.Context(), c)
				if err != nil {
					return clientErr(id, err)
				}
				return m.printClient(cmd.OutOrStdout(), c, secret, asJSON)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// withClient opens the manager, finds client id (or says how to list
// the clients) and calls fn with both.
func (m *Main) withClient(cmd *cobra.Command, id string, fn func(manager, *keypad.Client) error) error {
	return m.withManager(cmd, func(b manager) error {
		c, err := b.GetClient(cmd.Context(), id)
		if err != nil {
			return clientErr(id, err)
		}
		return fn(b, c)
	})
}

// printClient shows a client; secret, when set, is shown with a warning
// that it will not be shown again.
func (m *Main) printClient(w io.Writer, c *keypad.Client, secret string, asJSON bool) error {
	if asJSON {
		return printJSON(w, newClientJSON(c, secret))
	}
	j := newClientJSON(c, secret)
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
	fmt.Fprintf(tw, "client_id:\t%s\n", j.ClientID)
	if secret != "" {
		fmt.Fprintf(tw, "client_secret:\t%s\n", secret)
	}
	fmt.Fprintf(tw, "name:\t%s\n", j.Name)
	if j.Description != "" {
		fmt.Fprintf(tw, "description:\t%s\n", j.Description)
	}
	for _, line := range descriptionLines(c.Descriptions) {
		fmt.Fprintln(tw, line)
	}
	fmt.Fprintf(tw, "public:\t%t\n", j.Public)
	fmt.Fprintf(tw, "grant_types:\t%s\n", strings.Join(j.GrantTypes, " "))
	fmt.Fprintf(tw, "scopes:\t%s\n", strings.Join(j.Scopes, " "))
	if len(j.RedirectURIs) > 0 {
		fmt.Fprintf(tw, "redirect_uris:\t%s\n", strings.Join(j.RedirectURIs, " "))
	}
	fmt.Fprintf(tw, "token_format:\t%s (%s)\n", j.TokenFormat, j.SigningAlg)
	fmt.Fprintf(tw, "access_ttl:\t%s\n", ttlText(c.AccessTTL))
	if c.Options.RefreshNoExpiry {
		fmt.Fprintf(tw, "refresh_ttl:\tnever expires\n")
	} else {
		fmt.Fprintf(tw, "refresh_ttl:\t%s\n", ttlText(c.RefreshTTL))
	}
	if len(j.AssertionKeys) > 0 {
		iss := j.AssertionIssuer
		if c.Options.AssertionIssuer == "" {
			iss += " (the client ID)"
		}
		fmt.Fprintf(tw, "assertion_issuer:\t%s\n", iss)
		fmt.Fprintf(tw, "assertion_keys:\t%s\n", assertionKeysText(j.AssertionKeys))
	}
	if j.AuthMethod != "" {
		fmt.Fprintf(tw, "token_endpoint_auth_method:\t%s\n", j.AuthMethod)
	}
	if j.JWKSURI != "" {
		fmt.Fprintf(tw, "jwks_uri:\t%s\n", j.JWKSURI)
	}
	if len(j.SAMLIdPs) > 0 {
		fmt.Fprintf(tw, "saml_idps:\t%s\n", strings.Join(j.SAMLIdPs, " "))
	}
	if len(j.Audiences) > 0 {
		fmt.Fprintf(tw, "audiences:\t%s\n", strings.Join(j.Audiences, " "))
	}
	if opts := optionsText(c.Options); opts != "" {
		fmt.Fprintf(tw, "options:\t%s\n", opts)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if secret != "" {
		fmt.Fprintln(w, "\nStore the client secret now: keypad keeps only its hash and cannot show it again.")
	}
	return nil
}

// hintStyle is the client's hint style by name, the default included.
func hintStyle(o keypad.ClientOptions) string {
	if o.HintStyle == "" {
		return keypad.HintStyleMasked
	}
	return o.HintStyle
}

// dpopMode is the client's DPoP mode by name, the default included.
func dpopMode(o keypad.ClientOptions) string {
	if o.DPoP == "" {
		return keypad.DPoPOptional
	}
	return o.DPoP
}

// optionsText lists the switches a client has on, as flag names.
func optionsText(o keypad.ClientOptions) string {
	var on []string
	for _, opt := range []struct {
		set  bool
		name string
	}{
		{o.AlwaysConsent, "always-consent"},
		{o.AllowPlainPKCE, "allow-plain-pkce"},
		{o.RefreshIdleTTL != 0, "refresh-idle-ttl=" + config.FormatDuration(o.RefreshIdleTTL)},
		{o.RefreshNoExpiry, "refresh-no-expiry"},
		{o.ExplicitUnknownIdentifier, "explicit-unknown-identifier"},
		{o.IntrospectAny, "introspect-any"},
		{o.HintStyle != "", "hint-style=" + o.HintStyle},
		{o.CIBA.DeliveryMode != "", "backchannel-token-delivery-mode=" + o.CIBA.DeliveryMode},
		{o.CIBA.NotificationEndpoint != "", "backchannel-client-notification-endpoint=" + o.CIBA.NotificationEndpoint},
		{o.CIBA.RequireSignIn, "backchannel-require-sign-in"},
		{o.CIBA.RequireBindingCode, "backchannel-require-binding-code"},
		{o.DPoP != "", "dpop=" + o.DPoP},
		{o.RequirePAR, "require-par"},
		{o.Profile != "", "profile=" + o.Profile},
	} {
		if opt.set {
			on = append(on, opt.name)
		}
	}
	return strings.Join(on, " ")
}

// clientErr turns a store error about client id into a message that says
// what to do.
func clientErr(id string, err error) error {
	switch {
	case errors.Is(err, keypad.ErrNotFound):
		return fmt.Errorf("no client %q: see `keypad client list`", id)
	case errors.Is(err, keypad.ErrStale):
		return fmt.Errorf("client %s: %w", id, err)
	}
	return fmt.Errorf("client %s: %w", id, err)
}

// newID returns a random identifier (manage.NewID) from the CLI's
// randomness.
func (m *Main) newID(prefix string) (string, error) { return manage.NewID(m.Rand, prefix) }
