// Command bench measures keypad black-box against a hello-world Go
// net/http server on the same machine, in the same run:
//
//	go run ./bench [-duration 3s] [-conns 32] [-rate 4000] [-postgres DSN] [-soak 0]
//	go run ./bench -import 1000000 [-postgres DSN]
//
// It builds cmd/keypad, starts it (keypad serve, info-level access log)
// and the baseline on 127.0.0.1, and drives each workload with a load
// generator written in Go, running the baseline right before each
// workload so that both see the same machine: closed loop (conns
// keep-alive connections, each sending as soon as it is answered) for
// the rates, open loop (a fixed rate, latency counted from when each
// request was due) for latencies at a given load. It prints each
// workload's rate, its ratio to the baseline's and p50/p99. See
// docs/performance.md.
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"time"
)

// options are the command line.
type options struct {
	duration   time.Duration
	conns      int
	rate       int
	soak       time.Duration
	soakRate   int
	soakEvery  time.Duration // the soak's figures are printed per window of this length
	devices    int
	postgres   string
	keypad     string // a prebuilt binary instead of building cmd/keypad
	maxPerRun  uint64 // stop a closed-loop run after this many requests (tests)
	workersFor int    // open-loop workers
	imports    int    // -import: rows of the import workload (0: the HTTP workloads instead)
	importPG   bool   // -import-postgres-only: skip SQLite
	cpuProfile string // -cpuprofile: keypad's CPU profile during a workload
	profileOf  string // -profile: the workload profiled
}

