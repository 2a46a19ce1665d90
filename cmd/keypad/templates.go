package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/keypadauth/keypad/notify"
)

// templatesCommand is `keypad templates`: the message templates.
func (m *Main) templatesCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "templates",
		Short: "Check the text and email templates",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(m.templatesCheckCommand())
	return cmd
}

// templatesCheckCommand is `keypad templates check [--dir DIR]`.
func (m *Main) templatesCheckCommand() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "check [--dir DIR]",
		Short: "Show what each SMS template costs in each language; fail if one can exceed one segment",
		Long: `Render every SMS template (the OTP code for a client and for sign-in, and
CIBA's approval link) in every language, with the story's values (Bright
Audits reading 12 months of energy usage) and with the longest values keypad
accepts, and print for each: the encoding its own words need, then the
encoding, length and segments of the text sent (GSM-7 holds 160 characters
in a segment, UCS-2 only 70: one letter such as ó makes a text UCS-2).

The templates are the built-in ones, under those of --dir (default:
otp.templates_dir), in default_language. The exit status is non-zero when a
text can exceed one segment.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := m.config(cmd)
			if err != nil {
				return err
			}
			if dir == "" {
				dir = cfg.OTP.TemplatesDir
			}
			checks, err := notify.CheckSMS(notify.TemplateConfig{Dir: dir, DefaultLanguage: cfg.DefaultLanguage, Location: cfg.TimeLocation})
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "TEMPLATE\tPURPOSE\tLANG\tWORDS\tSENT AS\tCHARS\tSEGMENTS\tWORST CASE")
			bad := 0
			for _, c := range checks {
				if !c.OK() {
					bad++
				}
				if c.Err != nil {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t-\t-\t-\tFAILS: %v\n", c.Template, c.Purpose, c.Language, c.Words, c.Err)
					continue
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d/%d\t%d\t%s %d/%d, %d segment(s)\n", c.Template, c.Purpose, c.Language, c.Words,
					c.Sample.Encoding, c.Sample.Chars, c.Sample.PerSegment, c.Sample.Segments,
					c.Worst.Encoding, c.Worst.Chars, c.Worst.PerSegment, c.Worst.Segments)
			}
			if err := w.Flush(); err != nil {
				return err
			}
			if bad > 0 {
				return fmt.Errorf("%d of %d texts can exceed one SMS segment: shorten the fixed words of those templates", bad, len(checks))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "All %d texts fit one segment.\n", len(checks))
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "operator template directory (files at the top for default_language, subdirectories per language)")
	return cmd
}
