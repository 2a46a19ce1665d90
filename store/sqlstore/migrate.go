package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/keypadauth/keypad"
)

// migrationFiles holds the schema, one numbered file per step and dialect:
// migrations/<dialect>/NNNN_what.sql. A step is never edited once
// released; a change is a new file.
//
//go:embed migrations
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the dialect's steps in order. The embedded files are
// part of the binary, so a malformed name is a programming error caught by
// the tests.
func (d *Dialect) migrations() ([]migration, error) {
	dir := path.Join("migrations", d.name)
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, fmt.Errorf("read %s migrations: %w", d.name, err)
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("migration %s/%s: name must look like 0001_what.sql", dir, e.Name())
		}
		b, err := fs.ReadFile(migrationFiles, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	slices.SortFunc(ms, func(a, b migration) int { return a.version - b.version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s/%s: want version %d, versions must be 1, 2, 3, ...", dir, m.name, i+1)
		}
	}
	return ms, nil
}

// LatestVersion is the schema version this binary was built for.
func (s *Store) LatestVersion() (int, error) {
	ms, err := s.d.migrations()
	if err != nil {
		return 0, err
	}
	return len(ms), nil
}

// Migration is one step of the schema, as `keypad migrate --dry-run`
// shows it.
type Migration struct {
	// Version is the schema version the step brings the database to.
	Version int
	// Name is the step's file name, e.g. 0002_otp_sends.sql.
	Name string
	// SQL is the step's text, run in Migrate's one transaction.
	SQL string
}

// PendingMigrations lists the steps Migrate would run now, in order,
// without changing anything: none for an up-to-date database, and a
// *keypad.SchemaError for a database newer than this binary.
func (s *Store) PendingMigrations(ctx context.Context) ([]Migration, error) {
	ms, err := s.d.migrations()
	if err != nil {
		return nil, err
	}
	have, err := s.SchemaVersion(ctx)
	if err != nil {
		return nil, err
	}
	if have > len(ms) {
		return nil, &keypad.SchemaError{Have: have, Want: len(ms)}
	}
	var out []Migration
	for _, m := range ms[have:] {
		out = append(out, Migration{Version: m.version, Name: m.name, SQL: m.sql})
	}
	return out, nil
}

// Migrate brings the schema up to LatestVersion, in one transaction: a
// failed step leaves the database as it was. Running it again does
// nothing, and processes running it at once take turns (an advisory lock
// on PostgreSQL, the write lock on SQLite), so each step runs exactly
// once. A database newer than this binary is left alone and reported as a
// *keypad.SchemaError.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := s.d.migrations()
	if err != nil {
		return err
	}
	return s.migrateTo(ctx, ms, len(ms))
}

// MigrateTo brings the schema up to version, and no further, as Migrate
// does. Upgrade tests use it to build a database of an earlier release;
// operators use Migrate.
func (s *Store) MigrateTo(ctx context.Context, version int) error {
	ms, err := s.d.migrations()
	if err != nil {
		return err
	}
	if version < 0 || version > len(ms) {
		return fmt.Errorf("migrate to version %d: this keypad knows versions 0 to %d", version, len(ms))
	}
	return s.migrateTo(ctx, ms, version)
}

func (s *Store) migrateTo(ctx context.Context, ms []migration, version int) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if s.d.lockMigrations != "" {
			if _, err := tx.ExecContext(ctx, s.d.lockMigrations); err != nil {
				return fmt.Errorf("lock migrations: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx,
			`CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL PRIMARY KEY)`); err != nil {
			return fmt.Errorf("create schema_version: %w", err)
		}
		var have int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&have); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		if have > len(ms) {
			return &keypad.SchemaError{Have: have, Want: len(ms)}
		}
		for _, m := range ms[min(have, version):version] {
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("migrate %s to version %d (%s): %w", s.d.name, m.version, m.name, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES ($1)`, m.version); err != nil {
				return fmt.Errorf("record schema version %d: %w", m.version, err)
			}
		}
		return nil
	})
}

// SchemaVersion returns the version the database's schema is at; 0 for a
// database keypad never migrated.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var exists any
	if err := s.db.QueryRowContext(ctx, s.d.hasVersionTable).Scan(&exists); err != nil {
		return 0, fmt.Errorf("look for schema_version: %w", err)
	}
	switch x := exists.(type) {
	case bool:
		if !x {
			return 0, nil
		}
	case int64:
		if x == 0 {
			return 0, nil
		}
	default:
		return 0, fmt.Errorf("look for schema_version: unexpected answer %T", exists)
	}
	var v int
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// CheckSchema returns a *keypad.SchemaError unless the database's schema is
// exactly the one this binary was built for. Start-up calls it and
// refuses to serve otherwise; it never changes the database.
func (s *Store) CheckSchema(ctx context.Context) error {
	want, err := s.LatestVersion()
	if err != nil {
		return err
	}
	have, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if have != want {
		return &keypad.SchemaError{Have: have, Want: want}
	}
	return nil
}
