package keypad

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Grant type identifiers, as they appear in grant_type and in client
// registrations (DESIGN.md, wire surface).
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantClientCredentials = "client_credentials"
	GrantDeviceCode        = "urn:ietf:params:oauth:grant-type:device_code"
	GrantOTP               = "urn:keypad:params:oauth:grant-type:otp"
	GrantPassword          = "password"
	GrantJWTBearer         = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	// GrantCIBA is OpenID Connect CIBA Core 1.0 §10.1: the client polls
	// (or, pinged, fetches) the tokens of a backchannel authentication.
	GrantCIBA = "urn:openid:params:grant-type:ciba"
	// GrantSAML2Bearer (RFC 7522 §2.1) trades a SAML 2.0 assertion signed
	// by a trusted identity provider (IdP) for a token.
	GrantSAML2Bearer = "urn:ietf:params:oauth:grant-type:saml2-bearer"
)

// AllGrantTypes lists every grant type keypad serves, in a stable order:
// the ones a client may be registered with.
var AllGrantTypes = []string{
	GrantAuthorizationCode, GrantRefreshToken, GrantClientCredentials,
	GrantDeviceCode, GrantOTP, GrantPassword, GrantJWTBearer, GrantSAML2Bearer, GrantCIBA,
}

// TokenFormat selects how a client's access tokens look on the wire.
type TokenFormat string

const (
	// FormatJWT is a signed JWT access token per RFC 9068; resource servers
	// verify it offline against the JWKS.
	FormatJWT TokenFormat = "jwt"
	// FormatOpaque is a random kp_at_ string, stored hashed; resource
	// servers introspect it. It can be revoked at once.
	FormatOpaque TokenFormat = "opaque"
)

