// Package store opens the keypad.Store a URL names, so the binary and its
// configuration need not know which backends exist.
package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/keypadauth/keypad/store/postgres"
	"github.com/keypadauth/keypad/store/sqlite"
	"github.com/keypadauth/keypad/store/sqlstore"
)

// Open opens the store at url:
//
//	sqlite:keypad.db             a SQLite file, relative to the working directory
//	sqlite:///var/lib/keypad.db  a SQLite file by absolute path
//	postgres://user@host/db      PostgreSQL (also postgresql://)
//
// It does not migrate the schema: call Migrate or CheckSchema on the result.
func Open(ctx context.Context, url string) (*sqlstore.Store, error) {
	scheme, rest, ok := strings.Cut(url, ":")
	if !ok {
		return nil, fmt.Errorf("store URL has no scheme: use sqlite:PATH (e.g. sqlite:keypad.db) or postgres://user@host/db")
	}
	switch strings.ToLower(scheme) {
	case "sqlite":
		path, err := sqlitePath(rest)
		if err != nil {
			return nil, err
		}
		return sqlite.Open(ctx, path)
	case "postgres", "postgresql":
		return postgres.Open(ctx, url)
	default:
		return nil, fmt.Errorf("store URL scheme %q is not supported: use sqlite:PATH (e.g. sqlite:keypad.db) or postgres://user@host/db", scheme)
	}
}

// SQLitePath returns the file a sqlite: store URL names; ok is false for
// any other kind of store. Backups and restores work on the file.
func SQLitePath(url string) (path string, ok bool, err error) {
	scheme, rest, found := strings.Cut(url, ":")
	if !found || !strings.EqualFold(scheme, "sqlite") {
		return "", false, nil
	}
	path, err = sqlitePath(rest)
	return path, err == nil, err
}

// sqlitePath is the file of a sqlite: URL without its scheme.
func sqlitePath(rest string) (string, error) {
	if p, ok := strings.CutPrefix(rest, "//"); ok {
		if !strings.HasPrefix(p, "/") {
			return "", fmt.Errorf("store URL sqlite://%s: a sqlite:// URL takes an absolute path (sqlite:///var/lib/keypad.db); for a relative one write sqlite:%s", p, p)
		}
		return p, nil
	}
	return rest, nil
}
