package main

import (
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad/internal/pgtest"
)

func TestMain(m *testing.M) {
	if os.Getenv(helloEnv) == "1" { // the baseline, started by the test
		if err := hello(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	os.Exit(m.Run())
}

// TestRun runs every workload of the bench for a handful of requests
// (closed and open loop, the soak, and PostgreSQL when there is one):
// run fails if any answer is not the one the workload expects (200 for
// tokens and the baseline, 400 authorization_pending or slow_down for
// the polls), and every row must be in the report.
func TestRun(t *testing.T) {
	o := options{
		duration: time.Second, conns: 4, maxPerRun: 40, devices: 5,
		rate: 100, soak: 400 * time.Millisecond, soakRate: 100, soakEvery: 200 * time.Millisecond, workersFor: 4,
		cpuProfile: filepath.Join(t.TempDir(), "cpu.pprof"), profileOf: "jwt",
	}
	rows := []string{"client_credentials, JWT, SQLite", "client_credentials, opaque, SQLite",
		"pending device polls (5 codes), SQLite", "JWT, SQLite, open loop 100/s", "soak: opaque, SQLite"}
	if os.Getenv("KEYPAD_TEST_POSTGRES") != "" || os.Getenv("KEYPAD_TEST_STRICT") == "1" {
		o.postgres = pgtest.DSN(t) // fails the test under KEYPAD_TEST_STRICT=1 without one
		rows = append(rows, "client_credentials, JWT, PostgreSQL", "client_credentials, opaque, PostgreSQL",
			"pending device polls (5 codes), PostgreSQL")
	}
	var out strings.Builder
	if err := run(t.Context(), &out, o); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	for _, r := range rows {
		if !strings.Contains(out.String(), "| "+r) {
			t.Errorf("no row %q in the report:\n%s", r, out.String())
		}
	}
	// The soak over time: two windows and the total, each with its
	// latencies, errors and (but the total) keypad's memory, between
	// the baseline's windows at the same rate.
	for _, want := range []string{"soak over time", "| hello-world, before | ", "| 0s–200ms | ", "| keypad, all | ",
		"| hello-world, after | ", "hello-world at the same rate, p99 "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in the report:\n%s", want, out.String())
		}
	}
	// The host's share of the CPU (steal), for the whole run and for
	// each window of the soak, where /proc/stat has it; the CPU time
	// keypad and the baseline spent per request; and, in each window,
	// the p99 and worst of the load generator's late wake-ups.
	if _, err := os.Stat("/proc/stat"); err == nil {
		for _, re := range []string{`during the runs: \d+\.\d %`, `(?m)^\| client_credentials, JWT, SQLite \|.* \| \d+ µs \| \d+ µs \|$`, `(?m)^\| 0s–200ms \|.* \| \d+\.\d % \| \d+\.\d\d ms / \d+\.\d\d ms \|$`} {
			if !regexp.MustCompile(re).MatchString(out.String()) {
				t.Errorf("no host steal, CPU per request or late wake-ups (%s) in the report:\n%s", re, out.String())
			}
		}
	}
	// The CPU profile of keypad during the JWT run: a gzip-compressed
	// protobuf from its pprof handler.
	f, err := os.Open(o.cpuProfile)
	if err != nil {
		t.Fatalf("-cpuprofile wrote no file: %v", err)
	}
	defer f.Close()
	if _, err := gzip.NewReader(f); err != nil {
		t.Errorf("-cpuprofile %s is not a profile: %v", o.cpuProfile, err)
	}
	if regexp.MustCompile(`(?m)^\| [^|]+ \| 0 \| `).MatchString(out.String()) {
		t.Errorf("a run reached no requests:\n%s", out.String())
	}
}

// TestImports runs -import on a few hundred generated customers: the
// first load must create every row and the second change none (run
// checks both), on SQLite and, when there is one, PostgreSQL.
func TestImports(t *testing.T) {
	o := options{imports: 300}
	want := []string{"| first load (--bulk), SQLite |", "| the same file again, SQLite |"}
	if os.Getenv("KEYPAD_TEST_POSTGRES") != "" || os.Getenv("KEYPAD_TEST_STRICT") == "1" {
		o.postgres = pgtest.DSN(t)
		want = append(want, "| first load (--bulk), PostgreSQL |", "| the same file again, PostgreSQL |")
	}
	var out strings.Builder
	if err := runImports(t.Context(), &out, o); err != nil {
		t.Fatalf("runImports: %v\n%s", err, out.String())
	}
	for _, w := range want {
		if !strings.Contains(out.String(), w) {
			t.Errorf("no row %q in the report:\n%s", w, out.String())
		}
	}
}
