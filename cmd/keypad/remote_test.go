package main

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/keypadauth/keypad/oauth"
	"testing"
)

// TestRemoteSameOutput: on one database, every command prints exactly
// the same locally and over the admin API, text and --json.
func TestRemoteSameOutput(t *testing.T) {
	local := bootstrap(t)
	remote := local.remoteMode(t)
	grantFixture(t, local)
	local.mustRun(t, "", "client", "create", "--id", "meter", "--name", "Meter", "--grant-types", "client_credentials",
		"--scopes", "usage:read", "--token-format", "opaque", "--access-ttl", "30d", "--description", "smart meter",
		"--description-es", "contador", "--hint-style", "none", "--refresh-idle-ttl", "7d")
	local.mustRun(t, "", "user", "create", "--username", "bob", "--name", "Bob", "--email", "Bob@Example.com",
		"--phone", "+14155550123", "--address", "1 Main St, Springfield 62701", "--account", "A12345", "--language", "es")
	local.mustRun(t, "correct horse battery staple\n", "user", "set-password", "bob")
	local.mustRun(t, "", "client", "create", "--id", "acme", "--name", "Acme", "--grant-types", "jwt-bearer,client_credentials",
		"--scopes", "usage:read", "--assertion-keys", tempFile(t, "acme.pem", publicPEM(t, &testKeys().rsa.PublicKey)),
		"--assertion-issuer", "https://acme.example", "--audiences", "https://api.example", "--dpop", "required",
		"--backchannel-token-delivery-mode", "poll")
	local.mustRun(t, "", "scope", "create", "usage:read", "--description", "read your usage", "--description-es", "leer su consumo")
	for _, args := range [][]string{
		{"client", "list"}, {"client", "list", "--json"},
		{"client", "get", "meter"}, {"client", "get", "meter", "--json"}, {"client", "get", "app", "--json"},
		{"client", "get", "acme"}, {"client", "get", "acme", "--json"},
		{"user", "list"}, {"user", "list", "--json"}, {"user", "list", "--limit", "1"},
		{"user", "get", "bob"}, {"user", "get", "bob", "--json"}, {"user", "get", "alice", "--json"},
		{"scope", "list"}, {"scope", "list", "--json"},
		{"keys", "list"}, {"keys", "list", "--json"},
		{"grant", "list", "--subject", "alice"}, {"grant", "list", "--client", "app", "--json"},
	} {
		want := local.mustRun(t, "", args...)
		if got := remote.mustRun(t, "", args...); got != want {
			t.Errorf("keypad %s printed over the API:\n%s\nand locally:\n%s", strings.Join(args, " "), got, want)
		}
	}
	// A change over the API reads back locally as it was asked.
	remote.mustRun(t, "", "client", "update", "acme", "--name", "Acme Corp", "--refresh-ttl", "90d", "--grant-types", "jwt-bearer,refresh_token")
	remote.mustRun(t, "", "user", "update", "bob", "--language", "")
	for _, args := range [][]string{{"client", "get", "acme", "--json"}, {"user", "get", "bob", "--json"}} {
		want := local.mustRun(t, "", args...)
		if got := remote.mustRun(t, "", args...); got != want {
			t.Errorf("after updates over the API, keypad %s printed over the API:\n%s\nand locally:\n%s", strings.Join(args, " "), got, want)
		}
	}
	if acme := cliJSON[clientJSON](t, local, "client", "get", "acme", "--json"); acme.Name != "Acme Corp" || acme.RefreshTTL != 90*86400 ||
		len(acme.AssertionKeys) != 1 || acme.AssertionIssuer != "https://acme.example" || acme.DPoP != "required" {
		t.Errorf("after client update over the API, the database has %+v", acme)
	}
	if bob := cliJSON[userJSON](t, local, "user", "get", "bob", "--json"); bob.PreferredLanguage != "" || bob.Name != "Bob" {
		t.Errorf("after user update --language \"\" over the API, the database has %+v", bob)
	}
	for _, args := range [][]string{
		{"client", "get", "nope"}, {"client", "delete", "nope"}, {"user", "get", "nobody"},
		{"scope", "delete", "nope"}, {"grant", "revoke", "gr_nope"}, {"grant", "list", "--client", "nope"},
	} {
		_, want := local.run(t, "", args...)
		if _, got := remote.run(t, "", args...); got == nil || want == nil || got.Error() != want.Error() {
			t.Errorf("keypad %s failed over the API with\n%v\nand locally with\n%v", strings.Join(args, " "), got, want)
		}
	}
}

