package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"
)

// noProfile records nothing.
func noProfile(string, time.Duration) func() { return func() {} }

// profilerFor returns report.profile for a deployment served with pprof:
// during the run of the workload -profile names, it asks keypad's admin
// listener for a CPU profile as long as the run
// (/debug/pprof/profile?seconds=N) and writes it to -cpuprofile, for
// `go tool pprof -top keypad FILE`.
func (r *report) profilerFor(d *deployment, o options) func(string, time.Duration) func() {
	if o.cpuProfile == "" || d.admin == "" {
		return noProfile
	}
	return func(workload string, dur time.Duration) func() {
		if workload != o.profileOf || r.profiled {
			return func() {}
		}
		secs := max(1, int(dur.Round(time.Second)/time.Second))
		done := make(chan error, 1)
		go func() {
			done <- fetchProfile(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", d.admin, secs), o.cpuProfile)
		}()
		return func() {
			if err := <-done; err != nil {
				r.profileErr = err
				return
			}
			r.profiled = true
			r.after = append(r.after, fmt.Sprintf("\nCPU profile of keypad during the %s run (%d s): %s\n", workload, secs, o.cpuProfile))
		}
	}
}

// fetchProfile saves the profile at url to path.
func fetchProfile(url, path string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, b)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return fmt.Errorf("GET %s: %w", url, err)
	}
	return f.Close()
}

// freeAddr returns a loopback address with a port nobody listens on now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return "127.0.0.1:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port), nil
}
