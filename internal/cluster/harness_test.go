package cluster

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keypadauth/keypad/internal/pgtest"
)

// instanceHeader is the response header HAProxy sets to the name of the
// server (instance) that answered.
const instanceHeader = "X-Keypad-Instance"

// startWait bounds how long the cluster may take to come up.
const startWait = 60 * time.Second

// cluster is three keypad instances on one PostgreSQL schema behind
// HAProxy.
type cluster struct {
	t     testing.TB
	dir   string
	bin   string
	env   []string // KEYPAD_* for every process
	base  string   // the balancer's URL, also the issuer
	mu    sync.Mutex
	procs map[string]*exec.Cmd // by instance name
	// last is the instance that answered the latest request; while
	// sequential, the next must be another (see agent.do).
	last       string
	sequential bool
	n          int // instances started
	otpSeen    int // messages in the dev outbox so far
	haproxy    *exec.Cmd
}

// strict reports whether a missing component fails the test.
func strict() bool { return os.Getenv("KEYPAD_TEST_STRICT") == "1" }

// haproxyPath finds haproxy, skipping (or failing, under strict) without it.
func haproxyPath(t testing.TB) string {
	t.Helper()
	for _, p := range []string{"haproxy", "/usr/sbin/haproxy"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	msg := "the cluster tests need haproxy: apt-get install haproxy"
	if strict() {
		t.Fatal(msg + " (KEYPAD_TEST_STRICT=1 makes a missing component a failure)")
	}
	t.Skip(msg)
	return ""
}

// buildOnce builds the keypad binary once per test binary run.
var buildOnce struct {
	sync.Once
	dir, bin string
	err      error
}

func keypadBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		buildOnce.dir, buildOnce.err = os.MkdirTemp("", "keypad-cluster-")
		if buildOnce.err != nil {
			return
		}
		buildOnce.bin = filepath.Join(buildOnce.dir, "keypad")
		out, err := exec.Command("go", "build", "-o", buildOnce.bin, "github.com/keypadauth/keypad/cmd/keypad").CombinedOutput()
		if err != nil {
			buildOnce.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildOnce.err != nil {
		t.Fatal(buildOnce.err)
	}
	return buildOnce.bin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildOnce.dir != "" {
		os.RemoveAll(buildOnce.dir)
	}
	os.Exit(code)
}

// freePort returns a port free on 127.0.0.1 just now.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// instances are the names of the three keypads, as HAProxy calls them.
var instances = []string{"a", "b", "c"}

// start brings up three instances on a fresh schema (with DSN options,
// e.g. default_transaction_isolation) and stops them when the test ends.
func start(t testing.TB, dsnParams url.Values) *cluster {
	t.Helper()
	return startN(t, options{instances: 3, dsnParams: dsnParams, checkInterval: "250ms"})
}

// options shape a cluster.
type options struct {
	instances     int
	dsnParams     url.Values
	checkInterval string // HAProxy's health check interval
	// dbProxy, when set, rewrites the DSN's host:port (a counting proxy).
	dbProxy func(dsn string) string
}

func startN(t testing.TB, o options) *cluster {
	t.Helper()
	hap := haproxyPath(t)
	dsn := pgtest.Schema(t, "keypad_cluster")
	if len(o.dsnParams) > 0 {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		for k, v := range o.dsnParams {
			q[k] = v
		}
		u.RawQuery = q.Encode()
		dsn = u.String()
	}
	if o.dbProxy != nil {
		dsn = o.dbProxy(dsn)
	}
	secret := make([]byte, 32)
	rand.Read(secret)
	lbPort := freePort(t)
	c := &cluster{
		t: t, dir: t.TempDir(), bin: keypadBinary(t),
		base:  fmt.Sprintf("http://127.0.0.1:%d", lbPort),
		procs: map[string]*exec.Cmd{},
	}
	c.env = []string{"KEYPAD_DB=" + dsn, "KEYPAD_SECRET=" + hex.EncodeToString(secret), "KEYPAD_ISSUER=" + c.base}
	c.cli("migrate")

	var servers strings.Builder
	for _, name := range instances[:o.instances] {
		port := freePort(t)
		fmt.Fprintf(&servers, "    server %s 127.0.0.1:%d check inter %s fall 2 rise 2\n", name, port, o.checkInterval)
		c.serve(name, port)
	}
	c.n = o.instances
	cfg := fmt.Sprintf(`global
    maxconn 512
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    timeout check 2s
    retries 2
    option redispatch
frontend fe
    bind 127.0.0.1:%d
    default_backend keypads
backend keypads
    balance roundrobin
    option httpchk GET /readyz
    http-response set-header %s %%s
%s`, lbPort, instanceHeader, servers.String())
	cfgPath := filepath.Join(c.dir, "haproxy.cfg")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	c.haproxy = exec.Command(hap, "-db", "-f", cfgPath)
	c.haproxy.Stderr = &prefixWriter{t: t, prefix: "haproxy: "}
	if err := c.haproxy.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.haproxy.Process.Kill(); c.haproxy.Wait() })
	c.awaitAll()
	c.sequential = true
	return c
}

