// Package server wires keypad together: it opens the store, checks its
// schema, loads the server secret and the signing keys, turns on the flows
// the configuration allows (device, authorization code, refresh, password,
// OTP when a channel can deliver codes) with the hosted pages, and serves
// them behind one middleware (request IDs, access logs, metrics, panic
// recovery, security headers) with the operational endpoints /healthz,
// /readyz beside them, and the dev outbox in dev mode. /metrics has its own
// admin listener (metrics_addr), apart from the public one.
//
// New does all the work that can fail before a single request is served,
// including binding the listener, so a bad port, an unmigrated database or
// an unreadable secret stops start-up with one clear error instead of a
// server that answers 500s.
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keypadauth/keypad/admin"
	"github.com/keypadauth/keypad/config"
	"github.com/keypadauth/keypad/metrics"
	"github.com/keypadauth/keypad/oauth"
	"github.com/keypadauth/keypad/token"
	"github.com/keypadauth/keypad/web"
)

// HTTP server limits. Slow-loris clients are cut off by the header
// timeout; OAuth requests are small, so the whole-request timeouts are
// short too.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 64 << 10
	// readyTimeout bounds the store ping of /readyz.
	readyTimeout = 2 * time.Second
)

// Options are the parts of the environment a Server takes from its
// caller rather than from the configuration: tests inject clocks,
// randomness and listeners here.
type Options struct {
	// Logger receives every log line. Nil means a logger built from the
	// configuration's log_level and log_format, writing to Stderr.
	Logger *slog.Logger
	// Stderr is where the default logger writes (os.Stderr when nil).
	Stderr io.Writer
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Rand is the randomness for tokens and keys; it must be safe for
	// concurrent use (crypto/rand.Reader when nil).
	Rand io.Reader
	// Listener, when set, is served instead of listening on cfg.Addr.
	Listener net.Listener
	// MetricsListener, when set, serves /metrics instead of listening on
	// cfg.MetricsListenAddr() (even when metrics are off).
	MetricsListener net.Listener
	// Metrics collects this server's metrics (a fresh set when nil).
	Metrics *metrics.Metrics
	// PurgeInterval and KeyRefreshInterval pace the janitor (10m and 1m
	// when zero).
	PurgeInterval      time.Duration
	KeyRefreshInterval time.Duration
}

// Server is a running keypad: listener, store, keys and HTTP server.
type Server struct {
	cfg config.Config
	log *slog.Logger
	// logBuf buffers the log when the server built its own logger
	// (logbuffer.go); nil otherwise.
	logBuf *logBuffer
	// access formats the access log into logBuf (accesslog.go); nil when
	// the logger came from Options.
	access *accessLog
	now    func() time.Time
	ln     net.Listener
	issuer string
	store  Store
	keys   *token.Keyring
	oauth  *oauth.Server
	// adminAPI serves /admin/v1/ (adminapi.go).
	adminAPI *admin.API
	metrics  *metrics.Metrics
	handler  http.Handler
	http     *http.Server
	// adminLn and admin serve /metrics apart from the public listener;
	// both are nil when metrics are off.
	adminLn net.Listener
	admin   *http.Server
	// scim serves SCIM on the listeners it is on (scim.go).
	scim scimHandlers

	purgeEvery, refreshEvery time.Duration
	draining                 atomic.Bool
	stopJanitor              context.CancelFunc
	janitorDone              sync.WaitGroup
	closeOnce                sync.Once
	closeErr                 error
}

