package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/config"
	"github.com/keypadauth/keypad/token"
)

// clientSpec is what `keypad client create` or `update` was asked for,
// before it becomes a keypad.Client. Lifetimes are kept as typed, so that
// errors can quote them.
type clientSpec struct {
	ID, Name, Description string
	// Descriptions are --description-<tag> and --description-in.
	Descriptions          keypad.Descriptions
	GrantTypes            []string
	Scopes                string
	RedirectURIs          []string
	Public                bool
	TokenFormat           string
	AccessTTL, RefreshTTL string
	SigningAlg            string
	// The keypad.ClientOptions switches, all of them: update rebuilds a
	// client's options from its spec.
	AlwaysConsent, AllowPlainPKCE bool
	RefreshIdleTTL                string
	RefreshNoExpiry               bool
	ExplicitUnknownIdentifier     bool
	IntrospectAny                 bool
	HintStyle                     string
	// AssertionIssuer and AssertionKeys are the jwt-bearer flags:
	// AssertionKeys names a file (or is noKeys); keptKeys are the keys the
	// client has, which update keeps when the flag is not given.
	AssertionIssuer string
	AssertionKeys   string
	keptKeys        json.RawMessage
	// AuthMethod is --auth-method (token_endpoint_auth_method); JWKSURI is
	// --jwks-uri. --jwks FILE is --assertion-keys by another name: one JWK
	// Set serves both the jwt-bearer grant and private_key_jwt.
	AuthMethod string
	JWKSURI    string
	// The CIBA flags (keypad.CIBAOptions).
	CIBAMode, CIBAEndpoint   string
	CIBAUserCode, CIBASignIn bool
	CIBABindingCode          bool
	// SAMLIdPs is --saml-idps: the IdPs whose SAML assertions the client
	// may trade (saml2-bearer).
	SAMLIdPs []string
	// DPoP is --dpop: optional or required (RFC 9449).
	DPoP string
	// RequirePAR is --require-par (RFC 9126).
	RequirePAR bool
	// Profile is --profile: "" or fapi2.
	Profile string
	// Audiences is --audiences: the resources the client's tokens may be
	// for (keypad.ClientOptions.Audiences).
	Audiences []string
}

// specOf is the spec that would create c (ID and Public included), for
// update to change only what it is told.
func specOf(c *keypad.Client) clientSpec {
	return clientSpec{
		ID: c.ID, Name: c.Name, Description: c.Description, Descriptions: maps.Clone(c.Descriptions),
		GrantTypes: slices.Clone(c.GrantTypes), Scopes: keypad.FormatScope(c.Scopes),
		RedirectURIs: slices.Clone(c.RedirectURIs), Public: c.Public, TokenFormat: string(c.TokenFormat),
		AccessTTL: ttlSpec(c.AccessTTL), RefreshTTL: ttlSpec(c.RefreshTTL), SigningAlg: c.Options.SigningAlg,
		AlwaysConsent: c.Options.AlwaysConsent, AllowPlainPKCE: c.Options.AllowPlainPKCE,
		RefreshIdleTTL: ttlSpec(c.Options.RefreshIdleTTL), RefreshNoExpiry: c.Options.RefreshNoExpiry,
		ExplicitUnknownIdentifier: c.Options.ExplicitUnknownIdentifier,
		IntrospectAny:             c.Options.IntrospectAny,
		HintStyle:                 c.Options.HintStyle,
		AssertionIssuer:           c.Options.AssertionIssuer,
		keptKeys:                  c.Options.AssertionKeys,
		AuthMethod:                c.Options.TokenEndpointAuthMethod,
		JWKSURI:                   c.Options.JWKSURI,
		CIBAMode:                  c.Options.CIBA.DeliveryMode,
		CIBAEndpoint:              c.Options.CIBA.NotificationEndpoint,
		CIBAUserCode:              c.Options.CIBA.UserCodeParameter,
		CIBASignIn:                c.Options.CIBA.RequireSignIn,
		CIBABindingCode:           c.Options.CIBA.RequireBindingCode,
		SAMLIdPs:                  slices.Clone(c.Options.SAMLIdPs),
		DPoP:                      c.Options.DPoP,
		RequirePAR:                c.Options.RequirePAR,
		Profile:                   c.Options.Profile,
		Audiences:                 slices.Clone(c.Options.Audiences),
	}
}

// ttlSpec writes a lifetime as its flag takes it; 0 (the default) is "".
func ttlSpec(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return config.FormatDuration(d)
}

// grantAliases lets people type the long URN grant types by a short name.
var grantAliases = map[string]string{
	"device_code":  keypad.GrantDeviceCode,
	"device":       keypad.GrantDeviceCode,
	"otp":          keypad.GrantOTP,
	"jwt-bearer":   keypad.GrantJWTBearer,
	"jwt_bearer":   keypad.GrantJWTBearer,
	"saml2-bearer": keypad.GrantSAML2Bearer,
	"saml2_bearer": keypad.GrantSAML2Bearer,
	"ciba":         keypad.GrantCIBA,
}

