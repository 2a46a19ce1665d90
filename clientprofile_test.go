package keypad

import (
	"encoding/json"
	"errors"
	"testing"
)

// fapiClient is a client registered as the FAPI 2.0 profile asks.
func fapiClient() *Client {
	return &Client{ID: "bank-app", Name: "Bank App", GrantTypes: []string{GrantAuthorizationCode, GrantRefreshToken},
		RedirectURIs: []string{"https://app.example/cb"}, SecretHash: SecretHash("unused"),
		Options: ClientOptions{Profile: ProfileFAPI2, TokenEndpointAuthMethod: AuthMethodPrivateKeyJWT,
			JWKSURI: "https://app.example/jwks.json", DPoP: DPoPRequired, RequirePAR: true}}
}

func TestClientValidateFAPI2(t *testing.T) {
	if err := fapiClient().Validate(); err != nil {
		t.Fatalf("a client registered as FAPI 2.0 asks: %v", err)
	}
	for name, edit := range map[string]func(*Client){
		"ErrPublic": func(c *Client) {
			c.Public, c.SecretHash = true, nil
			c.Options.TokenEndpointAuthMethod = AuthMethodNone
			c.Options.JWKSURI = ""
		},
		"ErrSecret":        func(c *Client) { c.Options.TokenEndpointAuthMethod = AuthMethodSecretBasic; c.Options.JWKSURI = "" },
		"ErrDPoPOptional":  func(c *Client) { c.Options.DPoP = DPoPOptional },
		"ErrNoPAR":         func(c *Client) { c.Options.RequirePAR = false },
		"ErrPlainPKCE":     func(c *Client) { c.Options.AllowPlainPKCE = true },
		"ErrDeviceGrant":   func(c *Client) { c.GrantTypes = append(c.GrantTypes, GrantDeviceCode) },
		"ErrOtherProfile":  func(c *Client) { c.Options.Profile = "fapi1" },
		"ErrPasswordGrant": func(c *Client) { c.GrantTypes = []string{GrantPassword} },
	} {
		t.Run(name, func(t *testing.T) {
			c := fapiClient()
			edit(c)
			var ve *ValidationError
			if err := c.Validate(); !errors.As(err, &ve) || ve.Field != "profile" {
				t.Errorf("Validate = %v, want a ValidationError on profile", err)
			}
		})
	}
	if o := fapiClient().Options; !o.DPoPRequired() || !o.PARRequired() {
		t.Error("a FAPI 2.0 client's options do not require DPoP and PAR")
	}
	var o ClientOptions
	if err := json.Unmarshal([]byte(`{"profile":"fapi2"}`), &o); err != nil || !o.FAPI2() {
		t.Errorf("profile did not survive JSON: %+v, %v", o, err)
	}
}
