// Package demo runs keypad's whole story in one process: the
// authorization server (SQLite, dev mode, the outbox as its SMS and email
// channels), a utility's energy-usage API (examples/energy) and a
// hardware store's audit kiosk (examples/kiosk), with a seeded utility of
// about a thousand customers, so that `keypad demo` shows what keypad is
// for within a minute of cloning it, with nothing else installed.
//
// The three programs talk to each other over HTTP on 127.0.0.1 exactly as
// they would on separate machines: the kiosk is a confidential OTP client,
// the energy API a resource server that verifies JWTs against keypad's
// JWKS and introspects opaque tokens. Only the seed reaches into keypad's
// store directly, as an administrator's import would.
//
// Everything is deterministic from a seed (DefaultSeed): the same people,
// addresses and usage every run, so the walk-through in docs/demo.md and
// the end-to-end test in cmd/keypad agree on every number.
package demo

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/keypadauth/keypad/config"
	"github.com/keypadauth/keypad/examples/energy"
	"github.com/keypadauth/keypad/examples/kiosk"
	"github.com/keypadauth/keypad/server"
)

// Where the three programs listen unless told otherwise.
const (
	DefaultAddr       = "127.0.0.1:8080"
	DefaultKioskAddr  = "127.0.0.1:8081"
	DefaultEnergyAddr = "127.0.0.1:8082"
)

// UsageMonths is how many whole months of hourly usage the energy API
// serves; the kiosk's audit shows the last 12.
const UsageMonths = 13

// SiteName is the name keypad's hosted pages and sign-in messages show:
// in the demo keypad is the utility's own sign-in service.
const SiteName = "Green Valley Power"

// Config is what a demo runs with. Dir is required; the rest has
// defaults.
type Config struct {
	// Dir holds keypad's database and server secret. It must exist.
	Dir string
	// Addr, KioskAddr and EnergyAddr are where keypad, the kiosk and the
	// energy API listen (host:port on loopback; port 0 picks one).
	Addr, KioskAddr, EnergyAddr string
	// Seed and Customers shape the seeded utility (see Options).
	Seed      int64
	Customers int
	// Logger receives the three programs' logs (discarded when nil).
	Logger *slog.Logger
	// Now is everyone's clock (time.Now when nil). The energy API's data
	// ends at the start of the month Now is in when the demo starts.
	Now func() time.Time
	// Rand makes secrets and keys (crypto/rand when nil); it must be safe
	// for concurrent use.
	Rand io.Reader
}

// ListenError is a demo program that could not listen, so the command can
// say which flag moves it.
type ListenError struct {
	// Program is "keypad", "kiosk" or "energy".
	Program string
	Addr    string
	Err     error
}

func (e *ListenError) Error() string {
	name := map[string]string{"keypad": "the keypad server", "kiosk": "the kiosk", "energy": "the energy API"}[e.Program]
	cause := e.Err
	var op *net.OpError
	if errors.As(cause, &op) && op.Err != nil {
		cause = op.Err // "bind: address already in use", without the address again
	}
	return fmt.Sprintf("%s cannot listen on %s (%v)", name, e.Addr, cause)
}

func (e *ListenError) Unwrap() error { return e.Err }

// Demo is the three programs, seeded and listening.
type Demo struct {
	// Keypad is the authorization server.
	Keypad *server.Server
	// Seeded holds the clients' secrets and the customers.
	Seeded *Seeded
	// KeypadURL, KioskURL and EnergyURL are the programs' base URLs.
	KeypadURL, KioskURL, EnergyURL string
	// UsageEnd is the energy API's end of data: its last month is the
	// whole month before the one UsageEnd is in (see
	// energy.GenerateUsage).
	UsageEnd time.Time

	log   *slog.Logger
	kiosk *http.Server
	api   *http.Server
	lns   map[*http.Server]net.Listener

	shutdownOnce sync.Once
	shutdownErr  error
}

