package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"
)

// healthcheckCommand asks a running keypad whether it is alive, for
// container health checks: images without a shell or curl run the binary
// itself (deploy/Dockerfile's HEALTHCHECK).
func (m *Main) healthcheckCommand() *cobra.Command {
	var target string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "healthcheck",
		Short: "Exit 0 when the keypad at --url (default: this config's addr, /healthz) answers 200",
		Long: `Exit 0 when a running keypad answers GET --url with 200, and 1 otherwise.
Without --url it asks /healthz at the configured addr (an unspecified host
such as 0.0.0.0 means 127.0.0.1). Ask /readyz instead to include the
database.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if target == "" {
				cfg, err := m.config(cmd)
				if err != nil {
					return err
				}
				host, port, err := net.SplitHostPort(cfg.Addr)
				if err != nil {
					return fmt.Errorf("addr %q: %w", cfg.Addr, err)
				}
				if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
					host = "127.0.0.1"
				}
				target = "http://" + net.JoinHostPort(host, port) + "/healthz"
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
			if err != nil {
				return usageError(cmd, "--url %q: %v", target, err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return fmt.Errorf("unhealthy: %w", err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("unhealthy: GET %s answered %s: %s", target, resp.Status, body)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "healthy: GET %s answered %s\n", target, resp.Status)
			return nil
		},
	}
	cmd.Flags().StringVar(&target, "url", "", "URL to GET (default http://<addr>/healthz)")
	cmd.Flags().DurationVar(&timeout, "timeout", 3*time.Second, "give up after this long")
	return cmd
}
