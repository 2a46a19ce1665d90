package postgres

import (
	"strings"
	"testing"
	"time"
)

func TestSplitPoolParams(t *testing.T) {
	def := poolParams{defaultMaxConns, defaultConnMaxLifetime, defaultConnMaxIdleTime}
	tests := []struct {
		name, dsn, rest string
		want            poolParams
		err             string
	}{
		{"OKDefaults", "postgres://u@h/db?sslmode=disable", "postgres://u@h/db?sslmode=disable", def, ""},
		{"OKURL", "postgres://u@h/db?sslmode=disable&pool_max_conns=50&pool_max_conn_lifetime=1h&pool_max_conn_idle_time=1m",
			"postgres://u@h/db?sslmode=disable", poolParams{50, time.Hour, time.Minute}, ""},
		{"OKKeyValue", "host=h pool_max_conns=8 dbname=db", "host=h dbname=db", poolParams{8, defaultConnMaxLifetime, defaultConnMaxIdleTime}, ""},
		{"ErrZero", "postgres://h/db?pool_max_conns=0", "", def, "pool_max_conns"},
		{"ErrDuration", "host=h pool_max_conn_lifetime=soon", "", def, "pool_max_conn_lifetime"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rest, got, err := splitPoolParams(tt.dsn)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want one naming %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rest != tt.rest || got != tt.want {
				t.Errorf("got %q %+v, want %q %+v", rest, got, tt.rest, tt.want)
			}
		})
	}
}
