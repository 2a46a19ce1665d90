package manage

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/config"
	"github.com/keypadauth/keypad/token"
)

// ClientSpec is a client registration as an administrator asks for it
// (`keypad client create` and `update`, the admin API's clients), before
// it becomes a keypad.Client. Lifetimes are kept as typed ("90d"), so
// that errors can quote them.
type ClientSpec struct {
	ID, Name, Description string
	// Descriptions are Description in other languages, by BCP 47 tag.
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
	// AssertionIssuer and AssertionKeys are the jwt-bearer registration:
	// AssertionKeys is the JWK Set (nil: none). One JWK Set serves both
	// the jwt-bearer grant and private_key_jwt.
	AssertionIssuer string
	AssertionKeys   json.RawMessage
	// AuthMethod is token_endpoint_auth_method; JWKSURI is jwks_uri.
	AuthMethod string
	JWKSURI    string
	// The CIBA settings (keypad.CIBAOptions).
	CIBAMode, CIBAEndpoint   string
	CIBAUserCode, CIBASignIn bool
	CIBABindingCode          bool
	// SAMLIdPs are the IdPs whose SAML assertions the client
	// may trade (saml2-bearer).
	SAMLIdPs []string
	// DPoP is optional or required (RFC 9449).
	DPoP string
	// RequirePAR: authorization requests must be pushed (RFC 9126).
	RequirePAR bool
	// Profile is "" or fapi2.
	Profile string
	// Audiences are the resources the client's tokens may be
	// for (keypad.ClientOptions.Audiences).
	Audiences []string
}

