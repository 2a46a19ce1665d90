package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/keypadauth/keypad/demo"
	"github.com/keypadauth/keypad/identifier"
)

// demoFlags are `keypad demo`'s options.
type demoFlags struct {
	dir                         string
	keep, verbose               bool
	addr, kioskAddr, energyAddr string
}

// demoCommand runs keypad with a seeded utility, its energy API and a
// partner's kiosk, all in this process: the first thing a newcomer runs.
func (m *Main) demoCommand() *cobra.Command {
	var f demoFlags
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run keypad, a demo utility's energy API and an audit kiosk, seeded, in one process",
		Long: `Run the whole keypad story on this machine, with nothing else installed:

  keypad      the authorization server, on SQLite, in dev mode: texts and
              emails go to an outbox page instead of phones and mailboxes
  kiosk       "Bright Audits", a hardware store's energy-audit kiosk that
              signs people in with a one-time code (the OTP flow)
  energy API  Green Valley Power's usage API, which accepts keypad's tokens

keypad is seeded with about 1,000 synthetic customers (always the same ones),
the kiosk and energy API clients, and two device-flow clients (tv-app, cli).
The command prints the URLs and what to try, and runs until Ctrl-C.

The demo ignores --config, --db and KEYPAD_* settings: it keeps its data in
--dir, a temporary directory by default, removed when it stops.`,
		Example: `  keypad demo
  keypad demo --addr 127.0.0.1:9090 --kiosk-addr 127.0.0.1:9091 --energy-addr 127.0.0.1:9092
  keypad demo --dir ./demo-data     # keeps the data; run it again to carry on`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return m.demo(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.dir, "dir", "", "directory for keypad's database (default: a new temporary directory, removed on exit unless --keep)")
	fl.BoolVar(&f.keep, "keep", false, "keep the temporary directory when the demo stops")
	fl.StringVar(&f.addr, "addr", demo.DefaultAddr, "where keypad listens")
	fl.StringVar(&f.kioskAddr, "kiosk-addr", demo.DefaultKioskAddr, "where the kiosk listens")
	fl.StringVar(&f.energyAddr, "energy-addr", demo.DefaultEnergyAddr, "where the energy API listens")
	fl.BoolVar(&f.verbose, "verbose", false, "log every request of the three programs to standard error")
	return cmd
}

// demoAddrFlags names the flag that moves each demo program.
var demoAddrFlags = map[string]string{"keypad": "--addr", "kiosk": "--kiosk-addr", "energy": "--energy-addr"}

func (m *Main) demo(cmd *cobra.Command, f demoFlags) (err error) {
	if m.TuneGC != nil {
		m.TuneGC()
	}
	ctx := cmd.Context()
	stdout := cmd.OutOrStdout()
	dir, removeDir := f.dir, false
	if dir == "" {
		if dir, err = os.MkdirTemp("", "keypad-demo-"); err != nil {
			return fmt.Errorf("make a directory for the demo: %w (set TMPDIR, or give --dir)", err)
		}
		removeDir = !f.keep
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("make the demo directory: %w", err)
	}
	if removeDir {
		defer func() {
			if rerr := os.RemoveAll(dir); rerr != nil && err == nil {
				err = fmt.Errorf("remove the demo directory: %w", rerr)
			}
		}()
	}

	log := m.Logger
	if log == nil {
		level := slog.LevelWarn
		if f.verbose {
			level = slog.LevelInfo
		}
		log = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
	}
	d, err := demo.Start(ctx, demo.Config{
		Dir: dir, Addr: f.addr, KioskAddr: f.kioskAddr, EnergyAddr: f.energyAddr,
		Logger: log, Now: m.Now, Rand: m.Rand,
	})
	var le *demo.ListenError
	if errors.As(err, &le) {
		flag := demoAddrFlags[le.Program]
		return fmt.Errorf("%w: is an earlier demo still running? Stop it, or choose another address with %s (e.g. %s 127.0.0.1:0 for any free port)", le, flag, flag)
	}
	if err != nil {
		return err
	}

	printDemo(stdout, d, dir, removeDir)
	if m.Serving != nil {
		m.Serving(d.Keypad)
	}
	served := make(chan error, 1)
	go func() { served <- d.Serve() }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(stdout, "Stopping the demo...")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err = d.Shutdown(sctx)
	if serr := <-served; err == nil {
		err = serr
	}
	if err == nil {
		fmt.Fprintln(stdout, "Stopped.")
	}
	return err
}

// printDemo tells the person where everything is and what to try.
func printDemo(w io.Writer, d *demo.Demo, dir string, removed bool) {
	h, s := demo.Heather, demo.Sharers[1]
	self := selfCommand()
	fmt.Fprintf(w, `
keypad demo: %s, a utility with %s customers, and a partner's kiosk.

  keypad, the sign-in service   %s
  Bright Audits kiosk           %s
  energy usage API              %s
  the customers' "phone"        %s
                                (the texts and emails keypad sent, newest first)

What to try:

1. The kiosk. Open %s and type Heather Homeowner's address,
   %s. Choose "Text %s", read the code on the "phone"
   page and type it in: the kiosk shows a year of her energy use. She never
   had, made or remembered a login.

2. A shared address. Start over and type %s: two accounts use it, so
   the kiosk asks which one. Type %s's account number, %s.

3. A stranger. Start over and type an address of nobody, 1 Nowhere Road: the
   kiosk offers made-up channels and nothing is sent, so the kiosk cannot
   tell who is a customer.

4. Sign in a TV with the device flow. In another terminal run
     %s device-login --issuer %s --client-id %s --dpop > tv.json
   open the page it shows, type the code, and sign in as %s / %s.
   The tokens are bound to a key kept on this machine (DPoP). Read the usage
   with them, each call signed with that key:
     %s call --issuer %s --client-id %s --tokens tv.json %s/api/usage-points
   The same access token copied into curl as a Bearer token is refused.

`, demo.SiteName, thousands(len(d.Seeded.Customers)),
		d.KeypadURL, d.KioskURL, d.EnergyURL, d.PhoneURL(),
		d.KioskURL, strings.Split(h.Address, ",")[0], phoneHint(h.Phone),
		demo.SharedAddress, s.Name, s.Account,
		self, d.KeypadURL, demo.TVClientID, h.Username, demo.HeatherPassword,
		self, d.KeypadURL, demo.TVClientID, d.EnergyURL)
	if removed {
		fmt.Fprintf(w, "Data: %s (removed when the demo stops; --keep keeps it)\n", dir)
	} else {
		fmt.Fprintf(w, "Data: %s\n", dir)
	}
	if u := d.Keypad.MetricsURL(); u != "" {
		fmt.Fprintf(w, "Metrics: %s (keypad's admin listener, loopback only)\n", u)
	}
	fmt.Fprintln(w, "Press Ctrl-C to stop.")
}

// selfCommand is how to run this binary again: under `go run` the binary
// is a temporary file, so the source path is what to type.
func selfCommand() string {
	if strings.Contains(os.Args[0], "go-build") {
		return "go run ./cmd/keypad"
	}
	return "keypad"
}

// phoneHint is the masked number the kiosk shows for a phone number.
func phoneHint(phone string) string {
	e164, err := identifier.Phone(phone, "US")
	if err != nil {
		return phone
	}
	return identifier.MaskPhone(e164)
}

// thousands writes n with a thousands separator: 1,000.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
