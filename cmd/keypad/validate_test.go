package main

import (
	"strings"
	"testing"
)

// TestCLIRefusesControlCharacters: names with a line break in them would
// forge lines in the emails and texts that carry them; the CLI refuses
// them at creation (keypad.Client/Subject/Scope.Validate) and stores
// nothing.
func TestCLIRefusesControlCharacters(t *testing.T) {
	e := migrated(t)
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"ClientName", []string{"client", "create", "--name", "TV\r\nBcc: victim@example.com", "--public", "--grant-types", "device_code"}, "--name: "},
		{"ClientDescription", []string{"client", "create", "--name", "TV", "--description", "a\nb", "--public", "--grant-types", "device_code"}, "--description: "},
		{"ClientRedirect", []string{"client", "create", "--name", "Web", "--grant-types", "authorization_code", "--redirect-uris", "https://a.example/c\tb"}, "--redirect-uris: "},
		{"UserName", []string{"user", "create", "--username", "heather", "--name", "Heather\r\nBcc: x"}, "--name: "},
		{"UserUsername", []string{"user", "create", "--username", "heath\ner"}, "--username: "},
		{"ScopeDescription", []string{"scope", "create", "usage:read", "--description", "Read your usage\r\nand more"}, "--description: "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := run(t, e, "", tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "control character") {
				t.Fatalf("%s = %v, want an error on %q saying control character", strings.Join(tt.args[:2], " "), err, tt.want)
			}
		})
	}
	for _, list := range [][]string{{"client", "list", "--json"}, {"user", "list", "--json"}, {"scope", "list", "--json"}} {
		if out := strings.TrimSpace(mustRun(t, e, "", list...)); out != "[]" && out != "null" {
			t.Errorf("%s after refused creates = %s, want nothing stored", strings.Join(list[:2], " "), out)
		}
	}
}

// TestCLISAML2NeedsIdPs: saml2-bearer is offered, and a client
// registered for it must name the identity providers it trusts.
func TestCLISAML2NeedsIdPs(t *testing.T) {
	e := migrated(t)
	help := mustRun(t, e, "", "client", "create", "--help")
	if !strings.Contains(help, "urn:ietf:params:oauth:grant-type:saml2-bearer") || !strings.Contains(help, "--saml-idps") {
		t.Errorf("client create --help does not offer saml2-bearer with --saml-idps:\n%s", help)
	}
	for _, g := range []string{"saml2-bearer", "urn:ietf:params:oauth:grant-type:saml2-bearer"} {
		_, err := run(t, e, "", "client", "create", "--name", "Partner", "--grant-types", g)
		if err == nil || !strings.Contains(err.Error(), "--saml-idps is required with saml2-bearer") {
			t.Errorf("client create --grant-types %s = %v, want --saml-idps is required", g, err)
		}
	}
}

// TestUserCreateUsage: the usage line does not make --username look
// required; a person may be found by email alone.
func TestUserCreateUsage(t *testing.T) {
	e := migrated(t)
	help := mustRun(t, e, "", "user", "create", "--help")
	if !strings.Contains(help, "create [--username NAME]") {
		t.Errorf("user create --help reads as if --username were required:\n%s", help)
	}
	mustRun(t, e, "", "user", "create", "--email", "h@example.com")
}
