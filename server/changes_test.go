package server

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/config"
	"github.com/keypadauth/keypad/internal/pgtest"
	"github.com/keypadauth/keypad/store"
	"github.com/keypadauth/keypad/store/postgres"
	"github.com/keypadauth/keypad/store/sqlstore"
)

// seenWithin is how long a test waits for a change made elsewhere to
// reach a running server. It is a deadline for a condition, far above the
// bounds keypad promises (docs/scale-out.md), so a loaded machine does not
// fail the test; the elapsed time is logged.
const seenWithin = 10 * time.Second

// clientCredentials asks srv for a token as client id with secret and
// returns the status.
func clientCredentials(t *testing.T, srv *Server, id, secret string) int {
	t.Helper()
	req, err := http.NewRequest("POST", srv.URL()+"/oauth2/token", strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// eventually polls cond until it holds, failing the test after seenWithin.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > seenWithin {
			t.Fatalf("%s: not seen within %v", what, seenWithin)
		}
		time.Sleep(10 * time.Millisecond) // polling a condition, not waiting for it
	}
	t.Logf("%s: seen after %v", what, time.Since(start).Round(time.Millisecond))
}

// otherProcess opens (and migrates) the server's database a second time,
// as the CLI in another process does: its writes reach the server only
// through the store's change notifications.
func otherProcess(t *testing.T, cfg config.Config) *sqlstore.Store {
	t.Helper()
	st, err := store.Open(t.Context(), cfg.DB)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return st
}

// startWithClient creates client svc with secret s1 through another
// connection, then starts a server with a five-minute client cache (so
// that only a reported change can empty it). The client exists before the
// server watches, so no late report of its creation empties the cache.
func startWithClient(t *testing.T, cfg config.Config) (*Server, *sqlstore.Store, *keypad.Client) {
	t.Helper()
	cfg.ClientCacheTTL = 5 * time.Minute
	other := otherProcess(t, cfg)
	c := &keypad.Client{ID: "svc", SecretHash: keypad.SecretHash("s1"), GrantTypes: []string{keypad.GrantClientCredentials}}
	if err := other.CreateClient(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	srv, _ := startServer(t, cfg, Options{})
	if got := clientCredentials(t, srv, "svc", "s1"); got != http.StatusOK {
		t.Fatalf("client credentials: status %d, want 200", got)
	}
	return srv, other, c
}

// testClientChanges: with a client cache of five minutes, a secret
// rotation and a deletion made through another connection reach the
// running server within the store's bound, and a write that bypasses the
// store (no notification) is served stale, which proves the cache is on.
func testClientChanges(t *testing.T, cfg config.Config) {
	srv, other, c := startWithClient(t, cfg)

	// Behind the store's back: the cache keeps serving s1.
	if _, err := other.DB().ExecContext(t.Context(), `UPDATE clients SET secret_hash = $1 WHERE id = 'svc'`, keypad.SecretHash("behind")); err != nil {
		t.Fatal(err)
	}
	if got := clientCredentials(t, srv, "svc", "s1"); got != http.StatusOK {
		t.Fatalf("cached client with its old secret: status %d, want 200 (is the client cache on?)", got)
	}

	c.SecretHash = keypad.SecretHash("s2")
	if err := other.UpdateClient(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	eventually(t, "rotated secret", func() bool {
		return clientCredentials(t, srv, "svc", "s1") == http.StatusUnauthorized &&
			clientCredentials(t, srv, "svc", "s2") == http.StatusOK
	})
	if err := other.DeleteClient(t.Context(), "svc"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "deleted client", func() bool { return clientCredentials(t, srv, "svc", "s2") == http.StatusUnauthorized })
}

func TestClientChangesSQLite(t *testing.T) {
	cfg := testConfig(t)
	cfg.AutoMigrate = true
	testClientChanges(t, cfg)
}

func TestClientChangesPostgres(t *testing.T) {
	testClientChanges(t, postgresConfig(t, pgtest.Schema(t, "keypad_changes")))
}

// TestListenerLossDropsCaches: a change made while the listener is
// disconnected sends a notification nobody hears. Here the change bypasses
// the store altogether (so no notification is ever sent) and the
// listener's backend is terminated: the reconnection alone must empty the
// cache, or the old secret would keep working for the cache's 5 minutes.
func TestListenerLossDropsCaches(t *testing.T) {
	srv, other, _ := startWithClient(t, postgresConfig(t, pgtest.Schema(t, "keypad_changes")))
	if _, err := other.DB().ExecContext(t.Context(), `UPDATE clients SET secret_hash = $1 WHERE id = 'svc'`, keypad.SecretHash("s2")); err != nil {
		t.Fatal(err)
	}
	if got := clientCredentials(t, srv, "svc", "s1"); got != http.StatusOK {
		t.Fatalf("cached client with its old secret: status %d, want 200 (is the client cache on?)", got)
	}
	var schema string
	if err := other.DB().QueryRowContext(t.Context(), `SELECT current_schema()`).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	var killed int
	if err := other.DB().QueryRowContext(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`,
		postgres.ListenerApplicationName+":"+schema).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if killed != 1 {
		t.Fatalf("terminated %d listener backends, want 1", killed)
	}
	eventually(t, "secret changed while the listener was down", func() bool {
		return clientCredentials(t, srv, "svc", "s1") == http.StatusUnauthorized &&
			clientCredentials(t, srv, "svc", "s2") == http.StatusOK
	})
}

// kidOf returns the kid in the header of a JWT.
func kidOf(t *testing.T, jwt string) string {
	t.Helper()
	head, _, _ := strings.Cut(jwt, ".")
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		t.Fatal(err)
	}
	var h struct{ Kid string }
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return h.Kid
}

// testKeyRotation rotates the keys through another connection (as
// `keypad keys rotate` in another process) and wants the running server
// to sign with the new key, without waiting for its one-minute refresh.
func testKeyRotation(t *testing.T, cfg config.Config) {
	srv, _ := startServer(t, cfg, Options{KeyRefreshInterval: time.Hour})
	other := otherProcess(t, cfg)
	ring, _, err := OpenKeyring(t.Context(), cfg, other, time.Now, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := other.CreateClient(t.Context(), &keypad.Client{ID: "svc", SecretHash: keypad.SecretHash("s1"),
		GrantTypes: []string{keypad.GrantClientCredentials}, TokenFormat: keypad.FormatJWT}); err != nil {
		t.Fatal(err)
	}
	kid := func() string {
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"svc"}, "client_secret": {"s1"}}
		resp, err := http.PostForm(srv.URL()+"/oauth2/token", form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct {
			AccessToken string `json:"access_token"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK {
			return ""
		}
		return kidOf(t, body.AccessToken)
	}
	var before string
	eventually(t, "first token", func() bool { before = kid(); return before != "" })
	if err := ring.Rotate(t.Context()); err != nil {
		t.Fatal(err)
	}
	eventually(t, "rotated key", func() bool { k := kid(); return k != "" && k != before })
}

func TestKeyRotationSQLite(t *testing.T) {
	cfg := testConfig(t)
	cfg.AutoMigrate = true
	testKeyRotation(t, cfg)
}

func TestKeyRotationPostgres(t *testing.T) {
	testKeyRotation(t, postgresConfig(t, pgtest.Schema(t, "keypad_changes")))
}
