package config

import (
	"fmt"
	"os"
	"strings"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/oauth"
)

// RegistrationSettings are dynamic client registration's settings
// (section "registration"; RFC 7591, docs/dynamic-registration.md).
type RegistrationSettings struct {
	// Open lets anyone register a client without an initial access
	// token (off: registration is closed).
	Open bool
	// RequireSoftwareStatement refuses registrations without a software
	// statement from one of Authorities.
	RequireSoftwareStatement bool
	// Authorities are the software statement issuers, each "ISSUER
	// JWKS": the issuer (the statements' iss) and, after a space, the
	// path of a file holding its JWK Set or an https URL serving it.
	Authorities []string
}

// registrationKeys are the settings of dynamic client registration.
var registrationKeys = []Key{
	{Name: "registration.open", Bool: true, Default: "false", Help: "let anyone register a client at /oauth2/register without an initial access token (public native apps); off, registration needs a token the operator issued",
		set: func(c *Config, v string) error { return setBool(&c.Registration.Open, v) }},
	{Name: "registration.require_software_statement", Bool: true, Default: "false", Help: "register only clients that send a software statement signed by one of registration.authorities",
		set: func(c *Config, v string) error { return setBool(&c.Registration.RequireSoftwareStatement, v) }},
	{Name: "registration.authorities", List: true, Default: "none", Help: "issuers of software statements, each 'ISSUER JWKS' (JWKS: a JWK Set file or an https jwks_uri), comma-separated",
		set: func(c *Config, v string) error { return setList(&c.Registration.Authorities, v) }},
}

// authority splits an entry of registration.authorities.
func authority(entry string) (issuer, jwks string, ok bool) {
	f := strings.Fields(entry)
	if len(f) != 2 {
		return "", "", false
	}
	return f[0], f[1], true
}

func (v *validator) registration(r RegistrationSettings) {
	for _, a := range r.Authorities {
		iss, jwks, ok := authority(a)
		if !ok {
			v.bad("registration.authorities", "%q is not 'ISSUER JWKS': give the issuer the statements name in iss, a space, and a JWK Set file or https URL", a)
			continue
		}
		if strings.HasPrefix(jwks, "https://") || strings.HasPrefix(jwks, "http://") {
			if err := keypad.CheckJWKSURI(jwks); err != nil {
				v.bad("registration.authorities", "%s: %q %v", iss, jwks, err)
			}
		}
	}
	if r.RequireSoftwareStatement && len(r.Authorities) == 0 {
		v.bad("registration.require_software_statement", "is on but registration.authorities is empty: no statement could ever be accepted; list the authorities")
	}
}

// RegistrationFlow is registration's configuration for package oauth,
// with each authority's JWK Set file read.
func (c Config) RegistrationFlow() (oauth.RegistrationConfig, error) {
	rc := oauth.RegistrationConfig{Open: c.Registration.Open, RequireSoftwareStatement: c.Registration.RequireSoftwareStatement,
		ClientIPHeader: c.Web.ClientIPHeader}
	for _, a := range c.Registration.Authorities {
		iss, jwks, ok := authority(a)
		if !ok {
			return rc, fmt.Errorf("registration.authorities: %q is not 'ISSUER JWKS'", a)
		}
		if strings.HasPrefix(jwks, "https://") || strings.HasPrefix(jwks, "http://") {
			rc.Authorities = append(rc.Authorities, oauth.StatementAuthority{Issuer: iss, JWKSURI: jwks})
			continue
		}
		doc, err := os.ReadFile(jwks)
		if err != nil {
			return rc, fmt.Errorf("registration.authorities: the JWK Set of %s: %w", iss, err)
		}
		rc.Authorities = append(rc.Authorities, oauth.StatementAuthority{Issuer: iss, JWKS: doc})
	}
	return rc, nil
}
