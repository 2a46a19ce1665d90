package main

import (
	"bufio"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// keypadProcess prepares the test binary to run as the keypad binary
// (see TestMain) with args, in e's environment only.
func keypadProcess(t *testing.T, e env, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KEYPAD_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "KEYPAD_TEST_RUN_MAIN=1")
	for k, v := range e {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

// TestErrorsExitNonZeroWithOneLine runs failing commands as a process: the
// exit status is 1 and stderr is one line that says what to do.
func TestErrorsExitNonZeroWithOneLine(t *testing.T) {
	e := sqliteBackend.env(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"ErrUnmigrated", []string{"client", "list"}, "run `keypad migrate` first"},
		{"ErrUnknownCommand", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"ErrBadConfig", []string{"--db", "mysql://x", "migrate"}, `db: "mysql://x" is not supported`},
		{"ErrMissingArg", []string{"client", "get"}, "accepts 1 arg(s), received 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := keypadProcess(t, e, tt.args...)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("keypad %s: %v, want exit status 1", strings.Join(tt.args, " "), err)
			}
			msg := stderr.String()
			if strings.Count(msg, "\n") != 1 || !strings.HasPrefix(msg, "keypad: ") || !strings.Contains(msg, tt.want) {
				t.Errorf("stderr = %q, want one line \"keypad: ...%s...\"", msg, tt.want)
			}
		})
	}
}

// TestSIGTERM runs `keypad serve` as a process, serves a request and sends
// SIGTERM: the server shuts down gracefully and exits 0.
func TestSIGTERM(t *testing.T) {
	cmd := keypadProcess(t, sqliteBackend.env(t), "serve", "--addr", "127.0.0.1:0", "--auto-migrate", "--log-level", "error")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() {
		cmd.Wait()
		t.Fatalf("serve printed nothing; stderr: %s", stderr.String())
	}
	url, ok := strings.CutPrefix(lines.Text(), "keypad listening on ")
	if !ok {
		t.Fatalf("serve printed %q, want the listening URL", lines.Text())
	}
	resp, err := http.Get(url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz = %d", resp.StatusCode)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var rest []string
	for lines.Scan() {
		rest = append(rest, lines.Text())
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("serve after SIGTERM: %v (stderr %s), want exit status 0", err, stderr.String())
	}
	if !strings.Contains(strings.Join(rest, "\n"), "keypad shutting down") {
		t.Errorf("serve printed %q after SIGTERM, want a shutdown notice", rest)
	}
}
