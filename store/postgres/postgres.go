// Package postgres opens keypad's shared store: PostgreSQL (or a
// PostgreSQL-compatible distributed database) through pgx's database/sql
// driver. Use it when several keypad instances serve behind one load
// balancer; keypad itself keeps no state.
package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/keypadauth/keypad/store/sqlstore"
)

// Pool defaults per keypad instance: enough for the token endpoint's
// bursts, few enough that a handful of instances fit PostgreSQL's default
// max_connections (100). The DSN may change them (pool.go).
const (
	defaultMaxConns        = 20
	defaultConnMaxLifetime = 30 * time.Minute
	defaultConnMaxIdleTime = 5 * time.Minute
)

// Open connects to the database named by dsn, a postgres:// URL or a
// key=value connection string as libpq takes it. It does not migrate: run
// (*sqlstore.Store).Migrate, or check with CheckSchema.
func Open(ctx context.Context, dsn string) (*sqlstore.Store, error) {
	dsn, pool, err := splitPoolParams(dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		// pgx's parse errors never include the password.
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	pool.apply(db)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to postgres: %w (is the server up and the DSN right?)", err)
	}
	return sqlstore.New(sqlstore.Postgres, db, nil).WithWatcher(listener(dsn)), nil
}
