package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/password"
	"github.com/keypadauth/keypad/store"
	"golang.org/x/oauth2/clientcredentials"
)

// migrated returns the environment of a fresh, migrated SQLite database.
func migrated(t *testing.T) env {
	t.Helper()
	e := sqliteBackend.env(t)
	mustRun(t, e, "", "migrate")
	return e
}

// sqliteFiles returns the bytes of the database and its write-ahead log.
func sqliteFiles(t *testing.T, e env) []byte {
	t.Helper()
	path := strings.TrimPrefix(e["KEYPAD_DB"], "sqlite:")
	var all []byte
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

func TestMigrateTwice(t *testing.T) {
	e := sqliteBackend.env(t)
	latest := latestVersion(t)
	if out := mustRun(t, e, "", "migrate"); !strings.Contains(out, fmt.Sprintf("from schema version 0 to %d", latest)) {
		t.Errorf("first migrate printed %q", out)
	}
	if out := mustRun(t, e, "", "migrate"); !strings.Contains(out, fmt.Sprintf("is up to date (schema version %d)", latest)) {
		t.Errorf("second migrate printed %q", out)
	}
}

func TestDataCommandsRefuseUnmigratedDatabase(t *testing.T) {
	e := sqliteBackend.env(t)
	for _, args := range [][]string{{"client", "list"}, {"user", "list"}, {"scope", "list"}, {"keys", "list"}} {
		if _, err := run(t, e, "", args...); err == nil || !strings.Contains(err.Error(), "run `keypad migrate` first") {
			t.Errorf("keypad %s = %v, want the migrate hint", strings.Join(args, " "), err)
		}
	}
}

func TestClientCreateText(t *testing.T) {
	e := migrated(t)
	out := mustRun(t, e, "", "client", "create", "--name", "Billing", "--grant-types", "client_credentials",
		"--scopes", "a b", "--description", "nightly billing run")
	for _, want := range []string{"client_id:", "client_secret: kp_cs_", "name:          Billing", "scopes:        a b",
		"token_format:  jwt (ES256)", "keeps only its hash and cannot show it again"} {
		if !strings.Contains(out, want) {
			t.Errorf("client create printed\n%s\nwant it to contain %q", out, want)
		}
	}
}

func TestClientSecretStoredOnlyHashed(t *testing.T) {
	e := migrated(t)
	c := mustJSON[clientJSON](t, e, "client", "create", "--name", "svc", "--grant-types", "client_credentials", "--json")
	if got, want := len(c.ClientSecret), len("kp_cs_")+43; got != want {
		t.Errorf("secret %q has %d characters, want %d (kp_cs_ and 256 bits base64url)", c.ClientSecret, got, want)
	}
	st, err := store.Open(context.Background(), e["KEYPAD_DB"])
	if err != nil {
		t.Fatal(err)
	}
	stored, err := st.GetClient(context.Background(), c.ClientID)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !keypad.SecretMatches(stored.SecretHash, c.ClientSecret) {
		t.Error("the stored hash does not match the printed secret")
	}
	if bytes.Contains(sqliteFiles(t, e), []byte(c.ClientSecret)) {
		t.Error("the database files contain the client secret in clear")
	}
	if got := mustJSON[clientJSON](t, e, "client", "get", c.ClientID, "--json"); got.ClientSecret != "" {
		t.Errorf("client get shows a secret %q; it must never be shown again", got.ClientSecret)
	}
}

func TestClientLifecycle(t *testing.T) {
	inModes(t, func(t *testing.T, c cli) {
		s := c.srv
		conf := cliJSON[clientJSON](t, c, "client", "create", "--name", "svc", "--id", "billing",
			"--grant-types", "client_credentials", "--scopes", "a", "--token-format", "opaque", "--access-ttl", "10m", "--json")
		pub := cliJSON[clientJSON](t, c, "client", "create", "--name", "TV", "--public", "--grant-types", "device_code", "--json")

		t.Run("Create", func(t *testing.T) {
			if conf.ClientID != "billing" || conf.TokenFormat != "opaque" || conf.AccessTTL != 600 {
				t.Errorf("created %+v, want id billing, opaque, access_ttl 600", conf)
			}
			if pub.ClientSecret != "" || !pub.Public || pub.GrantTypes[0] != keypad.GrantDeviceCode {
				t.Errorf("public client %+v: want no secret and the device_code grant", pub)
			}
		})
		t.Run("ErrDuplicateID", func(t *testing.T) {
			_, err := c.run(t, "", "client", "create", "--name", "x", "--id", "billing", "--grant-types", "client_credentials")
			if err == nil || !strings.Contains(err.Error(), `a client with ID "billing" already exists`) {
				t.Errorf("duplicate create = %v", err)
			}
		})
		t.Run("List", func(t *testing.T) {
			list := cliJSON[[]clientJSON](t, c, "client", "list", "--json")
			if len(list) != 3 {
				t.Fatalf("client list --json has %d clients, want 3 (with the admin client)", len(list))
			}
			for _, c := range list {
				if c.ClientSecret != "" {
					t.Errorf("client list shows a secret for %s", c.ClientID)
				}
			}
			text := c.mustRun(t, "", "client", "list")
			if !strings.HasPrefix(text, "CLIENT ID") || !strings.Contains(text, "billing") || !strings.Contains(text, "public") {
				t.Errorf("client list printed\n%s", text)
			}
		})
		t.Run("RotateSecret", func(t *testing.T) {
			rotated := cliJSON[clientJSON](t, c, "client", "rotate-secret", "billing", "--json")
			if !strings.HasPrefix(rotated.ClientSecret, "kp_cs_") || rotated.ClientSecret == conf.ClientSecret {
				t.Fatalf("rotate-secret gave %q, want a new kp_cs_ secret", rotated.ClientSecret)
			}
			form := url.Values{"grant_type": {"client_credentials"}}
			if code, body := postForm(t, s.srv.URL()+"/oauth2/token", "billing", conf.ClientSecret, form); code != 401 {
				t.Errorf("token with the old secret: %d %s, want 401", code, body)
			}
			cc := clientcredentials.Config{ClientID: "billing", ClientSecret: rotated.ClientSecret, TokenURL: s.srv.URL() + "/oauth2/token"}
			if _, err := cc.Token(context.Background()); err != nil {
				t.Errorf("token with the new secret: %v", err)
			}
		})
		t.Run("ErrRotatePublic", func(t *testing.T) {
			if _, err := c.run(t, "", "client", "rotate-secret", pub.ClientID); err == nil || !strings.Contains(err.Error(), "is public") {
				t.Errorf("rotate-secret of a public client = %v", err)
			}
		})
		t.Run("Delete", func(t *testing.T) {
			if out := c.mustRun(t, "", "client", "delete", "billing"); out != "deleted client billing\n" {
				t.Errorf("delete printed %q", out)
			}
			if _, err := c.run(t, "", "client", "get", "billing"); err == nil || !strings.Contains(err.Error(), `no client "billing"`) {
				t.Errorf("get after delete = %v, want not found", err)
			}
			if _, err := c.run(t, "", "client", "delete", "billing"); err == nil || !strings.Contains(err.Error(), "see `keypad client list`") {
				t.Errorf("second delete = %v, want not found with a hint", err)
			}
		})
	})
}

func TestClientCreateRejectsBadFlags(t *testing.T) {
	inModes(t, func(t *testing.T, c cli) {
		_, err := c.run(t, "", "client", "create", "--name", "TV", "--public", "--grant-types", "client_credentials")
		if err == nil || !strings.Contains(err.Error(), "--public clients cannot use client_credentials") ||
			!strings.Contains(err.Error(), "see `keypad client create --help`") {
			t.Errorf("client create = %v, want the public-client error and a help hint", err)
		}
		if list := cliJSON[[]clientJSON](t, c, "client", "list", "--json"); len(list) != 1 {
			t.Errorf("a rejected create stored %d clients besides the admin client", len(list)-1)
		}
	})
}

func TestUserCommands(t *testing.T) {
	inModes(t, func(t *testing.T, c cli) {
		const pw = "correct horse battery staple"
		if h := cliJSON[userJSON](t, c, "user", "create", "--username", "heather", "--name", "Heather",
			"--email", "h@example.com", "--phone", "+14155550123", "--json"); h.HasPassword || h.ID == "" {
			t.Errorf("user create without a password = %+v", h)
		}
		out := c.mustRun(t, pw+"\n", "user", "create", "--username", "sam", "--password-stdin", "--json")
		if !strings.Contains(out, `"has_password": true`) || strings.Contains(out, "argon2") {
			t.Errorf("user create printed %s, want has_password and no hash", out)
		}

		st, err := store.Open(context.Background(), c.db["KEYPAD_DB"])
		if err != nil {
			t.Fatal(err)
		}
		sam, err := st.GetSubjectByUsername(context.Background(), "sam")
		st.Close()
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := password.Verify(sam.PasswordHash, pw); !ok || err != nil {
			t.Errorf("stored hash does not verify the password: %v", err)
		}
		if bytes.Contains(sqliteFiles(t, c.db), []byte(pw)) {
			t.Error("the database files contain the password in clear")
		}

		t.Run("ErrShortPassword", func(t *testing.T) {
			if _, err := c.run(t, "short\n", "user", "create", "--username", "kim", "--password-stdin"); err == nil || !strings.Contains(err.Error(), "shorter than") {
				t.Errorf("user create with a short password = %v", err)
			}
		})
		t.Run("ErrTaken", func(t *testing.T) {
			if _, err := c.run(t, "", "user", "create", "--username", "sam"); err == nil || !strings.Contains(err.Error(), `username "sam" is taken`) {
				t.Errorf("duplicate user = %v", err)
			}
		})
		t.Run("ErrNothingToFindBy", func(t *testing.T) {
			if _, err := c.run(t, "", "user", "create", "--name", "Nobody"); err == nil || !strings.Contains(err.Error(), "give at least one of --username") {
				t.Errorf("user create without identifiers = %v", err)
			}
		})
		t.Run("ListAndGet", func(t *testing.T) {
			list := cliJSON[[]userJSON](t, c, "user", "list", "--json")
			if len(list) != 2 {
				t.Fatalf("user list has %d users, want 2", len(list))
			}
			h := cliJSON[userJSON](t, c, "user", "get", "heather", "--json")
			if h.Email != "h@example.com" || h.Phone != "+14155550123" || h.HasPassword {
				t.Errorf("user get heather = %+v", h)
			}
			if byID := cliJSON[userJSON](t, c, "user", "get", h.ID, "--json"); byID.Username != "heather" {
				t.Errorf("user get by ID = %+v", byID)
			}
		})
		t.Run("SetPassword", func(t *testing.T) {
			if _, err := c.run(t, "another long password\n", "user", "set-password", "heather"); err != nil {
				t.Fatal(err)
			}
			if h := cliJSON[userJSON](t, c, "user", "get", "heather", "--json"); !h.HasPassword {
				t.Error("set-password left no password")
			}
		})
		t.Run("Delete", func(t *testing.T) {
			c.mustRun(t, "", "user", "delete", "heather")
			if _, err := c.run(t, "", "user", "get", "heather"); err == nil || !strings.Contains(err.Error(), "no user") {
				t.Errorf("get after delete = %v", err)
			}
		})
	})
}

func TestScopeCommands(t *testing.T) {
	inModes(t, func(t *testing.T, c cli) {
		c.mustRun(t, "", "scope", "create", "usage:read", "--description", "read your energy usage history")
		c.mustRun(t, "", "scope", "create", "usage:read", "--description", "read your energy usage (12 months)")
		list := cliJSON[[]scopeJSON](t, c, "scope", "list", "--json")
		if len(list) != 1 || list[0].Description != "read your energy usage (12 months)" {
			t.Errorf("scope list = %+v, want the one replaced scope", list)
		}
		if _, err := c.run(t, "", "scope", "create", "bad scope", "--description", "x"); err == nil {
			t.Error("a scope with a space was accepted")
		}
		if _, err := c.run(t, "", "scope", "create", "x"); err == nil || !strings.Contains(err.Error(), "--description is required") {
			t.Errorf("scope without description = %v", err)
		}
		c.mustRun(t, "", "scope", "delete", "usage:read")
		if _, err := c.run(t, "", "scope", "delete", "usage:read"); err == nil || !strings.Contains(err.Error(), "no scope") {
			t.Errorf("second delete = %v", err)
		}
	})
}

func TestKeysCommands(t *testing.T) {
	e := migrated(t)
	if out := mustRun(t, e, "", "keys", "list"); !strings.Contains(out, "no signing keys yet") {
		t.Errorf("keys list before first start printed %q", out)
	}
	s := startServe(t, e)
	before := mustJSON[[]keyJSON](t, e, "keys", "list", "--json")
	if len(before) != 2 {
		t.Fatalf("after first start: %d keys, want one ES256 and one RS256", len(before))
	}
	after := mustJSON[[]keyJSON](t, e, "keys", "rotate", "--json")
	status := map[string]int{}
	for _, k := range after {
		status[k.Status]++
	}
	if status["current"] != 2 || status["retired (published)"] != 2 {
		t.Errorf("after rotate: statuses %v, want 2 current and 2 retired (published)", status)
	}

	// The running server still publishes the retired keys (tokens they
	// signed stay valid) and, once it refreshes, the new ones.
	resp, body := httpGet(t, s.srv.URL()+"/.well-known/jwks.json")
	if resp != 200 {
		t.Fatalf("GET jwks = %d", resp)
	}
	for _, k := range before {
		if !strings.Contains(body, k.KID) {
			t.Errorf("the JWKS lost key %s right after rotation", k.KID)
		}
	}
	if out := mustRun(t, e, "", "keys", "list"); !strings.HasPrefix(out, "KID") || !strings.Contains(out, "ES256") {
		t.Errorf("keys list printed\n%s", out)
	}
}

func TestKeysRotateNeedsTheSecret(t *testing.T) {
	e := migrated(t)
	startServe(t, e).stop()
	dir := t.TempDir()
	_, err := run(t, e.with("KEYPAD_SECRET_FILE", filepath.Join(dir, "other.secret")), "", "keys", "rotate")
	if err == nil || !strings.Contains(err.Error(), "load signing keys") {
		t.Errorf("keys rotate with another secret = %v, want a clear failure to open the keys", err)
	}
}

func TestVersion(t *testing.T) {
	out := mustRun(t, env{}, "", "version")
	if !strings.HasPrefix(out, "keypad ") || !strings.Contains(out, "go1.") {
		t.Errorf("version printed %q", out)
	}
}

func httpGet(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}
