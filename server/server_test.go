package server

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/config"
	"github.com/keypadauth/keypad/store"
)

// testConfig is a configuration for a server on 127.0.0.1:0 with SQLite
// in a fresh temporary directory.
func testConfig(t *testing.T) config.Config {
	t.Helper()
	c := config.Default()
	c.Addr = "127.0.0.1:0"
	c.DB = "sqlite:" + filepath.Join(t.TempDir(), "keypad.db")
	return c
}

// startServer starts a server and stops it when the test ends.
func startServer(t *testing.T, cfg config.Config, opts Options) (*Server, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	s, err := New(context.Background(), cfg, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve() }()
	t.Cleanup(func() {
		s.Close()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return s, logs
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestNewRefusesUnmigratedDatabase(t *testing.T) {
	_, err := New(context.Background(), testConfig(t), Options{Logger: slog.New(slog.DiscardHandler)})
	var se *keypad.SchemaError
	if !errors.As(err, &se) || se.Have != 0 {
		t.Fatalf("New on an empty database = %v, want a *keypad.SchemaError at version 0", err)
	}
	for _, want := range []string{"run `keypad migrate` first", "--auto-migrate"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestNewRefusesNewerSchema(t *testing.T) {
	cfg := testConfig(t)
	ctx := context.Background()
	st, err := store.Open(ctx, cfg.DB)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB().ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (999)`); err != nil {
		t.Fatal(err)
	}
	st.Close()

	for _, auto := range []bool{false, true} {
		cfg.AutoMigrate = auto
		_, err := New(ctx, cfg, Options{Logger: slog.New(slog.DiscardHandler)})
		if err == nil || !strings.Contains(err.Error(), "newer than this keypad understands") {
			t.Errorf("auto_migrate=%v: New = %v, want a refusal to run on a newer schema", auto, err)
		}
	}
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	cfg := testConfig(t)
	cfg.AccessTTL = 48 * time.Hour
	_, err := New(context.Background(), cfg, Options{})
	if err == nil || !strings.Contains(err.Error(), "access_ttl:") {
		t.Errorf("New = %v, want an error naming access_ttl", err)
	}
}

func TestNewRejectsWeakSecret(t *testing.T) {
	cfg := testConfig(t)
	cfg.AutoMigrate = true
	cfg.Secret = "hunter2"
	_, err := New(context.Background(), cfg, Options{Logger: slog.New(slog.DiscardHandler)})
	if err == nil || !strings.Contains(err.Error(), "KEYPAD_SECRET") {
		t.Errorf("New = %v, want an error about KEYPAD_SECRET", err)
	}
	if err != nil && strings.Contains(err.Error(), "hunter2") {
		t.Errorf("the error repeats the secret: %v", err)
	}
}

func TestNewPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := testConfig(t)
	cfg.Addr = ln.Addr().String()
	cfg.AutoMigrate = true
	_, err = New(context.Background(), cfg, Options{Logger: slog.New(slog.DiscardHandler)})
	if err == nil || !strings.Contains(err.Error(), "listen on "+cfg.Addr) {
		t.Errorf("New = %v, want a listen error naming the address", err)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	cfg := testConfig(t)
	cfg.AutoMigrate = true
	s, _ := startServer(t, cfg, Options{})
	if got, want := s.URL(), "http://"+s.Addr().String(); got != want {
		t.Errorf("URL = %q, want %q (derived from the bound port)", got, want)
	}

	t.Run("OK", func(t *testing.T) {
		for _, path := range []string{"/healthz", "/readyz"} {
			if code, body := get(t, s.URL()+path); code != http.StatusOK || !strings.Contains(body, `"ok"`) {
				t.Errorf("GET %s = %d %s, want 200 ok", path, code, body)
			}
		}
	})
	t.Run("ErrStoreDown", func(t *testing.T) {
		s.store.Close()
		if code, body := get(t, s.URL()+"/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "store unreachable") {
			t.Errorf("GET /readyz with the store closed = %d %s, want 503", code, body)
		}
		if code, _ := get(t, s.URL()+"/healthz"); code != http.StatusOK {
			t.Errorf("GET /healthz with the store closed = %d, want 200 (the process is alive)", code)
		}
	})
	t.Run("ErrDraining", func(t *testing.T) {
		s.draining.Store(true)
		if code, body := get(t, s.URL()+"/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "shutting down") {
			t.Errorf("GET /readyz while draining = %d %s, want 503", code, body)
		}
	})
}

func TestMetadataUsesBoundAddress(t *testing.T) {
	cfg := testConfig(t)
	cfg.AutoMigrate = true
	s, _ := startServer(t, cfg, Options{})
	code, body := get(t, s.URL()+"/.well-known/oauth-authorization-server")
	var meta struct {
		Issuer        string `json:"issuer"`
		TokenEndpoint string `json:"token_endpoint"`
	}
	if err := json.Unmarshal([]byte(body), &meta); code != http.StatusOK || err != nil {
		t.Fatalf("metadata = %d %s", code, body)
	}
	if meta.Issuer != s.URL() || meta.TokenEndpoint != s.URL()+"/oauth2/token" {
		t.Errorf("metadata issuer %q, token_endpoint %q; want them on %s", meta.Issuer, meta.TokenEndpoint, s.URL())
	}
}

// TestShutdownCompletesInFlightRequests sends half a request, starts a
// graceful shutdown, checks that it waits, then finishes the request and
// expects a complete answer.
func TestShutdownCompletesInFlightRequests(t *testing.T) {
	cfg := testConfig(t)
	cfg.AutoMigrate = true
	logs := &syncBuffer{}
	s, err := New(context.Background(), cfg, Options{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// The request is in flight once it has reached the handler. Earlier
	// marks are not enough: net/http drops a connection whose request
	// headers were read but not yet dispatched when shutdown begins (it
	// checks shuttingDown right after StateActive), and closing the
	// listener may drop one still in the kernel's queue.
	entered := make(chan struct{}, 1)
	inner := s.http.Handler
	s.http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		inner.ServeHTTP(w, r)
	})
	served := make(chan error, 1)
	go func() { served <- s.Serve() }()

	conn, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := "grant_type=client_credentials"
	head := "POST /oauth2/token HTTP/1.1\r\nHost: keypad\r\nContent-Type: application/x-www-form-urlencoded\r\n" +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n"
	if _, err := io.WriteString(conn, head+body[:10]); err != nil {
		t.Fatal(err)
	}
	<-entered

	shutdown := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		shutdown <- s.Shutdown(ctx)
	}()
	for !s.draining.Load() {
		runtime.Gosched()
	}
	select {
	case err := <-shutdown:
		t.Fatalf("Shutdown returned (%v) while a request was in flight", err)
	default:
	}

	if _, err := io.WriteString(conn, body[10:]); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("in-flight request got no answer: %v\n%s", err, logs)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(answer), "invalid_client") {
		t.Errorf("in-flight request: %d %s, want the token endpoint's 401 invalid_client", resp.StatusCode, answer)
	}
	if err := <-shutdown; err != nil {
		t.Errorf("Shutdown = %v, want nil", err)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve = %v, want nil after a graceful shutdown", err)
	}
	if c, err := net.Dial("tcp", s.Addr().String()); err == nil {
		c.Close()
		t.Error("the server still accepts connections after Shutdown")
	}
}

func TestPurge(t *testing.T) {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	cfg := testConfig(t)
	cfg.AutoMigrate = true
	s, logs := startServer(t, cfg, Options{Now: func() time.Time { return now }})
	ctx := context.Background()

	if err := s.store.CreateClient(ctx, &keypad.Client{ID: "c1", Name: "c1", GrantTypes: []string{keypad.GrantClientCredentials},
		TokenFormat: keypad.FormatOpaque, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	expired := &keypad.Token{Hash: keypad.SecretHash("kp_at_old"), Kind: keypad.KindAccess, ClientID: "c1", Subject: "c1",
		IssuedAt: now.Add(-2 * time.Hour), ExpiresAt: now.Add(-time.Hour)}
	live := &keypad.Token{Hash: keypad.SecretHash("kp_at_new"), Kind: keypad.KindAccess, ClientID: "c1", Subject: "c1",
		IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
	for _, tok := range []*keypad.Token{expired, live} {
		if err := s.store.CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}

	s.purge(ctx)

	if _, err := s.store.GetToken(ctx, expired.Hash); !errors.Is(err, keypad.ErrNotFound) {
		t.Errorf("expired token after purge: err = %v, want ErrNotFound", err)
	}
	if _, err := s.store.GetToken(ctx, live.Hash); err != nil {
		t.Errorf("live token after purge: %v, want it kept", err)
	}
	if !strings.Contains(logs.String(), "purged expired records") {
		t.Errorf("the purge is not logged:\n%s", logs)
	}
}

func TestRefreshKeysPicksUpRotation(t *testing.T) {
	cfg := testConfig(t)
	cfg.AutoMigrate = true
	s, _ := startServer(t, cfg, Options{})
	ctx := context.Background()
	// Stop the janitor and the change watcher, so that only the
	// refreshKeys call below can change the JWKS.
	s.stopJanitor()
	s.janitorDone.Wait()
	before := string(s.keys.JWKS())

	// Another instance (here: a second keyring on the same store and
	// secret) rotates the keys.
	other, _, err := OpenKeyring(ctx, cfg, s.store, time.Now, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	if got := string(s.keys.JWKS()); got != before {
		t.Fatal("the JWKS changed before a refresh; the test proves nothing")
	}
	s.refreshKeys(ctx)
	if got, want := string(s.keys.JWKS()), string(other.JWKS()); got != want {
		t.Errorf("after refresh the JWKS is\n%s\nwant the rotated\n%s", got, want)
	}
}
