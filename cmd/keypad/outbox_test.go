package main

import (
	"strings"
	"testing"
)

func TestOutboxCommand(t *testing.T) {
	e := sqliteBackend.env(t)
	mustRun(t, e, "", "migrate")
	t.Run("OKEmpty", func(t *testing.T) {
		if out := mustRun(t, e, "", "outbox"); !strings.Contains(out, "The outbox is empty. Run `keypad serve --dev`") {
			t.Errorf("keypad outbox on an empty outbox printed %q, want a hint", out)
		}
		if out := mustRun(t, e, "", "outbox", "--json"); strings.TrimSpace(out) != "[]" {
			t.Errorf("keypad outbox --json printed %q, want []", out)
		}
	})
	t.Run("ErrLimit", func(t *testing.T) {
		if _, err := run(t, e, "", "outbox", "--limit", "0"); err == nil || !strings.Contains(err.Error(), "--limit 0 is out of range: use 1 to 500") {
			t.Errorf("keypad outbox --limit 0 = %v, want a usage error", err)
		}
	})
}

func TestUserCreateIdentifiers(t *testing.T) {
	e := sqliteBackend.env(t)
	mustRun(t, e, "", "migrate")
	t.Run("OK", func(t *testing.T) {
		u := mustJSON[userJSON](t, e, "user", "create", "--name", "Pat", "--phone", "415 555 0199",
			"--email", "Pat@Example.COM", "--address", "9 Elm Street Springfield 62701", "--account", "77-001", "--json")
		if u.Phone != "+14155550199" || u.Email != "pat@example.com" {
			t.Errorf("phone %q, email %q; want them normalised", u.Phone, u.Email)
		}
		got := map[string]bool{}
		for _, id := range u.Identifiers {
			got[id.Type+" "+id.Value] = true
		}
		for _, want := range []string{"phone +14155550199", "email pat@example.com", "address 9 ELM ST 62701", "address 9 ELM ST"} {
			if !got[want] {
				t.Errorf("identifiers %v lack %q", u.Identifiers, want)
			}
		}
	})
	t.Run("ErrPhone", func(t *testing.T) {
		if _, err := run(t, e, "", "user", "create", "--name", "X", "--phone", "12"); err == nil || !strings.Contains(err.Error(), "--phone is not a valid phone number") {
			t.Errorf("user create --phone 12 = %v, want an error naming --phone", err)
		}
	})
	t.Run("ErrNothingToFindBy", func(t *testing.T) {
		if _, err := run(t, e, "", "user", "create", "--name", "Nobody"); err == nil || !strings.Contains(err.Error(), "--address, --account") {
			t.Errorf("user create with only a name = %v, want the usage error", err)
		}
	})
}