// serve starts instance name on port.
func (c *cluster) serve(name string, port int) {
	c.t.Helper()
	cmd := exec.Command(c.bin, "serve", "--addr", fmt.Sprintf("127.0.0.1:%d", port), "--dev", "--log-level", "warn", "--metrics-addr", "off")
	cmd.Env = append(os.Environ(), c.env...)
	cmd.Stderr = &prefixWriter{t: c.t, prefix: "keypad " + name + ": "}
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	c.mu.Lock()
	c.procs[name] = cmd
	c.mu.Unlock()
	t := c.t
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	})
}

// kill sends SIGKILL to instance name and reaps it.
func (c *cluster) kill(name string) {
	c.t.Helper()
	c.mu.Lock()
	cmd := c.procs[name]
	c.mu.Unlock()
	if err := cmd.Process.Kill(); err != nil {
		c.t.Fatal(err)
	}
	cmd.Wait()
}

// awaitAll waits until the balancer has all three instances up: /readyz
// answers 200 from each.
func (c *cluster) awaitAll() {
	c.t.Helper()
	seen := map[string]bool{}
	deadline := time.Now().Add(startWait)
	for len(seen) < c.n {
		if time.Now().After(deadline) {
			c.t.Fatalf("the cluster did not come up within %v: ready instances %v", startWait, seen)
		}
		resp, err := http.Get(c.base + "/readyz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				seen[resp.Header.Get(instanceHeader)] = true
				continue
			}
		}
		time.Sleep(50 * time.Millisecond) // polling a condition, not waiting for it
	}
}

// cli runs the keypad CLI against the cluster's database and returns its
// standard output.
func (c *cluster) cli(args ...string) string {
	c.t.Helper()
	cmd := exec.Command(c.bin, args...)
	cmd.Env = append(os.Environ(), c.env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		c.t.Fatalf("keypad %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// cliJSON runs the CLI with --json and decodes its output.
func cliJSON[T any](c *cluster, args ...string) T {
	c.t.Helper()
	var v T
	out := c.cli(append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		c.t.Fatalf("keypad %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return v
}

// prefixWriter copies a process's output into the test log, line by line.
type prefixWriter struct {
	t      testing.TB
	prefix string
	mu     sync.Mutex
	buf    []byte
}

func (w *prefixWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	sc := bufio.NewScanner(strings.NewReader(string(w.buf)))
	consumed := 0
	for sc.Scan() {
		line := sc.Text()
		if consumed+len(line) >= len(w.buf) {
			break // partial last line
		}
		consumed += len(line) + 1
		w.t.Log(w.prefix + line)
	}
	w.buf = w.buf[consumed:]
	return len(p), nil
}

// concurrently turns the one-instance-after-another check off while fn
// runs requests in parallel (races, a kill).
func (c *cluster) concurrently(fn func()) {
	c.mu.Lock()
	c.sequential = false
	c.mu.Unlock()
	fn()
	c.mu.Lock()
	c.sequential, c.last = true, ""
	c.mu.Unlock()
}

// cliIn is cli with standard input.
func (c *cluster) cliIn(stdin string, args ...string) string {
	c.t.Helper()
	cmd := exec.Command(c.bin, args...)
	cmd.Env = append(os.Environ(), c.env...)
	cmd.Stdin = strings.NewReader(stdin)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		c.t.Fatalf("keypad %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}