// client checks the spec and returns the client it describes (without ID,
// secret or times). Each error names the flag and says what is allowed.
// The rules of what makes a client valid are keypad.Client.Validate's;
// this reads the flags and words its errors as flags.
func (s clientSpec) client() (*keypad.Client, error) {
	c := &keypad.Client{
		ID:          s.ID,
		Name:        strings.TrimSpace(s.Name),
		Description: strings.TrimSpace(s.Description),
		Public:      s.Public,
		// An empty map is none, as the store reads it back.
		Descriptions: noneIfEmpty(maps.Clone(s.Descriptions)),
		TokenFormat:  keypad.TokenFormat(s.TokenFormat),
	}
	if c.Name == "" {
		return nil, fmt.Errorf("--name is required: a name people recognise on consent pages and in messages")
	}
	if s.ID != "" && !keypad.ValidClientID(s.ID) {
		return nil, fmt.Errorf("--id %q: use 1 to 64 letters, digits, '.', '_' or '-'", s.ID)
	}

	for _, g := range s.GrantTypes {
		for _, g := range strings.Split(g, ",") {
			g = strings.TrimSpace(g)
			if g == "" {
				continue
			}
			if full, ok := grantAliases[g]; ok {
				g = full
			}
			if !slices.Contains(keypad.AllGrantTypes, g) {
				return nil, fmt.Errorf("--grant-types: unknown grant type %q; known: %s", g, strings.Join(keypad.AllGrantTypes, ", "))
			}
			if !slices.Contains(c.GrantTypes, g) {
				c.GrantTypes = append(c.GrantTypes, g)
			}
		}
	}
	if len(c.GrantTypes) == 0 {
		return nil, fmt.Errorf("--grant-types is required, e.g. --grant-types client_credentials")
	}
	c.Scopes = keypad.ParseScope(strings.ReplaceAll(s.Scopes, ",", " "))

	for _, u := range s.RedirectURIs {
		for _, u := range strings.Split(u, ",") {
			if u = strings.TrimSpace(u); u == "" {
				continue
			}
			c.RedirectURIs = append(c.RedirectURIs, u)
		}
	}

	switch c.TokenFormat {
	case "":
		c.TokenFormat = keypad.FormatJWT
	case keypad.FormatJWT, keypad.FormatOpaque:
	default:
		return nil, fmt.Errorf("--token-format %q: use jwt or opaque", s.TokenFormat)
	}
	switch strings.ToUpper(s.SigningAlg) {
	case "", keypad.AlgES256:
	case keypad.AlgRS256:
		c.Options.SigningAlg = keypad.AlgRS256
	default:
		return nil, fmt.Errorf("--signing-alg %q: use ES256 or RS256", s.SigningAlg)
	}

	if err := s.lifetimes(c); err != nil {
		return nil, err
	}
	c.Options.AlwaysConsent = s.AlwaysConsent
	c.Options.AllowPlainPKCE = s.AllowPlainPKCE
	c.Options.ExplicitUnknownIdentifier = s.ExplicitUnknownIdentifier
	c.Options.IntrospectAny = s.IntrospectAny
	switch s.HintStyle {
	case "", keypad.HintStyleMasked:
		c.Options.HintStyle = "" // the default, stored as such
	case keypad.HintStyleNone:
		c.Options.HintStyle = keypad.HintStyleNone
	default:
		return nil, fmt.Errorf("--hint-style %q: use %s (last four digits, first letters) or %s (no digits or letters)", s.HintStyle, keypad.HintStyleMasked, keypad.HintStyleNone)
	}
	c.Options.TokenEndpointAuthMethod = s.AuthMethod
	c.Options.JWKSURI = s.JWKSURI
	c.Options.CIBA = keypad.CIBAOptions{
		DeliveryMode: s.CIBAMode, NotificationEndpoint: s.CIBAEndpoint,
		UserCodeParameter: s.CIBAUserCode, RequireSignIn: s.CIBASignIn,
		RequireBindingCode: s.CIBABindingCode,
	}
	if c.Options.CIBA.DeliveryMode == keypad.CIBAModePoll && !slices.Contains(c.GrantTypes, keypad.GrantCIBA) {
		c.Options.CIBA.DeliveryMode = "" // the default, stored as such
	}
	for _, id := range s.SAMLIdPs {
		for _, id := range strings.Split(id, ",") {
			if id = strings.TrimSpace(id); id != "" && !slices.Contains(c.Options.SAMLIdPs, id) {
				c.Options.SAMLIdPs = append(c.Options.SAMLIdPs, id)
			}
		}
	}
	for _, a := range s.Audiences {
		for _, a := range strings.Split(a, ",") {
			if a = strings.TrimSpace(a); a != "" && !slices.Contains(c.Options.Audiences, a) {
				c.Options.Audiences = append(c.Options.Audiences, a)
			}
		}
	}
	c.Options.DPoP = s.DPoP
	c.Options.RequirePAR = s.RequirePAR
	c.Options.Profile = s.Profile
	if c.Options.DPoP == keypad.DPoPOptional {
		c.Options.DPoP = "" // the default, stored as such
	}
	if err := s.assertion(c); err != nil {
		return nil, err
	}
	// The ID is drawn after this when --id is not given; every other rule
	// applies now, before anything is stored.
	v := *c
	if v.ID == "" {
		v.ID = "drawn-later"
	}
	if err := v.Validate(); err != nil {
		return nil, flagError(err)
	}
	return c, nil
}

