package server

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keypadauth/keypad/internal/pgtest"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/config"
	"github.com/keypadauth/keypad/store/sqlstore"
)

// TestReadyzNotWritable makes the SQLite database refuse writes under a
// running server (PRAGMA query_only on its one writer connection: a
// read-only file, to a process running as root, is still writable): the
// ping still answers, yet /readyz must say 503 with the reason.
func TestReadyzNotWritable(t *testing.T) {
	cfg := testConfig(t)
	cfg.AutoMigrate = true
	s, logs := startServer(t, cfg, Options{})
	if code, body := get(t, s.URL()+"/readyz"); code != http.StatusOK {
		t.Fatalf("GET /readyz = %d %s, want 200", code, body)
	}
	if _, err := s.Store().(*sqlstore.Store).DB().ExecContext(t.Context(), `PRAGMA query_only = ON`); err != nil {
		t.Fatal(err)
	}
	if err := s.Store().Ping(t.Context()); err != nil {
		t.Fatalf("Ping of a read-only database = %v, want nil (the point of this test)", err)
	}
	if code, body := get(t, s.URL()+"/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "store not writable") {
		t.Errorf("GET /readyz on a read-only database = %d %s, want 503 store not writable", code, body)
	}
	if !strings.Contains(logs.String(), "store not writable") {
		t.Errorf("the log does not say why:\n%s", logs)
	}
}

// testPostgresDB creates a database of its own on the KEYPAD_TEST_POSTGRES
// server (so that its connections can be cut and refused without
// touching other tests), dropped at cleanup. It returns the DSN of the new
// database and an admin connection to the server.
func testPostgresDB(t *testing.T) (dsn string, admin *sql.DB, name string) {
	t.Helper()
	base := pgtest.DSN(t)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name = "keypad_outage_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(t.Context(), "CREATE DATABASE "+name); err != nil {
		admin.Close()
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		admin.ExecContext(ctx, "ALTER DATABASE "+name+" ALLOW_CONNECTIONS true")
		if _, err := admin.ExecContext(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String(), admin, name
}

// postgresConfig is a server configuration on the database dsn.
func postgresConfig(t *testing.T, dsn string) config.Config {
	cfg := testConfig(t)
	cfg.DB = dsn
	cfg.SecretFile = filepath.Join(t.TempDir(), "keypad.secret")
	cfg.AutoMigrate = true
	return cfg
}

// TestPostgresOutage cuts a running server off its PostgreSQL database
// (its sessions terminated, new ones refused): a token request answers
// 503 temporarily_unavailable with Retry-After, and /readyz 503.
func TestPostgresOutage(t *testing.T) {
	dsn, admin, name := testPostgresDB(t)
	s, _ := startServer(t, postgresConfig(t, dsn), Options{})
	form := url.Values{"client_id": {"no-such-client"}, "client_secret": {"kp_cs_x"}, "grant_type": {"client_credentials"}}
	if resp, err := http.PostForm(s.URL()+"/oauth2/token", form); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("token request while the database is up = %v %v, want 401", resp, err)
	}

	for _, q := range []string{
		"ALTER DATABASE " + name + " ALLOW_CONNECTIONS false",
		"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + name + "'",
	} {
		if _, err := admin.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	resp, err := http.PostForm(s.URL()+"/oauth2/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Error string }
	json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != http.StatusServiceUnavailable || body.Error != "temporarily_unavailable" || resp.Header.Get("Retry-After") == "" {
		t.Errorf("token request during the outage = %d %q (Retry-After %q), want 503 temporarily_unavailable with Retry-After",
			resp.StatusCode, body.Error, resp.Header.Get("Retry-After"))
	}
	if code, body := get(t, s.URL()+"/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("GET /readyz during the outage = %d %s, want 503", code, body)
	}
}

// TestPostgresReadOnly turns the server's database read-only
// (default_transaction_read_only, as on a hot standby): /readyz says 503
// store not writable, and a server starting on it refuses to.
func TestPostgresReadOnly(t *testing.T) {
	dsn, admin, name := testPostgresDB(t)
	cfg := postgresConfig(t, dsn)
	s, _ := startServer(t, cfg, Options{})
	if code, body := get(t, s.URL()+"/readyz"); code != http.StatusOK {
		t.Fatalf("GET /readyz = %d %s, want 200", code, body)
	}
	for _, q := range []string{
		"ALTER DATABASE " + name + " SET default_transaction_read_only = on",
		"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + name + "'",
	} {
		if _, err := admin.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// The first request may meet a terminated connection; readiness is
	// asked until the pool has reconnected (read-only now) or 5 times.
	var code int
	var body string
	for range 5 {
		if code, body = get(t, s.URL()+"/readyz"); strings.Contains(body, "not writable") {
			break
		}
	}
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "store not writable") {
		t.Errorf("GET /readyz on a read-only database = %d %s, want 503 store not writable", code, body)
	}

	cfg.AutoMigrate = false
	_, err := New(t.Context(), cfg, Options{Logger: slog.New(slog.DiscardHandler)})
	if !errors.Is(err, keypad.ErrUnavailable) || !strings.Contains(err.Error(), "cannot be written") {
		t.Errorf("New on a read-only database = %v, want an error saying it cannot be written", err)
	}
}
