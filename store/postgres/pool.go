package postgres

import (
	"database/sql"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// poolParams size an instance's connection pool. Idle connections are
// kept up to the pool's size: with fewer idle than open, every burst
// above the idle count opens connections and closes them again after it
// (a PostgreSQL backend costs a fork and an authentication each time),
// so a pool under steady load churned dozens of sessions a second.
// Connections are renewed after maxLifetime, so a fail-over or a
// pgbouncer restart is picked up, and closed after maxIdleTime unused.
type poolParams struct {
	maxConns                 int
	maxLifetime, maxIdleTime time.Duration
}

// The DSN parameters that size the pool, with pgxpool's names; keypad
// takes them out of the DSN before pgx sees it (pgx would send them to
// the server as run-time parameters).
const (
	paramMaxConns    = "pool_max_conns"
	paramMaxLifetime = "pool_max_conn_lifetime"
	paramMaxIdleTime = "pool_max_conn_idle_time"
)

func (p poolParams) apply(db *sql.DB) {
	db.SetMaxOpenConns(p.maxConns)
	db.SetMaxIdleConns(p.maxConns)
	db.SetConnMaxLifetime(p.maxLifetime)
	db.SetConnMaxIdleTime(p.maxIdleTime)
}

// splitPoolParams takes the pool parameters out of dsn (a postgres:// URL
// or a key=value string) and returns the rest and the pool's sizes,
// defaults filled in.
func splitPoolParams(dsn string) (string, poolParams, error) {
	p := poolParams{defaultMaxConns, defaultConnMaxLifetime, defaultConnMaxIdleTime}
	set := func(k, v string) (bool, error) {
		var err error
		switch k {
		case paramMaxConns:
			p.maxConns, err = strconv.Atoi(v)
			if err == nil && p.maxConns < 1 {
				err = fmt.Errorf("want at least 1")
			}
		case paramMaxLifetime:
			p.maxLifetime, err = time.ParseDuration(v)
		case paramMaxIdleTime:
			p.maxIdleTime, err = time.ParseDuration(v)
		default:
			return false, nil
		}
		if err != nil {
			return true, fmt.Errorf("DSN parameter %s=%q: %v (e.g. %s=20, %s=30m, %s=5m)",
				k, v, err, paramMaxConns, paramMaxLifetime, paramMaxIdleTime)
		}
		return true, nil
	}
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			// url's errors may quote the DSN, password included.
			return "", p, fmt.Errorf("the DSN is not a valid URL")
		}
		q := u.Query()
		for k := range q {
			ok, err := set(k, q.Get(k))
			if err != nil {
				return "", p, err
			}
			if ok {
				q.Del(k)
			}
		}
		u.RawQuery = q.Encode()
		return u.String(), p, nil
	}
	var rest []string
	for _, f := range strings.Fields(dsn) {
		k, v, _ := strings.Cut(f, "=")
		ok, err := set(k, v)
		if err != nil {
			return "", p, err
		}
		if !ok {
			rest = append(rest, f)
		}
	}
	return strings.Join(rest, " "), p, nil
}