// Start listens, starts keypad on a fresh or earlier database in
// cfg.Dir, seeds it, and builds the energy API and the kiosk. Nothing is
// served until Serve. On error nothing is left open.
func Start(ctx context.Context, cfg Config) (_ *Demo, err error) {
	if cfg.Dir == "" {
		return nil, errors.New("demo: Dir is required")
	}
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	if cfg.KioskAddr == "" {
		cfg.KioskAddr = DefaultKioskAddr
	}
	if cfg.EnergyAddr == "" {
		cfg.EnergyAddr = DefaultEnergyAddr
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}

	var lns []net.Listener
	defer func() {
		if err != nil {
			for _, ln := range lns {
				ln.Close()
			}
		}
	}()
	listen := func(program, addr string) (net.Listener, error) {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, &ListenError{Program: program, Addr: addr, Err: err}
		}
		lns = append(lns, ln)
		return ln, nil
	}
	kln, err := listen("keypad", cfg.Addr)
	if err != nil {
		return nil, err
	}
	kioskLn, err := listen("kiosk", cfg.KioskAddr)
	if err != nil {
		return nil, err
	}
	apiLn, err := listen("energy", cfg.EnergyAddr)
	if err != nil {
		return nil, err
	}

	kc := keypadConfig(cfg)
	srv, err := server.New(ctx, kc, server.Options{
		Logger: log.With("program", "keypad"), Now: cfg.Now, Rand: cfg.Rand, Listener: kln,
	})
	if err != nil {
		return nil, fmt.Errorf("start keypad: %w", err)
	}
	lns = lns[1:] // keypad owns its listener now
	defer func() {
		if err != nil {
			srv.Close()
		}
	}()

	now := cfg.Now()
	seeded, err := Seed(ctx, srv.Store(), Options{Seed: cfg.Seed, Customers: cfg.Customers, Now: now, Rand: cfg.Rand})
	if err != nil {
		return nil, err
	}
	d := &Demo{
		Keypad: srv, Seeded: seeded, log: log,
		KeypadURL: srv.URL(),
		KioskURL:  "http://" + kioskLn.Addr().String(),
		EnergyURL: "http://" + apiLn.Addr().String(),
		UsageEnd:  now.UTC(),
	}
	apiHandler, err := energy.New(energy.Config{
		Issuer: d.KeypadURL, ClientID: EnergyClientID, ClientSecret: seeded.EnergySecret,
		RequiredScope: ScopeUsage, Customers: seeded.EnergyCustomers(),
		// The TV app is registered --dpop required: a copied token of it
		// is no use without the TV's key.
		DPoPClients: []string{TVClientID},
		Seed:        seeded.Seed, Months: UsageMonths, End: d.UsageEnd,
		Now: cfg.Now, Logger: log.With("program", "energy"),
	})
	if err != nil {
		return nil, fmt.Errorf("start the energy API: %w", err)
	}
	kioskHandler, err := kiosk.New(kiosk.Config{
		Issuer: d.KeypadURL, ClientID: KioskClientID, ClientSecret: seeded.KioskSecret,
		EnergyAPI: d.EnergyURL, Scope: ScopeUsage, Name: "Bright Audits",
		Now: cfg.Now, Rand: cfg.Rand, Logger: log.With("program", "kiosk"),
	})
	if err != nil {
		return nil, fmt.Errorf("start the kiosk: %w", err)
	}
	d.api, d.kiosk = newHTTPServer(apiHandler, log), newHTTPServer(kioskHandler, log)
	d.lns = map[*http.Server]net.Listener{d.api: apiLn, d.kiosk: kioskLn}
	return d, nil
}

// keypadConfig is keypad's configuration in the demo: SQLite in the
// directory, the schema migrated at start, dev mode (which sends texts
// and email to the outbox), everything else at its default.
func keypadConfig(cfg Config) config.Config {
	kc := config.Default()
	kc.Addr = cfg.Addr
	kc.DB = "sqlite:" + filepath.Join(cfg.Dir, "keypad.db")
	kc.AutoMigrate = true
	kc.Dev = true
	kc.Web.SiteName = SiteName
	kc.ShutdownTimeout = 5 * time.Second
	// Any free port: a Prometheus already on 9090 must not stop the demo.
	kc.MetricsAddr = "127.0.0.1:0"
	return kc
}

func newHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	// The browser's preconnected sockets must not hold the 5 s shutdown.
	server.DropUnusedConnsOnShutdown(srv)
	return srv
}

// PhoneURL is the page that plays the person's phone: keypad's dev
// outbox, where the texts and emails it "sent" arrive.
func (d *Demo) PhoneURL() string { return d.KeypadURL + "/dev/outbox" }

// Serve serves the three programs until Shutdown, and returns the first
// error any of them stopped with (nil after a Shutdown).
func (d *Demo) Serve() error {
	errs := make(chan error, 3)
	go func() { errs <- d.Keypad.Serve() }()
	for srv, ln := range d.lns {
		go func() {
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				errs <- fmt.Errorf("serve: %w", err)
				return
			}
			errs <- nil
		}()
	}
	var first error
	for range 3 {
		if err := <-errs; err != nil && first == nil {
			first = err
			// One program down is the demo down.
			go d.Shutdown(context.Background())
		}
	}
	return first
}

// Shutdown stops the kiosk and the energy API, then keypad, letting
// requests in flight finish until ctx ends. It is safe to call more than
// once.
func (d *Demo) Shutdown(ctx context.Context) error {
	d.shutdownOnce.Do(func() {
		var errs []error
		for _, srv := range []*http.Server{d.kiosk, d.api} {
			if err := srv.Shutdown(ctx); err != nil {
				srv.Close()
				errs = append(errs, err)
			}
		}
		errs = append(errs, d.Keypad.Shutdown(ctx))
		d.shutdownErr = errors.Join(errs...)
	})
	return d.shutdownErr
}

// Close stops everything at once, for a Start whose Serve never ran.
func (d *Demo) Close() error {
	var errs []error
	for srv, ln := range d.lns {
		errs = append(errs, srv.Close(), ln.Close())
	}
	errs = append(errs, d.Keypad.Close())
	return errors.Join(errs...)
}
