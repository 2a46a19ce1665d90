package oauth

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/internal/testclock"
	"github.com/keypadauth/keypad/metrics"
	"github.com/keypadauth/keypad/store/postgres"
	"github.com/keypadauth/keypad/store/sqlstore"
	"github.com/keypadauth/keypad/token"
)

// TestSAML2BearerReplayRacePostgres: two keypad instances on one
// PostgreSQL database, racing with one assertion, issue exactly one
// token between them.
func TestSAML2BearerReplayRacePostgres(t *testing.T) {
	dsn := freshPostgresSchema(t)
	ctx := context.Background()
	var envs []*samlEnv
	for i := range 2 {
		st, err := postgres.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		e := samlEnvOn(t, st, byte(20+i))
		if i == 0 {
			envs = append(envs, setupSAML(t, e, keypad.NameIDMapUsername))
			continue
		}
		e.start()
		envs = append(envs, &samlEnv{env: e, secret: envs[0].secret, idp: envs[0].idp})
	}
	raceSAML(t, envs)
}

// samlEnvOn is an env like newEnv's, with the SAML grant on, over st:
// one keypad instance of several sharing a database.
func samlEnvOn(t *testing.T, st *sqlstore.Store, seed byte) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{t: t, st: st, clk: testclock.New(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)), metrics: metrics.New(), logs: &syncBuffer{}}
	rnd := testclock.NewRand(seed)
	sealer, err := token.NewSealer([]byte(strings.Repeat("s", 32)), rnd)
	if err != nil {
		t.Fatal(err)
	}
	e.keys = token.NewKeyring(st, sealer, token.KeyringOptions{Now: e.clk.Now, Overlap: overlap})
	if err := e.keys.Load(ctx); err != nil {
		t.Fatalf("load keys: %v", err)
	}
	e.issuer = &token.Issuer{Keys: e.keys, Store: st, Now: e.clk.Now, Rand: rnd}
	e.cfg = Config{Issuer: testIssuer, AccessTTL: accessTTL, RefreshTTL: 24 * time.Hour, SAML2Bearer: &SAML2BearerConfig{}, Refresh: true}
	e.deps = Deps{
		Store: st, Issuer: e.issuer, Metrics: e.metrics, Now: e.clk.Now, Rand: rnd,
		Logger: slog.New(slog.NewTextHandler(e.logs, nil)),
	}
	e.srv, err = New(e.cfg, e.deps)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return e
}
