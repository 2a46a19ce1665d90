package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// importStats is what `keypad user import --json` prints.
type importStats struct {
	Rows      int     `json:"rows"`
	Created   int     `json:"created"`
	Updated   int     `json:"updated"`
	Unchanged int     `json:"unchanged"`
	Bad       int     `json:"bad"`
	Seconds   float64 `json:"seconds"`
}

// runImports is -import N: it writes N generated customers (see
// writeCustomers) as CSV, imports them with the binary into a fresh
// SQLite database (and a fresh PostgreSQL schema when there is one) as
// a first load (--bulk), imports the same file again as a nightly
// re-import would (which must change nothing), and prints the wall time
// of each.
func runImports(ctx context.Context, out io.Writer, o options) error {
	dir, err := os.MkdirTemp("", "keypad-bench-import-")
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
	file := filepath.Join(dir, "customers.csv")
	if err := writeCustomersFile(file, o.imports); err != nil {
		return err
	}
	fmt.Fprintf(out, "keypad bench -import %d, %s, %d-row CSV (%s)\n", o.imports,
		time.Now().UTC().Format("2006-01-02 15:04 MST"), o.imports, sizeOf(file))
	fmt.Fprintf(out, "load average at start: %s\n\n", loadAvg())
	fmt.Fprintln(out, "| import | seconds | rows/s | keypad's CPU seconds | outcome | load average after |")
	fmt.Fprintln(out, "|---|---:|---:|---:|---|---|")
	envs := []struct {
		name string
		env  func() (*keypadEnv, error)
	}{{"SQLite", func() (*keypadEnv, error) { return newSQLiteEnv(bin, dir), nil }}}
	if o.importPG && o.postgres != "" {
		envs = envs[:0]
	}
	if o.postgres != "" {
		envs = append(envs, struct {
			name string
			env  func() (*keypadEnv, error)
		}{"PostgreSQL", func() (*keypadEnv, error) { return newPostgresEnv(ctx, bin, o.postgres) }})
	}
	for _, e := range envs {
		k, err := e.env()
		if err != nil {
			return fmt.Errorf("%s: %w", e.name, err)
		}
		err = importTwice(out, k, e.name, file, o.imports)
		if cerr := k.close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("%s: %w", e.name, err)
		}
	}
	if path := filepath.Join(dir, "keypad.db"); sizeOf(path) != "" {
		fmt.Fprintf(out, "\nSQLite database after the imports: %s\n", sizeOf(path))
	}
	return nil
}

// importTwice migrates k's database, imports file into it with --bulk,
// then again without, and checks that the first created every row and
// the second changed none.
func importTwice(out io.Writer, k *keypadEnv, name, file string, rows int) error {
	if _, err := k.run("migrate"); err != nil {
		return err
	}
	for _, pass := range []struct {
		what  string
		flags []string
		check func(importStats) bool
	}{
		{"first load (--bulk), " + name, []string{"--bulk"}, func(s importStats) bool { return s.Created == rows }},
		{"the same file again, " + name, nil, func(s importStats) bool { return s.Unchanged == rows }},
	} {
		start := time.Now()
		b, cpu, err := k.runCPU(append([]string{"user", "import", file, "--json", "--progress", strconv.Itoa(rows + 1)}, pass.flags...)...)
		secs := time.Since(start).Seconds()
		if err != nil {
			return err
		}
		var s importStats
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("import printed %q: %w", b, err)
		}
		if s.Rows != rows || !pass.check(s) {
			return fmt.Errorf("%s: %+v is not the outcome expected of %d rows", pass.what, s, rows)
		}
		fmt.Fprintf(out, "| %s | %.1f | %.0f | %.1f | %d created, %d updated, %d unchanged, %d bad | %s |\n",
			pass.what, secs, float64(rows)/secs, cpu.Seconds(), s.Created, s.Updated, s.Unchanged, s.Bad, loadAvg())
	}
	return nil
}

// sizeOf is a file's size in MB, or "" when it does not exist.
func sizeOf(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%.0f MB", float64(fi.Size())/1e6)
}