// flagError words a domain rule's *keypad.ValidationError as the flag it
// came from: "--public clients cannot …", "--scopes: "x" is not …".
func flagError(err error) error {
	var ve *keypad.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	flag := flagOf(ve.Field)
	if strings.HasPrefix(ve.Message, "is ") || strings.HasPrefix(ve.Message, "clients ") {
		return fmt.Errorf("%s %s", flag, ve.Message)
	}
	return fmt.Errorf("%s: %s", flag, ve.Message)
}

// flagOf is the flag that sets a registration field.
func flagOf(field string) string {
	switch field {
	case "token_endpoint_auth_method":
		return "--auth-method"
	case "jwks":
		return "--jwks"
	case "descriptions":
		return "--description-in"
	case "preferred_language":
		return "--language"
	}
	return "--" + strings.ReplaceAll(field, "_", "-")
}

// assertion sets c's jwt-bearer registration: the issuer, and the keys
// from the --assertion-keys file (kept as they were when the flag is not
// given, removed with "none").
func (s clientSpec) assertion(c *keypad.Client) error {
	c.Options.AssertionIssuer = s.AssertionIssuer
	switch s.AssertionKeys {
	case "":
		c.Options.AssertionKeys = s.keptKeys
	case noKeys:
		c.Options.AssertionKeys = nil
	default:
		doc, err := readAssertionKeys(s.AssertionKeys)
		if err != nil {
			return err
		}
		c.Options.AssertionKeys = doc
	}
	if err := c.Options.Validate(); err != nil {
		return flagError(err)
	}
	return nil
}

// lifetimes sets c's token lifetimes within the caps the token package
// applies when it issues (token.MaxAccessTTL, token.MaxRefreshTTL), so that
// what the CLI accepts is what clients get.
func (s clientSpec) lifetimes(c *keypad.Client) error {
	var err error
	if c.AccessTTL, err = ttlFlag("--access-ttl", s.AccessTTL, config.MinAccessTTL, token.MaxAccessTTL(c.TokenFormat)); err != nil {
		if c.TokenFormat == keypad.FormatJWT && c.AccessTTL > token.MaxJWTAccessTTL && c.AccessTTL <= token.MaxOpaqueAccessTTL {
			return fmt.Errorf("%w for JWT access tokens; only opaque ones (--token-format opaque), which introspection can end at once, may live up to %s, for devices that cannot refresh",
				err, durationText(token.MaxOpaqueAccessTTL, s.AccessTTL))
		}
		return err
	}
	if c.RefreshTTL, err = ttlFlag("--refresh-ttl", s.RefreshTTL, config.MinRefreshTTL, token.MaxRefreshTTL); err != nil {
		return err
	}
	if c.Options.RefreshIdleTTL, err = ttlFlag("--refresh-idle-ttl", s.RefreshIdleTTL, config.MinRefreshTTL, token.MaxRefreshTTL); err != nil {
		return err
	}
	c.Options.RefreshNoExpiry = s.RefreshNoExpiry
	switch {
	case c.Options.RefreshNoExpiry && c.RefreshTTL != 0:
		return fmt.Errorf("--refresh-no-expiry and --refresh-ttl %s contradict each other: refresh tokens live either until revoked or for a time; choose one", s.RefreshTTL)
	case c.RefreshTTL != 0 && c.Options.RefreshIdleTTL >= c.RefreshTTL:
		return fmt.Errorf("--refresh-idle-ttl %s is not shorter than --refresh-ttl %s, so it would never end a token: make it shorter or leave it out", s.RefreshIdleTTL, s.RefreshTTL)
	}
	return nil
}

// ttlFlag parses an optional lifetime; "" and "default" mean the server
// default (0). Out of range, it returns the parsed value with the error.
func ttlFlag(flag, v string, lo, hi time.Duration) (time.Duration, error) {
	if v == "" || v == "default" {
		return 0, nil
	}
	d, err := config.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", flag, err)
	}
	if d < lo || d > hi {
		return d, fmt.Errorf("%s %s is out of range: allowed %s to %s", flag, v, durationText(lo, v), durationText(hi, v))
	}
	return d, nil
}

// durationText writes a bound as the flags take it, in the unit of typed
// (the value it bounds; "" for help texts), naming the thirty years of
// token.MaxRefreshTTL.
func durationText(d time.Duration, typed string) string {
	if d == token.MaxRefreshTTL {
		return config.FormatDurationAs(d, typed) + " (30 years)"
	}
	return config.FormatDurationAs(d, typed)
}
