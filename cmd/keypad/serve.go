package main

import (
	"context"
	"fmt"

	"github.com/keypadauth/keypad/config"
	"github.com/keypadauth/keypad/server"
	"github.com/spf13/cobra"
)

// serveCommand runs the server until SIGINT or SIGTERM (ctx ending), then
// shuts down gracefully: in-flight requests finish, for at most
// shutdown_timeout.
func (m *Main) serveCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the authorization server",
		Long: `Run the authorization server until SIGINT or SIGTERM, then shut down gracefully.

On first start keypad creates its server secret (beside the SQLite database)
and its signing keys. It refuses to start on a database whose schema is
older or newer than it needs: run ` + "`keypad migrate`" + ` first, or pass --auto-migrate.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := m.config(cmd)
			if err != nil {
				return err
			}
			return m.serve(cmd.Context(), cmd, cfg)
		},
	}
	var keys []string
	for _, k := range config.Keys {
		if k.Name != "db" {
			keys = append(keys, k.Name)
		}
	}
	config.AddFlags(cmd.Flags(), keys...)
	return cmd
}

func (m *Main) serve(ctx context.Context, cmd *cobra.Command, cfg config.Config) error {
	if m.TuneGC != nil {
		m.TuneGC()
	}
	srv, err := server.New(ctx, cfg, server.Options{
		Logger: m.Logger, Stderr: m.Stderr, Now: m.Now, Rand: m.Rand,
	})
	if err != nil {
		return err
	}
	if addr := srv.Addr().String(); "http://"+addr == srv.URL() {
		fmt.Fprintf(cmd.OutOrStdout(), "keypad listening on %s\n", srv.URL())
	} else {
		fmt.Fprintf(cmd.OutOrStdout(), "keypad listening on %s (issuer %s)\n", addr, srv.URL())
	}
	if u := srv.MetricsURL(); u != "" {
		fmt.Fprintf(cmd.OutOrStdout(), "keypad metrics on %s\n", u)
	}
	if m.Serving != nil {
		m.Serving(srv)
	}

	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	select {
	case err := <-served:
		srv.Close()
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(cmd.OutOrStdout(), "keypad shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	err = srv.Shutdown(sctx)
	if serr := <-served; err == nil {
		err = serr
	}
	return err
}