// TestRemoteCredentials: a token from --token or the environment, or the
// client's credentials from the environment, work as the flags do.
func TestRemoteCredentials(t *testing.T) {
	c := bootstrap(t)
	tok := adminToken(t, c, c.admin.ClientID, c.admin.ClientSecret, "keypad:admin")
	t.Run("OKTokenFlag", func(t *testing.T) {
		r := cli{env: env{}, args: []string{"--server", c.adminURL(), "--token", tok}}
		if out := r.mustRun(t, "", "client", "get", "ops"); !strings.HasPrefix(out, "client_id:    ops\n") {
			t.Errorf("client get with --token printed %q", out)
		}
	})
	t.Run("OKTokenEnv", func(t *testing.T) {
		r := cli{env: env{"KEYPAD_SERVER": c.adminURL(), "KEYPAD_ADMIN_TOKEN": tok}}
		if out := r.mustRun(t, "", "client", "list"); !strings.Contains(out, "ops") {
			t.Errorf("client list with KEYPAD_ADMIN_TOKEN printed %q", out)
		}
	})
	t.Run("OKClientEnv", func(t *testing.T) {
		r := cli{env: env{"KEYPAD_SERVER": c.adminURL(), "KEYPAD_ADMIN_TOKEN_URL": c.srv.srv.URL() + "/oauth2/token",
			"KEYPAD_ADMIN_CLIENT_ID": "ops", "KEYPAD_ADMIN_CLIENT_SECRET": c.admin.ClientSecret}}
		r.mustRun(t, "", "scope", "create", "a:b", "--description", "do b to a")
		if out := c.mustRun(t, "", "scope", "list"); !strings.Contains(out, "do b to a") {
			t.Errorf("the scope created with the environment's credentials is not in the database:\n%s", out)
		}
	})
	t.Run("ErrNoTokenURL", func(t *testing.T) {
		r := cli{env: env{"KEYPAD_SERVER": c.adminURL(), "KEYPAD_ADMIN_CLIENT_ID": "ops", "KEYPAD_ADMIN_CLIENT_SECRET": c.admin.ClientSecret}}
		if _, err := r.run(t, "", "client", "list"); err == nil || !strings.Contains(err.Error(), "give --token-url") {
			t.Errorf("client list with the admin listener's missing token endpoint = %v, want --token-url named", err)
		}
	})
	t.Run("ErrLocalSettings", func(t *testing.T) {
		r := cli{env: env{}, args: []string{"--server", c.adminURL(), "--token", tok, "--db", c.db["KEYPAD_DB"]}}
		if _, err := r.run(t, "", "client", "list"); err == nil || !strings.Contains(err.Error(), "--db names the local database's settings") {
			t.Errorf("client list with --server and --db = %v, want the two refused together", err)
		}
	})
	t.Run("ErrNoCredentials", func(t *testing.T) {
		r := cli{env: env{"KEYPAD_SERVER": c.adminURL()}}
		if _, err := r.run(t, "", "client", "list"); err == nil || !strings.Contains(err.Error(), "--server needs credentials") {
			t.Errorf("client list without credentials = %v", err)
		}
	})
}

// adminToken gets a client_credentials token for scope.
func adminToken(t *testing.T, c cli, id, secret, scope string) string {
	t.Helper()
	code, body := postForm(t, c.srv.srv.URL()+"/oauth2/token", id, secret, url.Values{"grant_type": {"client_credentials"}, "scope": {scope}})
	if code != http.StatusOK {
		t.Fatalf("token: %d %s", code, body)
	}
	tr := struct {
		AccessToken string `json:"access_token"`
	}{}
	mustUnmarshal(t, body, &tr)
	return tr.AccessToken
}

// TestRemoteAuthErrors: what the admin API refuses, the CLI says why,
// and never shows the token or the secret.
func TestRemoteAuthErrors(t *testing.T) {
	c := bootstrap(t)
	users := c.mustRun(t, "", "client", "create", "--id", "hr", "--name", "HR", "--grant-types", "client_credentials",
		"--scopes", "keypad:users", "--json")
	hr := mustUnmarshalJSON[clientJSON](t, users)
	t.Run("ErrForbidden", func(t *testing.T) {
		r := cli{env: env{}, args: []string{"--server", c.adminURL(), "--token-url", c.srv.srv.URL() + "/oauth2/token",
			"--client-id", "hr", "--client-secret", hr.ClientSecret}}
		r.mustRun(t, "", "user", "list") // its scope
		_, err := r.run(t, "", "client", "list")
		if err == nil || !strings.Contains(err.Error(), "403") || !strings.Contains(err.Error(), "keypad:clients") {
			t.Errorf("client list with a keypad:users token = %v, want a 403 naming keypad:clients", err)
		}
	})
	t.Run("ErrBadToken", func(t *testing.T) {
		r := cli{env: env{}, args: []string{"--server", c.adminURL(), "--token", "kp_at_not-a-token"}}
		_, err := r.run(t, "", "client", "list")
		if err == nil || !strings.Contains(err.Error(), "refused the token (401") || !strings.Contains(err.Error(), "invalid or has expired") {
			t.Errorf("client list with a bad token = %v, want the 401 explained", err)
		}
		if strings.Contains(err.Error(), "kp_at_not-a-token") {
			t.Errorf("the error shows the token: %v", err)
		}
	})
	t.Run("ErrBadSecret", func(t *testing.T) {
		const secret = "kp_cs_wrong-secret-value"
		r := cli{env: env{}, args: []string{"--server", c.adminURL(), "--token-url", c.srv.srv.URL() + "/oauth2/token",
			"--client-id", "hr", "--client-secret", secret}}
		m, out, errOut := newMain(r.env, "")
		err := m.Run(context.Background(), append(r.args, "user", "list"))
		if err == nil || !strings.Contains(err.Error(), "refused the admin client's credentials") {
			t.Errorf("user list with a wrong secret = %v", err)
		}
		if all := out.String() + errOut.String() + err.Error(); strings.Contains(all, secret) {
			t.Errorf("the secret is shown: %s", all)
		}
	})
}