// New prepares a server from a validated configuration: it listens, opens
// the store, checks (or, with auto_migrate, migrates) the schema, loads
// the secret and the signing keys (creating both on first start) and
// builds the routes. Serve then serves. On error nothing is left open.
func New(ctx context.Context, cfg config.Config, opts Options) (_ *Server, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid configuration: %w", err)
	}
	s := &Server{
		cfg:          cfg,
		log:          opts.Logger,
		now:          opts.Now,
		metrics:      opts.Metrics,
		purgeEvery:   opts.PurgeInterval,
		refreshEvery: opts.KeyRefreshInterval,
	}
	if s.log == nil {
		w := opts.Stderr
		if w == nil {
			w = os.Stderr
		}
		s.logBuf = newLogBuffer(w)
		s.log = slog.New(flushingHandler{NewLogger(cfg, s.logBuf).Handler(), s.logBuf})
		s.access = &accessLog{json: cfg.LogFormat == "json", w: s.logBuf}
	} else if _, ok := s.log.Handler().(contextHandler); !ok {
		s.log = slog.New(contextHandler{s.log.Handler()})
	}
	if s.now == nil {
		s.now = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	if s.metrics == nil {
		s.metrics = metrics.New()
	}
	if s.purgeEvery <= 0 {
		s.purgeEvery = 10 * time.Minute
	}
	if s.refreshEvery <= 0 {
		s.refreshEvery = time.Minute
	}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()

	s.ln = opts.Listener
	if s.ln == nil {
		if s.ln, err = net.Listen("tcp", cfg.Addr); err != nil {
			return nil, fmt.Errorf("listen on %s (addr): %w", cfg.Addr, err)
		}
	}
	s.issuer = cfg.IssuerURL(s.ln.Addr().String())
	if s.adminLn, err = listenAdmin(cfg, opts.MetricsListener); err != nil {
		return nil, err
	}

	if s.store, err = OpenStore(ctx, cfg); err != nil {
		return nil, err
	}
	if err := s.checkSchema(ctx); err != nil {
		return nil, err
	}
	if err := s.store.CheckWritable(ctx); err != nil {
		return nil, fmt.Errorf("database %s cannot be written: %w (keypad writes on every token request: check the disk space and the file's permissions, or that PostgreSQL is not a read-only replica)", config.RedactDB(cfg.DB), err)
	}
	var sealer *token.Sealer
	if s.keys, sealer, err = OpenKeyring(ctx, cfg, s.store, s.now, opts.Rand); err != nil {
		return nil, err
	}
	tokens := &token.Issuer{
		Issuer: s.issuer, Keys: s.keys, Store: s.store, Grants: s.store,
		Now: s.now, Rand: opts.Rand,
		DefaultAccessTTL: cfg.AccessTTL, DefaultRefreshTTL: cfg.RefreshTTL,
	}
	var pages *web.Handler
	if s.oauth, pages, err = s.buildOAuth(tokens, sealer, opts.Rand); err != nil {
		return nil, err
	}
	if s.adminAPI, err = s.buildAdminAPI(opts.Rand, sealer); err != nil {
		return nil, err
	}
	if s.scim, err = s.buildSCIM(opts.Rand); err != nil {
		return nil, err
	}
	mux := s.routes(pages)

	prefix := make([]byte, 4)
	if _, err := io.ReadFull(opts.Rand, prefix); err != nil {
		return nil, fmt.Errorf("read randomness: %w", err)
	}
	ids := &requestIDs{prefix: hex.EncodeToString(prefix)}
	s.handler = &instrument{
		next: mux, log: s.log, access: s.access, metrics: s.metrics,
		ids:  ids,
		hsts: strings.HasPrefix(s.issuer, "https://"),
	}
	s.http = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	DropUnusedConnsOnShutdown(s.http)
	if s.adminLn != nil {
		s.admin = s.adminServer(ids)
	}

	jctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.stopJanitor = cancel
	s.janitorDone.Add(4)
	go s.janitor(jctx)
	watching := make(chan struct{})
	go s.watchChanges(jctx, watching)
	// The OTP send queue's worker (one per instance) stops with the
	// janitor, after finishing the message in hand.
	go func() {
		defer s.janitorDone.Done()
		s.oauth.RunOTPQueue(jctx)
	}()
	// So does the CIBA ping worker.
	go func() {
		defer s.janitorDone.Done()
		s.oauth.RunCIBAPings(jctx)
	}()
	s.awaitWatch(watching)
	return s, nil
}

