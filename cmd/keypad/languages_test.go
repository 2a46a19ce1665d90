package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestScopeDescriptionsPerLanguage: scope create and update take the
// default description and others per language, list shows them, and bad
// tags or an empty default are refused without writing anything.
func TestScopeDescriptionsPerLanguage(t *testing.T) {
	e := migrated(t)
	mustRun(t, e, "", "scope", "create", "usage:read", "--description", "read your energy usage history",
		"--description-es", "leer su historial de consumo de energía", "--description-in", "pt-BR=ler seu histórico")
	got := mustJSON[[]scopeJSON](t, e, "scope", "list", "--json")
	if len(got) != 1 || got[0].Descriptions["es"] != "leer su historial de consumo de energía" || got[0].Descriptions["pt-BR"] != "ler seu histórico" {
		t.Fatalf("scope list --json = %+v, want the es and pt-BR descriptions", got)
	}

	t.Run("Update", func(t *testing.T) {
		mustRun(t, e, "", "scope", "update", "usage:read", "--description-in", "pt-BR=", "--description-es", "consultar su consumo")
		got := mustJSON[[]scopeJSON](t, e, "scope", "list", "--json")
		if got[0].Description != "read your energy usage history" || got[0].Descriptions["es"] != "consultar su consumo" || len(got[0].Descriptions) != 1 {
			t.Errorf("after update: %+v, want the default kept, es changed, pt-BR removed", got[0])
		}
	})
	t.Run("ErrBadTag", func(t *testing.T) {
		_, err := run(t, e, "", "scope", "create", "x:y", "--description", "x", "--description-in", "not a tag=x")
		if err == nil || !strings.Contains(err.Error(), "--description-in") || !strings.Contains(err.Error(), "language tag") {
			t.Errorf("bad tag: err = %v, want a --description-in error naming the tag", err)
		}
		if got := mustJSON[[]scopeJSON](t, e, "scope", "list", "--json"); len(got) != 1 {
			t.Errorf("a refused scope was stored: %+v", got)
		}
	})
	t.Run("ErrNoPair", func(t *testing.T) {
		if _, err := run(t, e, "", "scope", "create", "x:y", "--description", "x", "--description-in", "es"); err == nil || !strings.Contains(err.Error(), "TAG=TEXT") {
			t.Errorf("--description-in es: err = %v, want TAG=TEXT", err)
		}
	})
	t.Run("ErrUpdateUnknown", func(t *testing.T) {
		if _, err := run(t, e, "", "scope", "update", "nope", "--description-es", "x"); err == nil || !strings.Contains(err.Error(), `no scope "nope"`) {
			t.Errorf("update of an unknown scope: err = %v", err)
		}
	})
}

// TestClientDescriptionsPerLanguage: client create and update keep
// descriptions per language, and --json shows them.
func TestClientDescriptionsPerLanguage(t *testing.T) {
	e := migrated(t)
	c := mustJSON[clientJSON](t, e, "client", "create", "--name", "Bright Audits", "--grant-types", "otp",
		"--description", "free energy audits", "--description-es", "auditorías de energía gratuitas", "--json")
	if c.Descriptions["es"] != "auditorías de energía gratuitas" {
		t.Fatalf("client create --json descriptions = %v", c.Descriptions)
	}
	u := mustJSON[clientJSON](t, e, "client", "update", c.ClientID, "--description-in", "fr=audits gratuits", "--json")
	if u.Descriptions["es"] != "auditorías de energía gratuitas" || u.Descriptions["fr"] != "audits gratuits" {
		t.Errorf("client update --json descriptions = %v, want es kept and fr added", u.Descriptions)
	}
	u = mustJSON[clientJSON](t, e, "client", "update", c.ClientID, "--description-es", "", "--json")
	if _, ok := u.Descriptions["es"]; ok || u.Descriptions["fr"] == "" {
		t.Errorf("after --description-es \"\": %v, want es removed and fr kept", u.Descriptions)
	}
}

// TestUserLanguage: user create --language, update --language, get
// --json, and the import column preferred_language.
func TestUserLanguage(t *testing.T) {
	e := migrated(t)
	u := mustJSON[userJSON](t, e, "user", "create", "--username", "rosa", "--language", "es", "--json")
	if u.PreferredLanguage != "es" {
		t.Fatalf("user create --language es: preferred_language = %q", u.PreferredLanguage)
	}
	if _, err := run(t, e, "", "user", "create", "--username", "bad", "--language", "not a language"); err == nil || !strings.Contains(err.Error(), "--language") {
		t.Errorf("bad --language: err = %v, want it named", err)
	}
	got := mustJSON[userJSON](t, e, "user", "update", "rosa", "--language", "en-US", "--json")
	if got.PreferredLanguage != "en-US" {
		t.Errorf("user update --language en-US: %q", got.PreferredLanguage)
	}
	if got := mustJSON[userJSON](t, e, "user", "get", "rosa", "--json"); got.PreferredLanguage != "en-US" {
		t.Errorf("user get --json after update: %q", got.PreferredLanguage)
	}
	if out := mustRun(t, e, "", "user", "get", "rosa"); !strings.Contains(out, "language:") || !strings.Contains(out, "en-US") {
		t.Errorf("user get printed\n%s\nwant the language", out)
	}

	csv := filepath.Join(t.TempDir(), "people.csv")
	writeFile(t, csv, "external_id,name,phone,preferred_language\n100200322,Rosa Elm,+14155550199,es\n100200323,Ann Elm,+14155550198,\n")
	mustRun(t, e, "", "user", "import", csv)
	list := mustJSON[[]userJSON](t, e, "user", "list", "--json")
	langs := map[string]string{}
	for _, u := range list {
		langs[u.Name] = u.PreferredLanguage
	}
	if langs["Rosa Elm"] != "es" || langs["Ann Elm"] != "" {
		t.Errorf("imported languages = %v, want Rosa Elm es and Ann Elm none", langs)
	}
}
