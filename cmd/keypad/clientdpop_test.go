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

// TestClientAudiences: --audiences is stored, shown, replaced and
// removed; a relative URL is refused naming the flag's field.
func TestClientAudiences(t *testing.T) {
	e := migrated(t)
	c := mustJSON[clientJSON](t, e, "client", "create", "--name", "Svc", "--id", "svc", "--grant-types", "client_credentials",
		"--audiences", "https://energy.example.com/api,https://billing.example.com/", "--json")
	if len(c.Audiences) != 2 || c.Audiences[0] != "https://energy.example.com/api" || c.Audiences[1] != "https://billing.example.com/" {
		t.Errorf("created audiences %v", c.Audiences)
	}
	if text := mustRun(t, e, "", "client", "get", "svc"); !strings.Contains(text, "audiences:") || !strings.Contains(text, "https://billing.example.com/") {
		t.Errorf("client get printed\n%s\nwant the audiences", text)
	}
	if got := mustJSON[clientJSON](t, e, "client", "update", "svc", "--audiences", "https://energy.example.com/api", "--json"); len(got.Audiences) != 1 {
		t.Errorf("after update: audiences %v, want one", got.Audiences)
	}
	if got := mustJSON[clientJSON](t, e, "client", "update", "svc", "--audiences", "", "--json"); len(got.Audiences) != 0 {
		t.Errorf(`after --audiences "": %v, want none`, got.Audiences)
	}
	_, err := run(t, e, "", "client", "update", "svc", "--audiences", "/api")
	if err == nil || !strings.Contains(err.Error(), "audiences") || !strings.Contains(err.Error(), "absolute URI") {
		t.Errorf("--audiences /api: %v, want a refusal naming audiences", err)
	}
}
