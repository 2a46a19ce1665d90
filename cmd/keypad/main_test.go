package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keypadauth/keypad/internal/pgtest"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/keypadauth/keypad/server"
)

// TestMain lets the test binary stand in for the keypad binary: with
// KEYPAD_TEST_RUN_MAIN=1 it runs main() instead of the tests, so tests can
// check exit codes and real signals.
func TestMain(m *testing.M) {
	if os.Getenv("KEYPAD_TEST_RUN_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// env is a test's KEYPAD_* environment: the database and secret of one
// backend.
type env map[string]string

func (e env) lookup(k string) (string, bool) { v, ok := e[k]; return v, ok }

// with returns a copy of e with more variables.
func (e env) with(kv ...string) env {
	out := maps.Clone(e)
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// backend is a database the end-to-end tests run against.
type backend struct {
	name string
	// env returns the environment of a fresh, empty database.
	env func(t *testing.T) env
}

var sqliteBackend = backend{name: "SQLite", env: func(t *testing.T) env {
	dir := t.TempDir()
	return env{"KEYPAD_DB": "sqlite:" + filepath.Join(dir, "keypad.db")}
}}

var postgresBackend = backend{name: "PostgreSQL", env: freshPostgres}

var backends = []backend{sqliteBackend, postgresBackend}

// freshPostgres creates an empty schema in the KEYPAD_TEST_POSTGRES
// database, drops it when the test ends, and returns an environment whose
// DSN selects it through search_path.
func freshPostgres(t *testing.T) env {
	t.Helper()
	return env{
		"KEYPAD_DB":          pgtest.Schema(t, "keypad_e2e"),
		"KEYPAD_SECRET_FILE": filepath.Join(t.TempDir(), "keypad.secret"),
	}
}

// syncBuffer collects output written from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newMain returns a Main in e's environment with captured output.
func newMain(e env, stdin string) (*Main, *syncBuffer, *syncBuffer) {
	out, errOut := &syncBuffer{}, &syncBuffer{}
	return &Main{
		Stdin: strings.NewReader(stdin), Stdout: out, Stderr: errOut,
		LookupEnv: e.lookup, Now: time.Now, Rand: rand.Reader,
	}, out, errOut
}

// run runs one keypad command to completion.
func run(t *testing.T, e env, stdin string, args ...string) (string, error) {
	t.Helper()
	m, out, _ := newMain(e, stdin)
	err := m.Run(context.Background(), args)
	return out.String(), err
}

// mustRun runs a command that must succeed.
func mustRun(t *testing.T, e env, stdin string, args ...string) string {
	t.Helper()
	out, err := run(t, e, stdin, args...)
	if err != nil {
		t.Fatalf("keypad %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// mustJSON runs a command that must succeed and decodes its JSON output.
func mustJSON[T any](t *testing.T, e env, args ...string) T {
	t.Helper()
	out := mustRun(t, e, "", args...)
	var v T
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("keypad %s printed %q, not JSON: %v", strings.Join(args, " "), out, err)
	}
	return v
}

// serving is a `keypad serve` running in this process.
type serving struct {
	srv  *server.Server
	logs *syncBuffer
	out  *syncBuffer
	stop func() error
}

// startServe runs `keypad serve` on 127.0.0.1:0 and stops it, gracefully,
// when the test ends.
func startServe(t *testing.T, e env, args ...string) *serving {
	t.Helper()
	m, out, _ := newMain(e, "")
	logs := &syncBuffer{}
	m.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	started := make(chan *server.Server, 1)
	m.Serving = func(s *server.Server) { started <- s }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)) }()

	s := &serving{logs: logs, out: out}
	select {
	case s.srv = <-started:
	case err := <-done:
		cancel()
		t.Fatalf("keypad serve: %v", err)
	}
	var once sync.Once
	var stopErr error
	s.stop = func() error {
		once.Do(func() { cancel(); stopErr = <-done })
		return stopErr
	}
	t.Cleanup(func() {
		if err := s.stop(); err != nil {
			t.Errorf("keypad serve: %v", err)
		}
	})
	return s
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