// Client is a registered OAuth client (RFC 6749 §2).
type Client struct {
	ID          string
	Name        string
	Description string
	// Descriptions are Description in other languages (description.go).
	Descriptions Descriptions
	// SecretHash is SecretHash(secret) of a confidential client's secret;
	// empty for public clients.
	SecretHash []byte
	// Public clients cannot keep a secret (TVs, CLIs, native apps) and
	// authenticate with client_id alone.
	Public       bool
	GrantTypes   []string
	Scopes       []string // scopes the client may be granted
	RedirectURIs []string
	TokenFormat  TokenFormat
	// AccessTTL and RefreshTTL override the server defaults when non-zero.
	AccessTTL  time.Duration
	RefreshTTL time.Duration
	// Options hold per-client policy switches that later flows read; they
	// are stored as one document so adding one needs no migration.
	Options   ClientOptions
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ClientOptions are per-client policy switches. The zero value is the safe
// default for every field.
type ClientOptions struct {
	// SigningAlg picks the JWT signing algorithm: "" (the server default,
	// ES256) or "RS256".
	SigningAlg string `json:"signing_alg,omitempty"`
	// AllowPlainPKCE permits code_challenge_method=plain (RFC 7636 §4.2).
	AllowPlainPKCE bool `json:"allow_plain_pkce,omitempty"`
	// AlwaysConsent shows the consent page even when consent was remembered.
	AlwaysConsent bool `json:"always_consent,omitempty"`
	// RefreshIdleTTL ends a refresh token that was not used for this long.
	RefreshIdleTTL time.Duration `json:"refresh_idle_ttl,omitempty"`
	// RefreshNoExpiry makes refresh tokens live until revoked.
	RefreshNoExpiry bool `json:"refresh_no_expiry,omitempty"`
	// ExplicitUnknownIdentifier makes OTP lookups answer unknown_identifier
	// instead of decoy channels (see DESIGN.md, OTP flow).
	ExplicitUnknownIdentifier bool `json:"explicit_unknown_identifier,omitempty"`
	// IntrospectAny lets a confidential client introspect every token (a
	// resource server that serves tokens issued to other clients). Without
	// it a client learns only about tokens issued to it or naming it in
	// aud; for any other token it is told active:false (RFC 7662 §2.2,
	// §4), so a client's secret is no key to everyone's tokens.
	IntrospectAny bool `json:"introspect_any,omitempty"`
	// HintStyle is how much OTP lookup hints show: "" or HintStyleMasked
	// (the last four digits of a phone number, first letters and the
	// top-level domain of an email address), or HintStyleNone (no digit
	// or letter: someone who already knows a person's number cannot check
	// it against the hint).
	HintStyle string `json:"hint_style,omitempty"`
	// AssertionIssuer is the iss the client's JWT bearer assertions carry
	// (RFC 7523 §3); empty means the client ID.
	AssertionIssuer string `json:"assertion_issuer,omitempty"`
	// AssertionKeys is the JWK Set (RFC 7517 §5) of public keys the
	// client's assertions are signed with, kept as registered: RSA keys
	// for RS256 and PS256, EC P-256 keys for ES256, Ed25519 keys for
	// EdDSA. Empty: the client can present
	// no assertion. Validate checks it; ParseAssertionKeys reads it.
	AssertionKeys json.RawMessage `json:"assertion_keys,omitempty"`
	// TokenEndpointAuthMethod is the one way the client authenticates at
	// every endpoint (RFC 7591 §2): one of the AuthMethod constants. Empty
	// keeps the behaviour of clients registered before the setting
	// existed: a confidential client may use client_secret_basic or
	// client_secret_post, a public client none. With AuthMethodPrivateKeyJWT
	// the client signs assertions with a key of AssertionKeys or of the
	// set JWKSURI serves, and no secret is accepted.
	TokenEndpointAuthMethod string `json:"token_endpoint_auth_method,omitempty"`
	// JWKSURI is where a private_key_jwt client publishes its public keys
	// (RFC 7591 §2, jwks_uri), so it can rotate them without asking an
	// administrator. Used only when AssertionKeys is empty; the two are
	// exclusive.
	JWKSURI string `json:"jwks_uri,omitempty"`
	// CIBA are the client's backchannel authentication settings (CIBA
	// Core §4); zero for a client that does not use the CIBA grant.
	CIBA CIBAOptions `json:"ciba,omitzero"`
	// SAMLIdPs are the IDs of the identity providers (IdP) whose SAML
	// assertions the client may trade with the saml2-bearer grant.
	SAMLIdPs []string `json:"saml_idps,omitempty"`
	// DPoP is whether the client must prove possession of a key at the
	// token endpoint (RFC 9449): "" or DPoPOptional (a proof, when sent,
	// binds the tokens), or DPoPRequired (a request without one is
	// refused, so every token of the client is bound).
	DPoP string `json:"dpop,omitempty"`
	// RequirePAR makes the client push every authorization request
	// (RFC 9126): /oauth2/authorize then accepts only a request_uri
	// from /oauth2/par.
	RequirePAR bool `json:"require_par,omitempty"`
	// Profile is "" or ProfileFAPI2: a security profile the client is
	// held to (clientprofile.go).
	Profile string `json:"profile,omitempty"`
	// Audiences are the resources (RFC 8707 resource indicators) the
	// client's access tokens may be for. When set, every authorization,
	// pushed, device authorization and token request must name one of
	// them with resource (or follow an authorization that did), and the
	// access token's aud is what it named: no token of the client is
	// resource-less (FAPI 2.0 Security Profile §5.3.2).
	Audiences []string `json:"audiences,omitempty"`
}

// DPoP modes of ClientOptions.DPoP.
const (
	DPoPOptional = "optional"
	DPoPRequired = "required"
)

// Client authentication methods (RFC 7591 §2, OpenID Connect Core §9), as
// registered in ClientOptions.TokenEndpointAuthMethod and listed in the
// server metadata.
const (
	AuthMethodSecretBasic   = "client_secret_basic"
	AuthMethodSecretPost    = "client_secret_post"
	AuthMethodNone          = "none"
	AuthMethodPrivateKeyJWT = "private_key_jwt"
	// AuthMethodSecretJWT (an HS256 JWT keyed with the client secret) is
	// refused: keypad keeps only SHA-256 of a client secret, and an HMAC
	// needs the secret itself. Keeping a recoverable copy would turn a
	// database leak into a leak of every such secret, so keypad offers
	// private_key_jwt instead, whose public keys are no secret at all.
	AuthMethodSecretJWT = "client_secret_jwt"
)

// Hint styles of ClientOptions.HintStyle: what an OTP lookup's hints
// show of a person's phone number and email address.
const (
	// HintStyleMasked shows "(•••) •••-4821" and "h•••@e•••.com" (the
	// default).
	HintStyleMasked = "masked"
	// HintStyleNone shows "•••-••••" and "•••@•••": only the kind of
	// channel.
	HintStyleNone = "none"
)

// Validate checks the options that need more than their type to be right:
// the hint style, the assertion issuer and keys. It returns a *ValidationError naming the
// field.
func (o ClientOptions) Validate() error {
	switch o.HintStyle {
	case "", HintStyleMasked, HintStyleNone:
	default:
		return &ValidationError{Field: "hint_style", Message: fmt.Sprintf(
			"unknown hint style %q; use %q (last four digits, first letters) or %q (no digits or letters)", o.HintStyle, HintStyleMasked, HintStyleNone)}
	}
	switch o.DPoP {
	case "", DPoPOptional, DPoPRequired:
	default:
		return &ValidationError{Field: "dpop", Message: fmt.Sprintf(
			"unknown DPoP mode %q; use %q (bind tokens when the client sends a proof) or %q (refuse requests without one)", o.DPoP, DPoPOptional, DPoPRequired)}
	}
	if iss := o.AssertionIssuer; iss != "" {
		if len(iss) > maxAssertionIssuer || strings.TrimSpace(iss) != iss || strings.ContainsFunc(iss, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return &ValidationError{Field: "assertion_issuer", Message: fmt.Sprintf(
				"%q is not a usable issuer: use up to %d printable characters without leading or trailing spaces, exactly as the partner's assertions spell iss", iss, maxAssertionIssuer)}
		}
	}
	if o.JWKSURI != "" {
		if err := CheckJWKSURI(o.JWKSURI); err != nil {
			return &ValidationError{Field: "jwks_uri", Message: fmt.Sprintf("%q %v", o.JWKSURI, err)}
		}
	}
	if err := o.CIBA.Validate(); err != nil {
		return err
	}
	if err := o.validateAudiences(); err != nil {
		return err
	}
	if len(o.AssertionKeys) == 0 {
		return nil
	}
	_, err := ParseAssertionKeys(o.AssertionKeys)
	return err
}

// AllowsGrant reports whether the client may use grant type gt.
func (c *Client) AllowsGrant(gt string) bool {
	return slices.Contains(c.GrantTypes, gt)
}

// ClientStore keeps registered clients.
type ClientStore interface {
	// CreateClient stores a new client. Returns ErrConflict if the ID is
	// taken.
	CreateClient(ctx context.Context, c *Client) error
	// GetClient returns the client with the given ID, or ErrNotFound.
	GetClient(ctx context.Context, id string) (*Client, error)
	// ListClients returns every client ordered by ID.
	ListClients(ctx context.Context) ([]*Client, error)
	// UpdateClient replaces the stored client with the same ID. Returns
	// ErrNotFound if it does not exist.
	UpdateClient(ctx context.Context, c *Client) error
	// DeleteClient removes a client and everything issued to it (tokens,
	// grants). Returns ErrNotFound if it does not exist.
	DeleteClient(ctx context.Context, id string) error
}
