package sqlstore

import (
	"strconv"
	"strings"
)

// Dialect holds what differs between the SQL databases keypad runs on. The
// queries themselves are shared: they use $N placeholders, which SQLite
// accepts too, and standard upserts with RETURNING.
type Dialect struct {
	// name picks the migrations directory and appears in errors.
	name string
	// forUpdate is appended to the SELECT of a read-modify-write. SQLite
	// needs none: its transactions start with BEGIN IMMEDIATE and so
	// already hold the write lock.
	forUpdate string
	// skipLocked is appended to the SELECT that picks queued sends to
	// claim, so concurrent workers pass over each other's rows instead of
	// waiting; SQLite's single writer needs none.
	skipLocked string
	// lockMigrations serialises Migrate across processes; it runs first in
	// Migrate's transaction.
	lockMigrations string
	// lockKeys serialises CreateCurrentKey across processes in the same
	// way (SQLite's BEGIN IMMEDIATE already does).
	lockKeys string
	// importTurn locks and unlocks (session-level, outside the
	// transaction) so bulk subject upserts take turns (see inTurn).
	importTurn [2]string
	// hasVersionTable answers whether schema_version exists, as one row
	// holding a boolean or an integer.
	hasVersionTable string
	// numberedParams: the long generated statements (bulk upserts) use
	// $1, $2, ... (PostgreSQL needs them), else plain ? placeholders.
	// SQLite takes $N as parameter names, which it resolves with a
	// linear search per parameter: thousands of them cost more than the
	// inserts.
	numberedParams bool
	// notify, when set, sends a notification ($1 channel, $2 payload,
	// prefixed with the schema and a colon) delivered when the
	// transaction commits (PostgreSQL's pg_notify).
	notify string
	// rowID names a row's physical address, by which the janitor
	// deletes expired rows a batch at a time (purge.go).
	rowID string
}

// params is the placeholder list of n parameters, numbered from first.
func (d *Dialect) params(n, first int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		if d.numberedParams {
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(first + i))
		} else {
			b.WriteByte('?')
		}
	}
	return b.String()
}

// SQLite is the dialect of SQLite (modernc.org/sqlite). Open its database
// with _txlock=immediate, so transactions take the write lock up front and
// concurrent read-modify-writes never deadlock upgrading a read lock.
var SQLite = &Dialect{
	rowID:           "rowid",
	name:            "sqlite",
	hasVersionTable: `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'`,
}

// Postgres is the dialect of PostgreSQL (and of PostgreSQL-compatible
// distributed databases) through pgx's database/sql driver.
var Postgres = &Dialect{
	name:       "postgres",
	forUpdate:  " FOR UPDATE",
	skipLocked: " FOR UPDATE SKIP LOCKED",
	// One lock per schema: keypads sharing a schema take turns, keypads
	// (or tests) in different schemas do not wait for each other. The
	// first key is "keyp" in ASCII.
	lockMigrations: `SELECT pg_advisory_xact_lock(1801812336, hashtext(current_schema()))`,
	lockKeys:       `SELECT pg_advisory_xact_lock(1801812337, hashtext(current_schema()))`,
	importTurn: [2]string{`SELECT pg_advisory_lock(1801812338, hashtext(current_schema()))`,
		`SELECT pg_advisory_unlock(1801812338, hashtext(current_schema()))`},
	rowID:           "ctid",
	hasVersionTable: `SELECT to_regclass('schema_version') IS NOT NULL`,
	numberedParams:  true,
	notify:          `SELECT pg_notify($1, current_schema() || ':' || $2)`,
}
