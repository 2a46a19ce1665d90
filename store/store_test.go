package store_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keypadauth/keypad/internal/pgtest"

	"github.com/keypadauth/keypad/store"
)

func TestOpen(t *testing.T) {
	t.Run("SQLiteRelative", func(t *testing.T) {
		dir := t.TempDir()
		t.Chdir(dir)
		s, err := store.Open(t.Context(), "sqlite:keypad.db")
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := os.Stat(filepath.Join(dir, "keypad.db")); err != nil {
			t.Errorf("sqlite:keypad.db did not create keypad.db in the working directory: %v", err)
		}
	})
	t.Run("SQLiteAbsolute", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "abs.db")
		s, err := store.Open(t.Context(), "sqlite://"+path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := os.Stat(path); err != nil {
			t.Errorf("sqlite://%s did not create the file: %v", path, err)
		}
	})
	for _, tc := range []struct {
		name, url, says string
	}{
		{"ErrUnknownScheme", "mysql://root@localhost/keypad", "use sqlite:PATH"},
		{"ErrNoScheme", "keypad.db", "no scheme"},
		{"ErrSQLiteHost", "sqlite://relative/keypad.db", "absolute path"},
		{"ErrSQLiteEmpty", "sqlite:", "empty path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := store.Open(t.Context(), tc.url)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded, want an error", tc.url)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Errorf("Open(%q) error %q does not say %q", tc.url, err, tc.says)
			}
		})
	}
	t.Run("Postgres", func(t *testing.T) {
		dsn := pgtest.DSN(t)
		for _, url := range []string{dsn, "postgresql" + strings.TrimPrefix(dsn, "postgres")} {
			s, err := store.Open(t.Context(), url)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Ping(t.Context()); err != nil {
				t.Error(err)
			}
			s.Close()
		}
	})
}

func TestSQLitePath(t *testing.T) {
	for _, tc := range []struct {
		url, path string
		ok, err   bool
	}{
		{"sqlite:keypad.db", "keypad.db", true, false},
		{"sqlite:///var/lib/keypad/keypad.db", "/var/lib/keypad/keypad.db", true, false},
		{"SQLite:data/k.db", "data/k.db", true, false},
		{"sqlite://relative.db", "", false, true},
		{"postgres://u@h/db", "", false, false},
		{"keypad.db", "", false, false},
	} {
		path, ok, err := store.SQLitePath(tc.url)
		if path != tc.path || ok != tc.ok || (err != nil) != tc.err {
			t.Errorf("SQLitePath(%q) = %q, %v, %v; want %q, %v, error %v", tc.url, path, ok, err, tc.path, tc.ok, tc.err)
		}
	}
}