// TestRemoteRefusesLocalOnly: commands that only make sense next to the
// database refuse --server instead of opening a local one.
func TestRemoteRefusesLocalOnly(t *testing.T) {
	e := env{"KEYPAD_DB": "sqlite:" + t.TempDir() + "/keypad.db"}
	for _, args := range [][]string{
		{"serve"}, {"migrate"}, {"backup", "x.db"}, {"outbox"}, {"user", "import", "people.csv"},
		{"client", "initial-token", "list"}, {"templates", "check"}, {"idp", "list"},
	} {
		_, err := run(t, e, "", append([]string{"--server", "https://keypad.example"}, args...)...)
		if err == nil || !strings.Contains(err.Error(), "works on the local database only") {
			t.Errorf("keypad --server ... %s = %v, want it refused", strings.Join(args, " "), err)
		}
	}
	_, err := run(t, e.with("KEYPAD_SERVER", "https://keypad.example"), "", "migrate")
	if err == nil || !strings.Contains(err.Error(), "KEYPAD_SERVER unset") {
		t.Errorf("migrate with KEYPAD_SERVER = %v, want it refused", err)
	}
	for _, args := range [][]string{{"version"}, {"help"}, {"completion", "bash"}} {
		if _, err := run(t, e, "", append([]string{"--server", "https://keypad.example"}, args...)...); err != nil {
			t.Errorf("keypad --server ... %s = %v; it uses no database, so --server does not matter", strings.Join(args, " "), err)
		}
	}
	if _, err := run(t, e, "", "--server", "https://keypad.example", "user", "import", "x.csv"); err == nil ||
		!strings.Contains(err.Error(), "POST /admin/v1/imports") {
		t.Errorf("user import with --server = %v, want the API's imports named", err)
	}
}

