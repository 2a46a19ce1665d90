package main

import (
	"fmt"
	"strings"

	"github.com/keypadauth/keypad/server"
	"github.com/spf13/cobra"
)

// outboxCommand is `keypad outbox`: the dev outbox from the terminal, for
// trying the OTP flow with `serve --dev` without a browser.
func (m *Main) outboxCommand() *cobra.Command {
	var asJSON bool
	var limit int
	cmd := &cobra.Command{
		Use:   "outbox [--json] [--limit N]",
		Short: "Show the one-time codes `serve --dev` kept instead of sending",
		Long: `Show the messages of the dev outbox, newest first: with --dev (and no real
channel configured) keypad keeps the texts and emails of the OTP flow and of
CIBA in its database instead of sending them. A CIBA approval link is shown
on its own line (Link:, and "link" in the JSON). The same list is at
/dev/outbox on the running server.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if limit < 1 || limit > server.MaxOutboxLimit {
				return usageError(cmd, "--limit %d is out of range: use 1 to %d", limit, server.MaxOutboxLimit)
			}
			st, cfg, err := m.openStore(cmd)
			if err != nil {
				return err
			}
			defer closeStore(st, &err)
			stored, err := st.ListOutboxMessages(cmd.Context(), limit)
			if err != nil {
				return fmt.Errorf("list the outbox: %w", err)
			}
			code := server.OutboxCodePattern(cfg.OTP.CodeLength)
			msgs := make([]server.OutboxMessage, 0, len(stored))
			for _, s := range stored {
				msgs = append(msgs, server.NewOutboxMessage(s, code))
			}
			w := cmd.OutOrStdout()
			if asJSON {
				return printJSON(w, msgs)
			}
			if len(msgs) == 0 {
				fmt.Fprintln(w, "The outbox is empty. Run `keypad serve --dev` and send a code with the OTP flow.")
				return nil
			}
			for i, msg := range msgs {
				if i > 0 {
					fmt.Fprintln(w)
				}
				// Bodies and addresses are shown as text, never as terminal
				// control sequences.
				fmt.Fprintf(w, "%s  %s to %s", timeText(msg.Time), msg.Channel, printable(msg.To))
				if msg.Code != "" {
					fmt.Fprintf(w, "  code %s", msg.Code)
				}
				fmt.Fprintln(w)
				if msg.Subject != "" {
					fmt.Fprintf(w, "  Subject: %s\n", printable(msg.Subject))
				}
				// A CIBA approval link on a line of its own, to copy into a
				// browser as if opening it on the phone.
				if msg.Link != "" {
					fmt.Fprintf(w, "  Link: %s\n", printable(msg.Link))
				}
				for _, line := range strings.Split(strings.TrimRight(msg.Body, "\n"), "\n") {
					fmt.Fprintf(w, "  | %s\n", printable(line))
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().IntVar(&limit, "limit", 20, fmt.Sprintf("show at most this many messages (1 to %d)", server.MaxOutboxLimit))
	return cmd
}
