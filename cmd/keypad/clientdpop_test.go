package main

import (
	"strings"
	"testing"

	"github.com/keypadauth/keypad"
)

// TestClientDPoP: --dpop sets the client's DPoP mode, client get shows
// it, and a mode that does not exist is refused with the choices.
func TestClientDPoP(t *testing.T) {
	e := migrated(t)
	c := mustJSON[clientJSON](t, e, "client", "create", "--name", "TV", "--id", "tv", "--public",
		"--grant-types", "device_code,refresh_token", "--json")
	if c.DPoP != keypad.DPoPOptional {
		t.Errorf("new client dpop %q, want optional", c.DPoP)
	}
	got := mustJSON[clientJSON](t, e, "client", "update", "tv", "--dpop", "required", "--json")
	if got.DPoP != keypad.DPoPRequired {
		t.Errorf("after --dpop required: dpop %q", got.DPoP)
	}
	if text := mustRun(t, e, "", "client", "get", "tv"); !strings.Contains(text, "dpop=required") {
		t.Errorf("client get printed\n%s\nwant dpop=required among the options", text)
	}
	if got := mustJSON[clientJSON](t, e, "client", "update", "tv", "--dpop", "optional", "--json"); got.DPoP != keypad.DPoPOptional {
		t.Errorf("after --dpop optional: dpop %q", got.DPoP)
	}
	_, err := run(t, e, "", "client", "update", "tv", "--dpop", "always")
	if err == nil || !strings.Contains(err.Error(), "--dpop") || !strings.Contains(err.Error(), "required") {
		t.Errorf("--dpop always: %v, want a refusal naming --dpop and the modes", err)
	}
}

// TestClientRequirePAR: --require-par is stored, shown and switched off.
func TestClientRequirePAR(t *testing.T) {
	e := migrated(t)
	c := mustJSON[clientJSON](t, e, "client", "create", "--name", "Web", "--id", "web", "--grant-types", "authorization_code",
		"--redirect-uris", "https://app.example/cb", "--require-par", "--json")
	if !c.RequirePAR {
		t.Errorf("created %+v, want require_par", c)
	}
	if text := mustRun(t, e, "", "client", "get", "web"); !strings.Contains(text, "require-par") {
		t.Errorf("client get printed\n%s\nwant require-par among the options", text)
	}
	if got := mustJSON[clientJSON](t, e, "client", "update", "web", "--require-par=false", "--json"); got.RequirePAR {
		t.Error("--require-par=false left it on")
	}
}
