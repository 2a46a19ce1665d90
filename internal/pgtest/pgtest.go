// Package pgtest gives tests a PostgreSQL database of their own on the
// server that KEYPAD_TEST_POSTGRES names: the DSN (skipping the test when
// it is unset, failing it under KEYPAD_TEST_STRICT=1) and an empty schema
// per test, dropped at cleanup, so tests never see each other's rows.
package pgtest

import (
	"crypto/rand"
	"database/sql"
	"net/url"
	"os"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// DSN returns KEYPAD_TEST_POSTGRES. Without it the test is skipped, or
// fails when KEYPAD_TEST_STRICT=1 asks that every component be present.
func DSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("KEYPAD_TEST_POSTGRES")
	if dsn == "" {
		msg := "PostgreSQL tests need KEYPAD_TEST_POSTGRES, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
		if os.Getenv("KEYPAD_TEST_STRICT") == "1" {
			t.Fatal(msg + " (KEYPAD_TEST_STRICT=1 makes a missing component a failure)")
		}
		t.Skip(msg)
	}
	return dsn
}

// Schema creates an empty schema named prefix_<random> on the test
// server, drops it when the test ends, and returns a DSN whose
// search_path selects it.
func Schema(t testing.TB, prefix string) string {
	t.Helper()
	dsn := DSN(t)
	schema := prefix + "_" + strings.ToLower(rand.Text())
	if err := exec(dsn, `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("create schema (is PostgreSQL up at %s?): %v", dsn, err)
	}
	t.Cleanup(func() {
		if err := exec(dsn, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " search_path=" + schema // a key=value DSN
}

// exec runs one statement on a connection of its own.
func exec(dsn, stmt string) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.Exec(stmt)
	return err
}