// TestRemoteRefusesPlainHTTP: the token never goes in clear to another
// machine; loopback is fine (the tests use it).
func TestRemoteRefusesPlainHTTP(t *testing.T) {
	var mu sync.Mutex
	var sent []string
	for _, args := range [][]string{
		{"--server", "http://keypad.example:8080", "--token", "t"},
		{"--server", "http://10.0.0.5", "--token", "t"},
		{"--server", "https://keypad.example", "--token-url", "http://keypad.example/oauth2/token", "--client-id", "a", "--client-secret", "b"},
	} {
		m, _, _ := newMain(env{}, "")
		m.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
			mu.Lock()
			defer mu.Unlock()
			sent = append(sent, r.URL.String())
			return nil, http.ErrNotSupported
		})
		err := m.Run(context.Background(), append(args, "client", "list"))
		if err == nil || !strings.Contains(err.Error(), "use https://") {
			t.Errorf("keypad %s client list = %v, want plain http refused", strings.Join(args, " "), err)
		}
	}
	if len(sent) > 0 {
		t.Errorf("requests went out: %v", sent)
	}
	for _, u := range []string{"http://127.0.0.1:1", "http://localhost:1", "http://[::1]:1", "https://keypad.example"} {
		if err := checkRemoteURL("--server", u); err != nil {
			t.Errorf("checkRemoteURL(%s) = %v, want it allowed", u, err)
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestRemoteConcurrentUpdate: an update is sent If-Match the version the
// command read, so a change made between the read and the write is not
// overwritten: the command says to run it again.
func TestRemoteConcurrentUpdate(t *testing.T) {
	c := bootstrap(t)
	c.mustRun(t, "", "client", "create", "--id", "tv", "--name", "TV", "--public", "--grant-types", "device_code")
	c.mustRun(t, "", "user", "create", "--username", "ann", "--name", "Ann")
	c.mustRun(t, "", "scope", "create", "usage:read", "--description", "read your usage")
	r := c.remoteMode(t)
	for _, tt := range []struct {
		name, meanwhile    string
		args, other, check []string
		kept               string
	}{
		{"Client", "PUT", []string{"client", "update", "tv", "--name", "Remote TV"},
			[]string{"client", "update", "tv", "--name", "Local TV"}, []string{"client", "get", "tv"}, "Local TV"},
		{"Person", "PATCH", []string{"user", "update", "ann", "--name", "Remote Ann"},
			[]string{"user", "update", "ann", "--name", "Local Ann"}, []string{"user", "get", "ann"}, "Local Ann"},
		{"Scope", "PUT", []string{"scope", "update", "usage:read", "--description", "remote words"},
			[]string{"scope", "update", "usage:read", "--description", "local words"}, []string{"scope", "list"}, "local words"},
		// Last: had it gone through, the admin client's secret would be another.
		{"RotateSecret", "POST", []string{"client", "rotate-secret", "ops"},
			[]string{"client", "update", "ops", "--description", "rotated meanwhile"}, []string{"client", "get", "ops"}, "rotated meanwhile"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, _, _ := newMain(r.env, "")
			changed := false
			m.Transport = roundTripFunc(func(req *http.Request) (*http.Response, error) {
				if req.Method == tt.meanwhile && strings.HasPrefix(req.URL.Path, "/admin/v1/") && !changed {
					changed = true
					c.mustRun(t, "", tt.other...) // another operator, between our read and our write
				}
				return http.DefaultTransport.RoundTrip(req)
			})
			err := m.Run(context.Background(), append(slices.Clone(r.args), tt.args...))
			if !changed {
				t.Fatalf("keypad %s sent no %s: %v", strings.Join(tt.args, " "), tt.meanwhile, err)
			}
			if err == nil || !strings.Contains(err.Error(), "changed since this command read it") || !strings.Contains(err.Error(), "run the command again") {
				t.Errorf("keypad %s after a concurrent change = %v, want it refused with a hint", strings.Join(tt.args, " "), err)
			}
			if out := c.mustRun(t, "", tt.check...); !strings.Contains(out, tt.kept) {
				t.Errorf("the concurrent change was overwritten:\n%s", out)
			}
		})
	}
}

// TestRemoteKeys: keys list and rotate over the API.
func TestRemoteKeys(t *testing.T) {
	c := bootstrap(t)
	r := c.remoteMode(t)
	before := cliJSON[[]keyJSON](t, r, "keys", "list", "--json")
	after := cliJSON[[]keyJSON](t, r, "keys", "rotate", "--json")
	if len(before) != 2 || len(after) != 4 {
		t.Fatalf("keys: %d before and %d after rotate, want 2 and 4", len(before), len(after))
	}
	status := map[string]int{}
	for _, k := range after {
		status[k.Status]++
	}
	if status["current"] != 2 || status["retired (published)"] != 2 {
		t.Errorf("after rotate: statuses %v, want 2 current and 2 retired (published)", status)
	}
	if out := r.mustRun(t, "", "keys", "rotate"); !strings.HasPrefix(out, "rotated the signing keys:\nKID") {
		t.Errorf("keys rotate printed\n%s", out)
	}
}

// TestRemoteInitialToken: an initial access token issued over the admin
// listener is the server's, made by the admin client, and registers.
func TestRemoteInitialToken(t *testing.T) {
	c := bootstrap(t)
	r := c.remoteMode(t)
	got := cliJSON[oauth.InitialAccessTokenJSON](t, r, "client", "initial-token", "create", "--uses", "2", "--expires", "2h", "--json")
	if !strings.HasPrefix(got.Token, "kp_it_") || got.MaxUses != 2 || got.CreatedBy != "ops" ||
		got.ExpiresAt.Sub(got.CreatedAt) != 2*time.Hour {
		t.Errorf("initial-token create over the API = %+v, want a kp_it_ token for 2 uses, 2h, by ops", got)
	}
	list := cliJSON[[]oauth.InitialAccessTokenJSON](t, c, "client", "initial-token", "list", "--json")
	if len(list) != 1 || list[0].ID != got.ID {
		t.Errorf("the database holds %+v, want the token %s", list, got.ID)
	}
	if _, err := r.run(t, "", "client", "initial-token", "create", "--expires", "1s"); err == nil {
		t.Error("initial-token create --expires 1s succeeded over the API")
	}
	if text := r.mustRun(t, "", "client", "initial-token", "create"); !strings.Contains(text, "(shown once; keypad keeps only its hash):\n\n  kp_it_") {
		t.Errorf("initial-token create printed\n%s", text)
	}
}
