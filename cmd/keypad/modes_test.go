package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// cli is where a test's management commands go: the local database, or
// a running keypad's admin API (--server). Tests written against it run
// in both modes (inModes) and expect the same output from each.
type cli struct {
	// env is the CLI's environment; db the database's, for setting up
	// and checking behind the CLI's back.
	env, db env
	// args come before every command: in remote mode --server and the
	// admin client's credentials.
	args []string
	srv  *serving
	// admin is the admin client bootstrapped in both modes (so that lists
	// of clients are the same in both).
	admin  clientJSON
	remote bool
}

// inModes runs fn once against the local database and once against the
// admin API of a `keypad serve` on the same kind of database. Both
// modes have a server running and the admin client "ops"
// (client_credentials, keypad:admin), created locally as an operator
// bootstraps one.
func inModes(t *testing.T, fn func(t *testing.T, c cli)) {
	t.Run("Local", func(t *testing.T) {
		c := bootstrap(t)
		fn(t, c)
	})
	t.Run("Remote", func(t *testing.T) {
		c := bootstrap(t).remoteMode(t)
		fn(t, c)
	})
}

// bootstrap is a migrated database with the admin client and a server.
func bootstrap(t *testing.T) cli {
	t.Helper()
	e := migrated(t)
	admin := mustJSON[clientJSON](t, e, "client", "create", "--name", "Ops", "--id", "ops",
		"--grant-types", "client_credentials", "--scopes", "keypad:admin", "--json")
	return cli{env: e, db: e, srv: startServe(t, e), admin: admin}
}

// remoteMode is c driven over the admin listener with the admin client's
// credentials. The CLI's own database setting names a file that cannot
// be opened, so a command that quietly used the database would fail.
func (c cli) remoteMode(t *testing.T) cli {
	c.remote = true
	c.env = env{"KEYPAD_DB": "sqlite:" + filepath.Join(t.TempDir(), "absent", "keypad.db")}
	c.args = []string{"--server", c.adminURL(), "--token-url", c.srv.srv.URL() + "/oauth2/token",
		"--client-id", c.admin.ClientID, "--client-secret", c.admin.ClientSecret}
	return c
}

// adminURL is the base of the admin listener (where /admin/v1/ is).
func (c cli) adminURL() string { return strings.TrimSuffix(c.srv.srv.MetricsURL(), "/metrics") }

func (c cli) run(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	m, out, _ := newMain(c.env, stdin)
	err := m.Run(context.Background(), append(append([]string{}, c.args...), args...))
	return out.String(), err
}

func (c cli) mustRun(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	out, err := c.run(t, stdin, args...)
	if err != nil {
		t.Fatalf("keypad %s: %v", strings.Join(args, " "), err)
	}
	return out
}

func cliJSON[T any](t *testing.T, c cli, args ...string) T {
	t.Helper()
	out := c.mustRun(t, "", args...)
	var v T
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("keypad %s printed %q, not JSON: %v", strings.Join(args, " "), out, err)
	}
	return v
}

func mustUnmarshal(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s is not the JSON expected: %v", data, err)
	}
}

func mustUnmarshalJSON[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	mustUnmarshal(t, []byte(s), &v)
	return v
}
