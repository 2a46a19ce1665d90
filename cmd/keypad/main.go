// Command keypad is the keypad authorization server and its admin tool:
// `keypad serve` runs the server, the other subcommands manage the
// database it runs on (migrations, clients, users, scopes, signing keys).
//
// The program lives in the Main type so that tests start the real thing,
// flags and all, on 127.0.0.1:0 in a temporary directory.
package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/keypadauth/keypad/config"
	"github.com/keypadauth/keypad/server"
	"github.com/spf13/cobra"
)

func main() {
	// The first SIGINT or SIGTERM starts a graceful shutdown; once ctx is
	// done, stop restores the default handling, so a second one kills.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() { <-ctx.Done(); stop() }()
	m := NewMain()
	m.TuneGC = tuneGCFromEnv
	if err := m.Run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(m.Stderr, "keypad:", err)
		os.Exit(1)
	}
}

// Main is the keypad program with its surroundings made explicit: the
// standard streams, the environment, the clock and the randomness.
type Main struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// LookupEnv reads KEYPAD_* variables (os.LookupEnv in the binary).
	LookupEnv func(string) (string, bool)
	// Environ lists the environment (os.Environ in the binary), to warn
	// about KEYPAD_* variables that are not settings; nil warns of none.
	Environ func() []string
	Now     func() time.Time
	// Rand must be safe for concurrent use.
	Rand io.Reader
	// Logger, when set, replaces the logger the configuration describes.
	Logger *slog.Logger
	// Serving, when set, is called once `serve` listens, with the server;
	// tests learn its address here.
	Serving func(*server.Server)
	// TuneGC, when set, is called by serve and demo before they start,
	// to give the collector a server's settings (tuneGC); the binary sets
	// it, tests do not, so they keep Go's defaults.
	TuneGC func()
	// Transport, when set, carries the remote mode's HTTP requests
	// (http.DefaultTransport otherwise); tests step in between here.
	Transport http.RoundTripper
}

// NewMain returns a Main wired to the process's streams and environment.
func NewMain() *Main {
	return &Main{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		LookupEnv: os.LookupEnv, Environ: os.Environ, Now: time.Now, Rand: rand.Reader,
	}
}

// Run runs the command line args (without the program name) until it is
// done or ctx ends; for `serve`, ctx ending means a graceful shutdown.
func (m *Main) Run(ctx context.Context, args []string) error {
	root := m.command()
	root.SetArgs(args)
	return root.ExecuteContext(ctx)
}

// command builds a fresh command tree, so that every Run parses its flags
// from scratch.
func (m *Main) command() *cobra.Command {
	root := &cobra.Command{
		Use:   "keypad",
		Short: "keypad is an OAuth 2.0 authorization server for devices, CLIs and people without accounts",
		Long: `keypad is an OAuth 2.0 authorization server in one binary.

Settings come from defaults, then a YAML file (--config or KEYPAD_CONFIG),
then KEYPAD_* environment variables, then flags. See docs/configuration.md.

The management commands (client, user, scope, grant, token, keys) work on
the database of the configuration, or with --server URL on a running keypad
through its admin API, authenticated by --token or by the --client-id and
--client-secret of a client with an admin scope (keypad:admin, or
keypad:clients, keypad:users, keypad:grants, keypad:keys). Bootstrap the
first such client locally; see docs/admin-api.md.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(m.Stdin)
	root.SetOut(m.Stdout)
	root.SetErr(m.Stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return fmt.Errorf("%w (see `%s --help`)", err, c.CommandPath())
	})
	root.PersistentFlags().String("config", "", "YAML file of settings (KEYPAD_CONFIG)")
	config.AddFlags(root.PersistentFlags(), "db")
	remoteFlags(root.PersistentFlags())
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error { return m.refuseRemote(cmd) }

	root.AddCommand(m.serveCommand(), m.migrateCommand(), m.clientCommand(), m.userCommand(),
		m.scopeCommand(), m.keysCommand(), m.versionCommand())
	root.AddCommand(m.tokenCommand(), m.grantCommand())
	root.AddCommand(m.outboxCommand())
	root.AddCommand(m.idpCommand())
	root.AddCommand(newDeviceLoginCmd(), newCallCmd())
	root.AddCommand(m.demoCommand())
	root.AddCommand(m.backupCommand(), m.restoreCommand(), m.healthcheckCommand())
	root.AddCommand(m.templatesCommand())
	return root
}

// config loads the configuration for cmd: defaults, the file, KEYPAD_*
// variables and the flags cmd was given.
func (m *Main) config(cmd *cobra.Command) (config.Config, error) {
	file, _ := cmd.Flags().GetString("config")
	if file == "" {
		file, _ = m.LookupEnv("KEYPAD_CONFIG")
	}
	if m.Environ != nil {
		for _, w := range config.UnknownEnv(m.Environ()) {
			fmt.Fprintln(m.Stderr, "keypad: warning:", w)
		}
	}
	return config.Load(config.Sources{File: file, LookupEnv: m.LookupEnv, Flags: cmd.Flags()})
}

// openStore loads the configuration and opens its store, refusing a
// database whose schema does not match.
func (m *Main) openStore(cmd *cobra.Command) (server.Store, config.Config, error) {
	cfg, err := m.config(cmd)
	if err != nil {
		return nil, cfg, err
	}
	st, err := server.OpenCheckedStore(cmd.Context(), cfg)
	return st, cfg, err
}

// usageError is a mistake on the command line; it says what to do.
func usageError(cmd *cobra.Command, format string, args ...any) error {
	return fmt.Errorf("%s (see `%s --help`)", fmt.Sprintf(format, args...), cmd.CommandPath())
}

// closeStore closes st, keeping the first error.
func closeStore(st io.Closer, err *error) {
	if cerr := st.Close(); cerr != nil && *err == nil {
		*err = cerr
	}
}