// checkSchema refuses a database whose schema is not the one this binary
// needs, or migrates it when the configuration says so.
func (s *Server) checkSchema(ctx context.Context) error {
	if s.cfg.AutoMigrate {
		from, to, err := Migrate(ctx, s.store)
		if err != nil {
			return err
		}
		if from != to {
			s.log.Info("migrated database schema", "from", from, "to", to)
		}
		return nil
	}
	if err := s.store.CheckSchema(ctx); err != nil {
		return fmt.Errorf("database %s: %w (or start with --auto-migrate)", config.RedactDB(s.cfg.DB), err)
	}
	return nil
}

// Serve answers requests until Shutdown or Close. It returns nil after a
// graceful shutdown.
func (s *Server) Serve() error {
	s.log.Info("keypad listening", "url", s.issuer, "addr", s.ln.Addr().String(),
		"db", config.RedactDB(s.cfg.DB), "pid", os.Getpid())
	if s.admin != nil {
		s.log.Info("keypad metrics listening", "url", s.MetricsURL())
		go func() {
			if err := s.admin.Serve(s.adminLn); !errors.Is(err, http.ErrServerClosed) {
				s.log.Error("metrics listener stopped", "err", err)
			}
		}()
	}
	if err := s.http.Serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// Addr is the address the server listens on (the real port when the
// configuration asked for port 0).
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// MetricsAddr is the address of the admin listener serving /metrics, or
// nil when metrics are off.
func (s *Server) MetricsAddr() net.Addr {
	if s.adminLn == nil {
		return nil
	}
	return s.adminLn.Addr()
}

// MetricsURL is the URL of /metrics on the admin listener, or "" when
// metrics are off.
func (s *Server) MetricsURL() string {
	if s.adminLn == nil {
		return ""
	}
	return "http://" + s.adminLn.Addr().String() + "/metrics"
}

// URL is the issuer URL, the base of every endpoint.
func (s *Server) URL() string { return s.issuer }

// Handler is the full HTTP handler, middleware included, for in-process
// use.
func (s *Server) Handler() http.Handler { return s.handler }

// Store is the store the server runs on, for tools and tests that set up
// data next to a running server.
func (s *Server) Store() Store { return s.store }

// Metrics is the server's set of collectors.
func (s *Server) Metrics() *metrics.Metrics { return s.metrics }

// OAuth is the protocol server, so later flows can add their grants and
// endpoints before Serve.
func (s *Server) OAuth() *oauth.Server { return s.oauth }

// Shutdown stops the server gracefully: /readyz turns 503 so load
// balancers stop sending, the listener closes, in-flight requests finish
// (until ctx ends), then the janitor and the OTP send queue's worker stop
// and the store closes. Queued messages wait in the store for the next
// start, or for another instance.
func (s *Server) Shutdown(ctx context.Context) error {
	s.draining.Store(true)
	if s.admin != nil {
		// A scrape is quick and carries no state: it need not finish.
		s.admin.Close()
	}
	err := s.http.Shutdown(ctx)
	if err != nil {
		s.log.Warn("graceful shutdown cut short; closing the remaining connections", "err", err)
		s.http.Close()
	}
	err = errors.Join(err, s.Close())
	s.log.Info("keypad stopped", "graceful", err == nil)
	s.flushLog()
	return err
}

// Close stops the server at once: open connections are dropped. It is
// safe to call more than once, and after Shutdown.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.draining.Store(true)
		if s.http != nil {
			s.http.Close()
		} else if s.ln != nil {
			s.ln.Close()
		}
		if s.admin != nil {
			s.admin.Close()
		} else if s.adminLn != nil {
			s.adminLn.Close()
		}
		if s.stopJanitor != nil {
			s.stopJanitor()
		}
		s.janitorDone.Wait()
		if s.adminAPI != nil {
			s.adminAPI.Close() // its imports record that they stopped
		}
		if s.store != nil {
			s.closeErr = s.store.Close()
		}
		s.flushLog()
	})
	return s.closeErr
}

// flushLog writes out the buffered log, if the server buffers it; later
// lines are written by the next flushLog.
func (s *Server) flushLog() {
	if s.logBuf != nil {
		s.logBuf.Close()
	}
}
