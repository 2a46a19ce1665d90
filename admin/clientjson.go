package admin

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/config"
	"github.com/keypadauth/keypad/manage"
)

// clientBody is a client's writable members: what a create, PUT or PATCH
// sends. Lifetimes are in seconds, 0 for the server's default.
type clientBody struct {
	ClientID    string `json:"client_id,omitempty"`
	Name        string `json:"name"`
	Description string `json:"description"`
	// Descriptions are Description in other languages, by BCP 47 tag.
	Descriptions            keypad.Descriptions `json:"descriptions"`
	Public                  bool                `json:"public"`
	GrantTypes              []string            `json:"grant_types"`
	Scopes                  []string            `json:"scopes"`
	RedirectURIs            []string            `json:"redirect_uris"`
	TokenFormat             string              `json:"token_format"`
	SigningAlg              string              `json:"signing_alg"`
	AccessTTL               int64               `json:"access_ttl"`
	RefreshTTL              int64               `json:"refresh_ttl"`
	RefreshIdleTTL          int64               `json:"refresh_idle_ttl"`
	RefreshNoExpiry         bool                `json:"refresh_no_expiry"`
	AlwaysConsent           bool                `json:"always_consent"`
	AllowPlainPKCE          bool                `json:"allow_plain_pkce"`
	ExplicitUnknownID       bool                `json:"explicit_unknown_identifier"`
	IntrospectAny           bool                `json:"introspect_any"`
	HintStyle               string              `json:"hint_style"`
	AssertionIssuer         string              `json:"assertion_issuer,omitempty"`
	AssertionKeys           json.RawMessage     `json:"assertion_keys,omitempty"`
	TokenEndpointAuthMethod string              `json:"token_endpoint_auth_method,omitempty"`
	JWKSURI                 string              `json:"jwks_uri,omitempty"`
	CIBAMode                string              `json:"backchannel_token_delivery_mode,omitempty"`
	CIBAEndpoint            string              `json:"backchannel_client_notification_endpoint,omitempty"`
	CIBAUserCode            bool                `json:"backchannel_user_code_parameter,omitempty"`
	CIBASignIn              bool                `json:"backchannel_require_sign_in,omitempty"`
	CIBABindingCode         bool                `json:"backchannel_require_binding_code,omitempty"`
	SAMLIdPs                []string            `json:"saml_idps,omitempty"`
	DPoP                    string              `json:"dpop"`
	RequirePAR              bool                `json:"require_par"`
	Profile                 string              `json:"profile,omitempty"`
	Audiences               []string            `json:"audiences,omitempty"`
}

// clientResource is a client as the API answers it: its members, the
// secret (only in the answers of a create and a rotation) and its times.
type clientResource struct {
	clientBody
	ClientSecret string    `json:"client_secret,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// bodyOfClient is c's writable members, defaults spelt out.
func bodyOfClient(c *keypad.Client) clientBody {
	o := c.Options
	b := clientBody{
		ClientID: c.ID, Name: c.Name, Description: c.Description, Descriptions: c.Descriptions, Public: c.Public,
		GrantTypes: nonNil(c.GrantTypes), Scopes: nonNil(c.Scopes), RedirectURIs: nonNil(c.RedirectURIs),
		TokenFormat: string(c.TokenFormat), SigningAlg: cmpOr(o.SigningAlg, keypad.AlgES256),
		AccessTTL: seconds(c.AccessTTL), RefreshTTL: seconds(c.RefreshTTL), RefreshIdleTTL: seconds(o.RefreshIdleTTL),
		RefreshNoExpiry: o.RefreshNoExpiry, AlwaysConsent: o.AlwaysConsent, AllowPlainPKCE: o.AllowPlainPKCE,
		ExplicitUnknownID: o.ExplicitUnknownIdentifier, IntrospectAny: o.IntrospectAny,
		HintStyle: cmpOr(o.HintStyle, keypad.HintStyleMasked), AssertionIssuer: o.AssertionIssuer,
		AssertionKeys: o.AssertionKeys, TokenEndpointAuthMethod: o.TokenEndpointAuthMethod, JWKSURI: o.JWKSURI,
		CIBAMode: o.CIBA.DeliveryMode, CIBAEndpoint: o.CIBA.NotificationEndpoint, CIBAUserCode: o.CIBA.UserCodeParameter,
		CIBASignIn: o.CIBA.RequireSignIn, CIBABindingCode: o.CIBA.RequireBindingCode,
		SAMLIdPs: o.SAMLIdPs, DPoP: cmpOr(o.DPoP, keypad.DPoPOptional), RequirePAR: o.RequirePAR,
		Profile: o.Profile, Audiences: o.Audiences,
	}
	if b.Descriptions == nil {
		b.Descriptions = keypad.Descriptions{}
	}
	return b
}

func resourceOfClient(c *keypad.Client, secret string) clientResource {
	return clientResource{clientBody: bodyOfClient(c), ClientSecret: secret, CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC()}
}

// spec is the registration the body asks for, read by manage.ClientSpec
// as the CLI's flags are.
func (b clientBody) spec() (manage.ClientSpec, error) {
	for _, s := range b.Scopes {
		if s == "" || strings.ContainsAny(s, " ,\t") {
			return manage.ClientSpec{}, invalid("scopes", "each scope is one item without spaces or commas")
		}
	}
	return manage.ClientSpec{
		ID: b.ClientID, Name: b.Name, Description: b.Description, Descriptions: b.Descriptions, Public: b.Public,
		GrantTypes: slices.Clone(b.GrantTypes), Scopes: strings.Join(b.Scopes, " "), RedirectURIs: slices.Clone(b.RedirectURIs),
		TokenFormat: b.TokenFormat, SigningAlg: b.SigningAlg,
		AccessTTL: ttl(b.AccessTTL), RefreshTTL: ttl(b.RefreshTTL), RefreshIdleTTL: ttl(b.RefreshIdleTTL),
		RefreshNoExpiry: b.RefreshNoExpiry, AlwaysConsent: b.AlwaysConsent, AllowPlainPKCE: b.AllowPlainPKCE,
		ExplicitUnknownIdentifier: b.ExplicitUnknownID, IntrospectAny: b.IntrospectAny, HintStyle: b.HintStyle,
		AssertionIssuer: b.AssertionIssuer, AssertionKeys: b.AssertionKeys,
		AuthMethod: b.TokenEndpointAuthMethod, JWKSURI: b.JWKSURI,
		CIBAMode: b.CIBAMode, CIBAEndpoint: b.CIBAEndpoint, CIBAUserCode: b.CIBAUserCode,
		CIBASignIn: b.CIBASignIn, CIBABindingCode: b.CIBABindingCode,
		SAMLIdPs: slices.Clone(b.SAMLIdPs), DPoP: b.DPoP, RequirePAR: b.RequirePAR, Profile: b.Profile,
		Audiences: slices.Clone(b.Audiences),
	}, nil
}

// ttl writes seconds as a spec's lifetime ("90d"); 0 is the default.
func ttl(secs int64) string {
	if secs == 0 {
		return ""
	}
	if secs < 0 || secs > 1<<33 {
		return strconv.FormatInt(secs, 10) + "s" // out of every range; quoted as sent
	}
	return config.FormatDuration(time.Duration(secs) * time.Second)
}

func seconds(d time.Duration) int64 { return int64(d / time.Second) }

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func cmpOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