// SpecOf is the spec that would create c (ID and Public included), for
// an update to change only what it is told.
func SpecOf(c *keypad.Client) ClientSpec {
	return ClientSpec{
		ID: c.ID, Name: c.Name, Description: c.Description, Descriptions: maps.Clone(c.Descriptions),
		GrantTypes: slices.Clone(c.GrantTypes), Scopes: keypad.FormatScope(c.Scopes),
		RedirectURIs: slices.Clone(c.RedirectURIs), Public: c.Public, TokenFormat: string(c.TokenFormat),
		AccessTTL: TTLSpec(c.AccessTTL), RefreshTTL: TTLSpec(c.RefreshTTL), SigningAlg: c.Options.SigningAlg,
		AlwaysConsent: c.Options.AlwaysConsent, AllowPlainPKCE: c.Options.AllowPlainPKCE,
		RefreshIdleTTL: TTLSpec(c.Options.RefreshIdleTTL), RefreshNoExpiry: c.Options.RefreshNoExpiry,
		ExplicitUnknownIdentifier: c.Options.ExplicitUnknownIdentifier,
		IntrospectAny:             c.Options.IntrospectAny,
		HintStyle:                 c.Options.HintStyle,
		AssertionIssuer:           c.Options.AssertionIssuer,
		AssertionKeys:             slices.Clone(c.Options.AssertionKeys),
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

// TTLSpec writes a lifetime as a spec takes it; 0 (the default) is "".
func TTLSpec(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return config.FormatDuration(d)
}

// GrantAliases lets people type the long URN grant types by a short name.
var GrantAliases = map[string]string{
	"device_code":  keypad.GrantDeviceCode,
	"device":       keypad.GrantDeviceCode,
	"otp":          keypad.GrantOTP,
	"jwt-bearer":   keypad.GrantJWTBearer,
	"jwt_bearer":   keypad.GrantJWTBearer,
	"saml2-bearer": keypad.GrantSAML2Bearer,
	"saml2_bearer": keypad.GrantSAML2Bearer,
	"ciba":         keypad.GrantCIBA,
}

// Client checks the spec and returns the client it describes (without
// ID, secret or times). An error is a *FieldError (the spec's own
// reading) or a *keypad.ValidationError (keypad.Client.Validate, where the
// rules of what makes a client valid live); either names the field and
// says what is allowed.
func (s ClientSpec) Client() (*keypad.Client, error) {
	c := &keypad.Client{
		ID:          s.ID,
		Name:        strings.TrimSpace(s.Name),
		Description: strings.TrimSpace(s.Description),
		Public:      s.Public,
		TokenFormat: keypad.TokenFormat(s.TokenFormat),
	}
	if len(s.Descriptions) > 0 {
		// An empty map is none, as the store reads it back.
		c.Descriptions = maps.Clone(s.Descriptions)
	}
	if c.Name == "" {
		return nil, fieldErr("name", "{name} is required: a name people recognise on consent pages and in messages")
	}
	if s.ID != "" && !keypad.ValidClientID(s.ID) {
		return nil, fieldErr("id", "{id} %q: use 1 to 64 letters, digits, '.', '_' or '-'", s.ID)
	}

	for _, g := range s.GrantTypes {
		for _, g := range strings.Split(g, ",") {
			g = strings.TrimSpace(g)
			if g == "" {
				continue
			}
			if full, ok := GrantAliases[g]; ok {
				g = full
			}
			if !slices.Contains(keypad.AllGrantTypes, g) {
				return nil, fieldErr("grant_types", "{grant_types}: unknown grant type %q; known: %s", g, strings.Join(keypad.AllGrantTypes, ", "))
			}
			if !slices.Contains(c.GrantTypes, g) {
				c.GrantTypes = append(c.GrantTypes, g)
			}
		}
	}
	if len(c.GrantTypes) == 0 {
		return nil, fieldErr("grant_types", "{grant_types} is required, e.g. client_credentials")
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
		return nil, fieldErr("token_format", "{token_format} %q: use jwt or opaque", s.TokenFormat)
	}
	switch strings.ToUpper(s.SigningAlg) {
	case "", keypad.AlgES256:
	case keypad.AlgRS256:
		c.Options.SigningAlg = keypad.AlgRS256
	default:
		return nil, fieldErr("signing_alg", "{signing_alg} %q: use ES256 or RS256", s.SigningAlg)
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
		return nil, fieldErr("hint_style", "{hint_style} %q: use %s (last four digits, first letters) or %s (no digits or letters)", s.HintStyle, keypad.HintStyleMasked, keypad.HintStyleNone)
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
	c.Options.AssertionIssuer = s.AssertionIssuer
	c.Options.AssertionKeys = s.AssertionKeys
	if err := c.Options.Validate(); err != nil {
		return nil, err
	}
	// The ID is drawn after this when no ID is given; every other rule
	// applies now, before anything is stored.
	v := *c
	if v.ID == "" {
		v.ID = "drawn-later"
	}
	if err := v.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// lifetimes sets c's token lifetimes within the caps the token package
// applies when it issues (token.MaxAccessTTL, token.MaxRefreshTTL), so that
// what the CLI accepts is what clients get.
func (s ClientSpec) lifetimes(c *keypad.Client) error {
	var err error
	if c.AccessTTL, err = ttlField("access_ttl", s.AccessTTL, config.MinAccessTTL, token.MaxAccessTTL(c.TokenFormat)); err != nil {
		if c.TokenFormat == keypad.FormatJWT && c.AccessTTL > token.MaxJWTAccessTTL && c.AccessTTL <= token.MaxOpaqueAccessTTL {
			return fieldErr("access_ttl", "%s for JWT access tokens; only opaque ones ({token_format} opaque), which introspection can end at once, may live up to %s, for devices that cannot refresh",
				err.(*FieldError).Text, DurationText(token.MaxOpaqueAccessTTL, s.AccessTTL))
		}
		return err
	}
	if c.RefreshTTL, err = ttlField("refresh_ttl", s.RefreshTTL, config.MinRefreshTTL, token.MaxRefreshTTL); err != nil {
		return err
	}
	if c.Options.RefreshIdleTTL, err = ttlField("refresh_idle_ttl", s.RefreshIdleTTL, config.MinRefreshTTL, token.MaxRefreshTTL); err != nil {
		return err
	}
	c.Options.RefreshNoExpiry = s.RefreshNoExpiry
	switch {
	case c.Options.RefreshNoExpiry && c.RefreshTTL != 0:
		return fieldErr("refresh_no_expiry", "{refresh_no_expiry} and {refresh_ttl} %s contradict each other: refresh tokens live either until revoked or for a time; choose one", s.RefreshTTL)
	case c.RefreshTTL != 0 && c.Options.RefreshIdleTTL >= c.RefreshTTL:
		return fieldErr("refresh_idle_ttl", "{refresh_idle_ttl} %s is not shorter than {refresh_ttl} %s, so it would never end a token: make it shorter or leave it out", s.RefreshIdleTTL, s.RefreshTTL)
	}
	return nil
}

// ttlField parses an optional lifetime; "" and "default" mean the server
// default (0). Out of range, it returns the parsed value with the error.
func ttlField(field, v string, lo, hi time.Duration) (time.Duration, error) {
	if v == "" || v == "default" {
		return 0, nil
	}
	d, err := config.ParseDuration(v)
	if err != nil {
		return 0, fieldErr(field, "{"+field+"}: %v", err)
	}
	if d < lo || d > hi {
		return d, fieldErr(field, "{"+field+"} %s is out of range: allowed %s to %s", v, DurationText(lo, v), DurationText(hi, v))
	}
	return d, nil
}

// DurationText writes a bound as lifetimes are typed, in the unit of
// typed (the value it bounds; "" for help texts), naming the thirty years
// of token.MaxRefreshTTL.
func DurationText(d time.Duration, typed string) string {
	if d == token.MaxRefreshTTL {
		return config.FormatDurationAs(d, typed) + " (30 years)"
	}
	return config.FormatDurationAs(d, typed)
}