func main() {
	if os.Getenv(helloEnv) == "1" {
		if err := hello(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	var o options
	flag.DurationVar(&o.duration, "duration", 3*time.Second, "length of each run")
	flag.IntVar(&o.conns, "conns", 32, "connections of the closed-loop runs")
	flag.IntVar(&o.rate, "rate", 4000, "requests a second of the open-loop JWT run on SQLite (0: skip it)")
	flag.DurationVar(&o.soak, "soak", 0, "length of the opaque SQLite soak at -soak-rate (0: skip it; the issue's is 8m)")
	flag.IntVar(&o.soakRate, "soak-rate", 1000, "requests a second of the soak")
	flag.DurationVar(&o.soakEvery, "soak-every", 30*time.Second, "print the soak's latencies, errors and keypad's resident memory for each window of this length")
	flag.IntVar(&o.devices, "devices", 500, "pending device codes polled round robin")
	flag.StringVar(&o.keypad, "keypad", "", "run this keypad binary instead of building cmd/keypad (to compare two versions)")
	flag.StringVar(&o.postgres, "postgres", os.Getenv("KEYPAD_BENCH_POSTGRES"), "PostgreSQL URL for the PostgreSQL workloads (default $KEYPAD_BENCH_POSTGRES; empty: skip them)")
	flag.IntVar(&o.imports, "import", 0, "instead of the HTTP workloads: import this many generated customers into SQLite (and PostgreSQL), first load and again")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of keypad (SQLite, served with pprof on) during the -profile workload to this file")
	flag.StringVar(&o.profileOf, "profile", "jwt", "the workload -cpuprofile records: jwt, opaque, polls, open (the open-loop run) or soak")
	flag.BoolVar(&o.importPG, "import-postgres-only", false, "with -import and -postgres: import into PostgreSQL only")
	csvOut := flag.String("customers", "", "write -import generated customers (default 1000000) to this CSV file and exit")
	flag.Parse()
	if *csvOut != "" {
		if err := writeCustomersFile(*csvOut, cmp.Or(o.imports, 1000000)); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	o.workersFor = 256
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	do := run
	if o.imports > 0 {
		do = runImports
	}
	if err := do(ctx, os.Stdout, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// run builds and starts everything, runs every workload and prints the
// report to out.
func run(ctx context.Context, out io.Writer, o options) (err error) {
	dir, err := os.MkdirTemp("", "keypad-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := o.keypad
	if bin == "" {
		if bin, err = buildKeypad(ctx, dir); err != nil {
			return err
		}
	}
	h, err := startHello()
	if err != nil {
		return fmt.Errorf("start the baseline: %w", err)
	}
	defer h.stop()
	r := &report{out: out, profile: noProfile}
	r.header(o)

	sq, err := deploy("sqlite", newSQLiteEnv(bin, dir), o.devices, o.cpuProfile != "")
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	defer func() { err = cmp.Or(err, sq.stop()) }()
	r.profile = r.profilerFor(sq, o)
	r.closed(ctx, o, h, sq.proc, "jwt", "client_credentials, JWT, SQLite", sq.jwt)
	r.closed(ctx, o, h, sq.proc, "opaque", "client_credentials, opaque, SQLite", sq.opq)
	r.closed(ctx, o, h, sq.proc, "polls", fmt.Sprintf("pending device polls (%d codes), SQLite", o.devices), warmPolls(ctx, o, sq.poll))
	if o.rate > 0 {
		r.open(ctx, o, h, sq.proc, fmt.Sprintf("JWT, SQLite, open loop %d/s", o.rate), sq.jwt, o.rate, o.duration)
	}
	if o.soak > 0 {
		r.soak(ctx, o, h, sq)
	}

	if o.postgres != "" {
		env, err := newPostgresEnv(ctx, bin, o.postgres)
		if err != nil {
			return fmt.Errorf("postgres: %w", err)
		}
		pg, err := deploy("postgres", env, o.devices, false)
		if err != nil {
			env.close()
			return fmt.Errorf("postgres: %w", err)
		}
		defer func() { err = cmp.Or(err, pg.stop()) }()
		r.profile = noProfile
		r.closed(ctx, o, h, pg.proc, "", "client_credentials, JWT, PostgreSQL", pg.jwt)
		r.closed(ctx, o, h, pg.proc, "", "client_credentials, opaque, PostgreSQL", pg.opq)
		r.closed(ctx, o, h, pg.proc, "", fmt.Sprintf("pending device polls (%d codes), PostgreSQL", o.devices), warmPolls(ctx, o, pg.poll))
	}
	r.footer()
	if r.profileErr == nil && o.cpuProfile != "" && !r.profiled {
		r.profileErr = fmt.Errorf("no workload %q ran (jwt, opaque, polls; open with -rate, soak with -soak)", o.profileOf)
	}
	if r.profileErr != nil {
		return fmt.Errorf("-cpuprofile: %w", r.profileErr)
	}
	if r.errs > 0 {
		return fmt.Errorf("%d requests got an unexpected answer (first: %s)", r.errs, r.firstErr)
	}
	return nil
}

// report prints the runs as a Markdown table.
type report struct {
	out      io.Writer
	errs     int
	firstErr string
	after    []string // printed after the main table
	// profile starts recording keypad's CPU profile for a workload's run
	// of d, when it is -profile's; the returned func waits for the profile.
	profile func(workload string, d time.Duration) (done func())
	// profileErr is why -cpuprofile wrote nothing, if it did not.
	profileErr error
	profiled   bool
	// cpuAtStart is the machine's CPU time when the header was written.
	cpuAtStart cpuTimes
}

func (r *report) header(o options) {
	r.cpuAtStart = readCPUTimes()
	host, _ := os.Hostname()
	fmt.Fprintf(r.out, "keypad bench, %s, %s, %d CPUs (%s), %s %s/%s\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), host, runtime.NumCPU(), cpuModel(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(r.out, "load average at start: %s; runs of %s, closed loop with %d connections\n\n", loadAvg(), o.duration, o.conns)
	fmt.Fprintln(r.out, "| workload | keypad req/s | hello-world req/s | ratio | p50 | p99 | p99.9 | errors | keypad CPU/req | hello-world CPU/req |")
	fmt.Fprintln(r.out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
}

func (r *report) footer() {
	for _, t := range r.after {
		fmt.Fprint(r.out, t)
	}
	fmt.Fprintf(r.out, "\nload average at end: %s (above the core count means other processes shared the CPUs)\n", loadAvg())
	fmt.Fprintf(r.out, "CPU time taken by the virtual machine's host (steal) during the runs: %s\n", r.cpuAtStart.stolenSince(readCPUTimes()))
}

func (r *report) row(name string, k, h result) {
	r.errs += k.errs + h.errs
	r.firstErr = cmpOr(r.firstErr, cmpOr(k.firstErr, h.firstErr))
	ratio := 0.0
	if h.rate() > 0 {
		ratio = k.rate() / h.rate()
	}
	fmt.Fprintf(r.out, "| %s | %.0f | %.0f | %.3f | %s | %s | %s | %d | %s | %s |\n", name, k.rate(), h.rate(), ratio,
		ms(k.quantile(0.5)), ms(k.quantile(0.99)), ms(k.quantile(0.999)), k.errs+h.errs, k.cpuPerRequest(), h.cpuPerRequest())
}

// closed runs the baseline and then the workload (served by p), closed
// loop.
func (r *report) closed(ctx context.Context, o options, h, p *process, key, name string, t *target) {
	closedLoop(ctx, t, o.conns, o.duration/10, o.maxPerRun) // warm up: connections, caches
	base := measured(h, func() result { return closedLoop(ctx, helloTarget(h.base), o.conns, o.duration, o.maxPerRun) })
	done := r.profile(key, o.duration)
	k := measured(p, func() result { return closedLoop(ctx, t, o.conns, o.duration, o.maxPerRun) })
	done()
	r.row(name, k, base)
}

// measured runs a load against the server p and returns its result with
// the CPU time p used meanwhile.
func measured(p *process, load func() result) result {
	before := p.cpu()
	res := load()
	after := p.cpu()
	res.cpu = -1
	if before >= 0 && after >= 0 {
		res.cpu = after - before
	}
	return res
}

// warmPolls polls every device code a dozen times before the polls are
// measured: a flooding device's first polls each lengthen its interval
// (a write) until it reaches the cap, and the steady state of a fleet is
// what the workload measures. It returns t.
func warmPolls(ctx context.Context, o options, t *target) *target {
	n := uint64(12 * o.devices)
	if o.maxPerRun > 0 {
		n = min(n, o.maxPerRun)
	}
	closedLoop(ctx, t, o.conns, time.Minute, n)
	return t
}

// open runs the baseline and then the workload at a fixed rate; the
// ratio column is then the ratio of p99s (keypad's over the baseline's).
func (r *report) open(ctx context.Context, o options, h, p *process, name string, t *target, rate int, d time.Duration) {
	base := measured(h, func() result { return openLoop(ctx, helloTarget(h.base), rate, o.workersFor, d) })
	done := r.profile("open", d)
	k := measured(p, func() result { return openLoop(ctx, t, rate, o.workersFor, d) })
	done()
	r.errs += k.errs + base.errs
	r.firstErr = cmpOr(r.firstErr, cmpOr(k.firstErr, base.firstErr))
	fmt.Fprintf(r.out, "| %s (hello-world p99 %s; keypad's p99 is %.1f× it) | %.0f | %.0f | — | %s | %s | %s | %d | %s | %s |\n",
		name, ms(base.quantile(0.99)), float64(k.quantile(0.99))/float64(max(1, base.quantile(0.99))),
		k.rate(), base.rate(), ms(k.quantile(0.5)), ms(k.quantile(0.99)), ms(k.quantile(0.999)), k.errs+base.errs,
		k.cpuPerRequest(), base.cpuPerRequest())
}

// soak runs opaque client_credentials at a steady rate and reports the
// tail latencies and keypad's resident memory before and after, and
// then the same for every window of o.soakEvery: a stall or a memory
// plateau shows where it happens, not only in the total. The baseline
// runs at the same rate for one window (a minute at most) just before
// the soak and one just after: on a busy host its tail shows what the
// host allowed any server then, though not during the soak itself.
func (r *report) soak(ctx context.Context, o options, h *process, d *deployment) {
	every := o.soakEvery
	if every <= 0 || every > o.soak {
		every = o.soak
	}
	hello := func() window {
		c := readCPUTimes()
		res := openLoop(ctx, helloTarget(h.base), o.soakRate, o.workersFor, min(every, time.Minute))
		r.errs += res.errs
		r.firstErr = cmpOr(r.firstErr, res.firstErr)
		return window{result: res, steal: c.stolenSince(readCPUTimes()), rss: "—"}
	}
	helloBefore := hello()
	before := d.proc.rss()
	// keypad's RSS at the end of each window, sampled while it runs,
	// and the machine's CPU times at each window's start and end.
	var rss []int64
	cpu := []cpuTimes{readCPUTimes()}
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				rss = append(rss, d.proc.rss())
				cpu = append(cpu, readCPUTimes())
			}
		}
	}()
	done := r.profile("soak", o.soak)
	var windows []result
	k := measured(d.proc, func() (k result) {
		k, windows = openLoopWindows(ctx, d.opq, o.soakRate, o.workersFor, o.soak, every)
		return k
	})
	done()
	close(stop)
	<-sampled
	after := d.proc.rss()
	helloAfter := hello()
	r.errs += k.errs
	r.firstErr = cmpOr(r.firstErr, k.firstErr)
	fmt.Fprintf(r.out, "| soak: opaque, SQLite, %d/s for %s (RSS %d → %d MB; hello-world at the same rate, p99 %s before and %s after) | %.0f | — | — | %s | %s | %s | %d | %s | — |\n",
		o.soakRate, o.soak, before>>20, after>>20, ms(helloBefore.quantile(0.99)), ms(helloAfter.quantile(0.99)),
		k.rate(), ms(k.quantile(0.5)), ms(k.quantile(0.99)), ms(k.quantile(0.999)), k.errs, k.cpuPerRequest())
	ws := make([]window, len(windows))
	for i, w := range windows {
		ws[i] = window{result: w, steal: "—", rss: "—"}
		if i < len(rss) {
			ws[i].rss = fmt.Sprintf("%d MB", rss[i]>>20)
		}
		if i+1 < len(cpu) {
			ws[i].steal = cpu[i].stolenSince(cpu[i+1])
		}
	}
	all := window{result: k, steal: cpu[0].stolenSince(cpu[len(cpu)-1]), rss: "—"}
	r.after = append(r.after, soakTable(o, every, ws, all, helloBefore, helloAfter))
}

// window is one row of the soak's table: its requests, the host's
// steal over it and keypad's RSS at its end ("—" where none applies).
type window struct {
	result
	steal, rss string
}

// soakTable is the soak's figures per window, as a Markdown table
// printed after the main one, between the baseline's two windows.
func soakTable(o options, every time.Duration, windows []window, all, helloBefore, helloAfter window) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nsoak over time (opaque, SQLite, %d/s; windows of %s by when each request was due), between two windows of hello-world at the same rate;\n"+
		"the last column is how late the load generator woke for the requests it slept for: a server that waits cannot make that long, a machine that stopped running the bench can\n\n", o.soakRate, every)
	fmt.Fprintln(&b, "| window | req/s | p50 | p99 | p99.9 | max | errors | keypad RSS at its end | host steal | bench's late wake-ups, p99 / max |")
	fmt.Fprintln(&b, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	row := func(name string, w window) {
		fmt.Fprintf(&b, "| %s | %.0f | %s | %s | %s | %s | %d | %s | %s | %s / %s |\n", name, w.rate(), ms(w.quantile(0.5)),
			ms(w.quantile(0.99)), ms(w.quantile(0.999)), ms(w.quantile(1)), w.errs, w.rss, w.steal,
			ms(w.wakeQuantile(0.99)), ms(w.wakeQuantile(1)))
	}
	unit := time.Second
	if every < time.Second {
		unit = time.Millisecond
	}
	row("hello-world, before", helloBefore)
	var start time.Duration
	for _, w := range windows {
		row(fmt.Sprintf("%s–%s", start.Round(unit), (start+w.elapsed).Round(unit)), w)
		start += w.elapsed
	}
	row("keypad, all", all)
	row("hello-world, after", helloAfter)
	return b.String()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for line := range strings.Lines(string(b)) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}
