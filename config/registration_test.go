package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keypadauth/keypad"
)

// TestRegistrationSettings checks the registration section: closed by
// default, authorities read from a YAML list, and the rules.
func TestRegistrationSettings(t *testing.T) {
	t.Run("OKDefaultClosed", func(t *testing.T) {
		c := Default()
		rc, err := c.RegistrationFlow()
		if err != nil || rc.Open || rc.RequireSoftwareStatement || len(rc.Authorities) != 0 {
			t.Errorf("default registration %+v, %v: want closed, no authorities", rc, err)
		}
	})
	t.Run("OKFile", func(t *testing.T) {
		jwks := filepath.Join(t.TempDir(), "dir.jwks")
		if err := os.WriteFile(jwks, []byte(`{"keys":[]}`), 0o600); err != nil {
			t.Fatal(err)
		}
		file := writeFile(t, "registration:\n  open: true\n  authorities:\n    - \"https://dir.example "+jwks+"\"\n    - \"https://fed.example https://fed.example/jwks\"\n")
		c, err := Load(Sources{File: file, LookupEnv: envMap(nil)})
		if err != nil {
			t.Fatal(err)
		}
		rc, err := c.RegistrationFlow()
		if err != nil {
			t.Fatal(err)
		}
		if !rc.Open || len(rc.Authorities) != 2 || string(rc.Authorities[0].JWKS) != `{"keys":[]}` || rc.Authorities[1].JWKSURI != "https://fed.example/jwks" {
			t.Errorf("RegistrationFlow() = %+v", rc)
		}
	})
	for _, c := range []struct {
		name string
		set  func(*Config)
		key  string
		msg  string
	}{
		{"ErrOneField", func(c *Config) { c.Registration.Authorities = []string{"https://dir.example"} }, "registration.authorities", "ISSUER JWKS"},
		{"ErrPlainHTTP", func(c *Config) { c.Registration.Authorities = []string{"https://dir.example http://dir.example/jwks"} }, "registration.authorities", "https"},
		{"ErrRequireWithout", func(c *Config) { c.Registration.RequireSoftwareStatement = true }, "registration.require_software_statement", "authorities is empty"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := Default()
			c.set(&cfg)
			var ve *keypad.ValidationError
			err := cfg.Validate()
			if !errors.As(err, &ve) || ve.Field != c.key || !strings.Contains(ve.Message, c.msg) {
				t.Errorf("Validate() = %v, want %s: …%s…", err, c.key, c.msg)
			}
		})
	}
}
