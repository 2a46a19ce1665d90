package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/config"
	"github.com/keypadauth/keypad/store"
	"github.com/keypadauth/keypad/store/sqlstore"
	"github.com/keypadauth/keypad/token"
)

// Store is the store keypad runs on: everything keypad keeps, plus the
// schema management that start-up and `keypad migrate` need.
type Store interface {
	keypad.Store
	// Migrate brings the schema up to LatestVersion.
	Migrate(ctx context.Context) error
	// CheckSchema returns a *keypad.SchemaError unless the schema is the
	// one this binary needs.
	CheckSchema(ctx context.Context) error
	// SchemaVersion is the version the database is at (0: never migrated).
	SchemaVersion(ctx context.Context) (int, error)
	// LatestVersion is the version this binary needs.
	LatestVersion() (int, error)
	// PendingMigrations lists what Migrate would run, changing nothing.
	PendingMigrations(ctx context.Context) ([]sqlstore.Migration, error)
	// CheckWritable reports whether the database takes writes (start-up
	// and /readyz: a read-only or full database still answers pings).
	CheckWritable(ctx context.Context) error
}

// OpenStore opens the store cfg.DB names, without checking its schema:
// `keypad migrate` must be able to open an empty database.
func OpenStore(ctx context.Context, cfg config.Config) (Store, error) {
	st, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", config.RedactDB(cfg.DB), err)
	}
	return st, nil
}

// OpenCheckedStore opens the store and refuses a schema other than the one
// this binary needs, saying what to run. The CLI's data commands use it.
func OpenCheckedStore(ctx context.Context, cfg config.Config) (Store, error) {
	st, err := OpenStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := st.CheckSchema(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("database %s: %w", config.RedactDB(cfg.DB), err)
	}
	return st, nil
}

// Migrate applies pending migrations and reports the versions before and
// after.
func Migrate(ctx context.Context, st Store) (from, to int, err error) {
	if from, err = st.SchemaVersion(ctx); err != nil {
		return 0, 0, err
	}
	if err := st.Migrate(ctx); err != nil {
		return from, from, fmt.Errorf("migrate database: %w", err)
	}
	if to, err = st.SchemaVersion(ctx); err != nil {
		return from, 0, err
	}
	return from, to, nil
}

// OpenSealer loads the server secret (KEYPAD_SECRET, or the secret file,
// created on first start) as a Sealer: it seals the signing keys and
// derives the other keys that must be the same on every instance (the OTP
// flow's, the import's).
func OpenSealer(cfg config.Config, rand io.Reader) (*token.Sealer, error) {
	secret, err := token.LoadSecret(string(cfg.Secret), cfg.SecretPath())
	if err != nil {
		return nil, fmt.Errorf("load the server secret: %w", err)
	}
	sealer, err := token.NewSealer(secret, rand)
	if err != nil {
		return nil, fmt.Errorf("load the server secret: %w", err)
	}
	return sealer, nil
}

// OpenKeyring loads the server secret and the signing keys (both created
// on first start). The sealer comes back too, for the keys derived from
// the secret.
func OpenKeyring(ctx context.Context, cfg config.Config, st keypad.KeyStore, now func() time.Time, rand io.Reader) (*token.Keyring, *token.Sealer, error) {
	sealer, err := OpenSealer(cfg, rand)
	if err != nil {
		return nil, nil, err
	}
	// Retired keys stay published for as long as the longest access token
	// lives (access_ttl is capped at MaxAccessTTL, and so are clients').
	keys := token.NewKeyring(st, sealer, token.KeyringOptions{Now: now, Rand: rand, Overlap: config.MaxAccessTTL})
	if err := keys.Load(ctx); err != nil {
		return nil, nil, fmt.Errorf("load signing keys: %w", err)
	}
	return keys, sealer, nil
}

// NewLogger returns the logger the configuration asks for, writing to w
// (os.Stderr when nil). Records logged with a request's context carry its
// request ID.
func NewLogger(cfg config.Config, w io.Writer) *slog.Logger {
	if w == nil {
		w = os.Stderr
	}
	ho := &slog.HandlerOptions{Level: cfg.SlogLevel()}
	var h slog.Handler = slog.NewTextHandler(w, ho)
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(w, ho)
	}
	return slog.New(contextHandler{h})
}
