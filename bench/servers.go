package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the bench's own schema on PostgreSQL
)

// buildKeypad builds cmd/keypad into dir and returns the binary's path.
// The bench runs from the repository (go run ./bench), so the package is
// found relative to the module.
func buildKeypad(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "keypad")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/keypadauth/keypad/cmd/keypad")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build keypad: %w", err)
	}
	return bin, nil
}

// process is a server the bench started, on 127.0.0.1.
type process struct {
	cmd  *exec.Cmd
	base string // http://127.0.0.1:port
	done chan error
}

// stop ends the process with SIGINT (keypad shuts down gracefully) and
// waits for it.
func (p *process) stop() error {
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-p.done:
		return err
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		return fmt.Errorf("%s did not stop within 30s; killed", p.cmd.Path)
	}
}

// rss returns the process's resident memory in bytes (Linux), or 0.
func (p *process) rss() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// cpu returns the CPU time (user and system) the process has used so
// far, from /proc/PID/stat (Linux), or -1 where it is unknown.
func (p *process) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return -1
	}
	// The command name, in parentheses, may hold spaces: the fields
	// counted from the state after it are utime (12th) and stime (13th),
	// in USER_HZ ticks, 100 a second on Linux.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return -1
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	return time.Duration(utime+stime) * (time.Second / 100)
}

var listenLine = regexp.MustCompile(`(?:addr=|listening on )"?(127\.0\.0\.1:\d+)`)

// start runs cmd and waits for the line of its log (stderr) that names
// the address it listens on; the rest of the log is discarded, so a
// server logging every request never blocks on a full pipe.
func start(cmd *exec.Cmd) (*process, error) {
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, done: make(chan error, 1)}
	addr := make(chan string, 1)
	var head strings.Builder
	go func() {
		r := bufio.NewReader(errPipe)
		for {
			line, err := r.ReadString('\n')
			if m := listenLine.FindStringSubmatch(line); m != nil {
				addr <- m[1]
				break
			}
			if head.Len() < 4096 {
				head.WriteString(line)
			}
			if err != nil {
				close(addr)
				return
			}
		}
		io.Copy(io.Discard, r)
	}()
	go func() { p.done <- cmd.Wait() }()
	select {
	case a, ok := <-addr:
		if !ok {
			return nil, fmt.Errorf("%s exited before listening:\n%s", cmd.Path, head.String())
		}
		p.base = "http://" + a
		return p, nil
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		return nil, fmt.Errorf("%s did not listen within 60s", cmd.Path)
	}
}

// helloEnv, set to 1, makes this program (or its test binary) serve the
// baseline instead of running the bench.
const helloEnv = "KEYPAD_BENCH_HELLO"

// startHello runs this program as the hello-world baseline (see hello).
func startHello() (*process, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), helloEnv+"=1")
	return start(cmd)
}

// hello serves the baseline: a net/http server answering every request
// with a short JSON body, as small as Go's HTTP stack allows.
func hello() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "listening on %s\n", ln.Addr())
	body := []byte(`{"hello":"world"}`)
	return http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
}

// keypadEnv is one keypad deployment the bench drives: the binary, its
// configuration (as KEYPAD_* variables) and a cleanup.
type keypadEnv struct {
	bin   string
	env   []string
	close func() error
}

// newSQLiteEnv prepares a fresh SQLite database in dir.
func newSQLiteEnv(bin, dir string) *keypadEnv {
	return &keypadEnv{bin: bin, env: []string{"KEYPAD_DB=sqlite:" + filepath.Join(dir, "keypad.db")},
		close: func() error { return nil }}
}

// newPostgresEnv prepares a fresh schema in the database at dsn, dropped
// by close, and a server secret shared by every command.
func newPostgresEnv(ctx context.Context, bin, dsn string) (*keypadEnv, error) {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, errors.New("the PostgreSQL DSN must be a postgres:// URL")
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, err
	}
	schema := "keypad_bench_" + randomHex(6)
	if _, err := db.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("create schema: %w", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return &keypadEnv{bin: bin,
		env: []string{"KEYPAD_DB=" + u.String(), "KEYPAD_SECRET=" + randomHex(32)},
		close: func() error {
			defer db.Close()
			_, err := db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
			return err
		}}, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// command returns keypad with args in this deployment.
func (k *keypadEnv) command(args ...string) *exec.Cmd {
	cmd := exec.Command(k.bin, args...)
	cmd.Env = append(os.Environ(), k.env...)
	return cmd
}

// run runs a keypad command and returns its standard output.
func (k *keypadEnv) run(args ...string) ([]byte, error) {
	out, _, err := k.runCPU(args...)
	return out, err
}

// runCPU is run that also returns the CPU time (user and system) the
// command used: on a shared machine, the figure other processes move
// least.
func (k *keypadEnv) runCPU(args ...string) ([]byte, time.Duration, error) {
	cmd := k.command(args...)
	var errOut strings.Builder
	cmd.Stderr = &errOut
	out, err := cmd.Output()
	if err != nil {
		return nil, 0, fmt.Errorf("keypad %s: %w\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return out, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

// client registers a client and returns its ID and secret.
func (k *keypadEnv) client(args ...string) (id, secret string, err error) {
	out, err := k.run(append([]string{"client", "create", "--json"}, args...)...)
	if err != nil {
		return "", "", err
	}
	var c struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if err := json.Unmarshal(out, &c); err != nil {
		return "", "", fmt.Errorf("client create: %w", err)
	}
	return c.ClientID, c.ClientSecret, nil
}

// serve starts keypad serve on a free port of 127.0.0.1, logging at info
// level as a production server does, without an admin listener unless
// args (which come last) set one.
func (k *keypadEnv) serve(args ...string) (*process, error) {
	return start(k.command(append([]string{"serve", "--addr", "127.0.0.1:0", "--metrics-addr", "off"}, args...)...))
}
