package deploy_test

import (
	"bufio"
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// need returns the path of a program the test needs; without it the test
// skips, or fails under KEYPAD_TEST_STRICT=1.
func need(t *testing.T, program, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(program)
	if err != nil {
		if os.Getenv("KEYPAD_TEST_STRICT") == "1" {
			t.Fatalf("%s is missing (KEYPAD_TEST_STRICT=1): apt-get install %s", program, pkg)
		}
		t.Skipf("%s is missing: apt-get install %s", program, pkg)
	}
	return p
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd, args string
	stage     int // index of the FROM it belongs to
}

func parseDockerfile(t *testing.T, text string) []instruction {
	t.Helper()
	var out []instruction
	var cur strings.Builder
	stage := -1
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if s, ok := strings.CutSuffix(line, "\\"); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(line)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		cur.Reset()
		cmd = strings.ToUpper(cmd)
		if cmd == "FROM" {
			stage++
		}
		out = append(out, instruction{cmd: cmd, args: strings.Join(strings.Fields(args), " "), stage: stage})
	}
	return out
}

// buildDir holds the binary staticBuild made, if it ran.
var buildDir string

// staticBuild runs the Dockerfile's own build command here, once, and
// returns the binary it made.
var staticBuild = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "keypad-deploy-test")
	if err != nil {
		return "", err
	}
	buildDir = dir
	text, err := os.ReadFile("Dockerfile")
	if err != nil {
		return "", err
	}
	re := regexp.MustCompile(`RUN (CGO_ENABLED=0 go build .*) -o /out/keypad (\./cmd/keypad)`)
	m := re.FindSubmatch(text)
	if m == nil {
		return "", os.ErrNotExist
	}
	bin := filepath.Join(dir, "keypad")
	cmd := exec.Command("sh", "-c", string(m[1])+" -o "+bin+" "+string(m[2]))
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", &buildError{err: err, out: string(out)}
	}
	return bin, nil
})

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + ": " + e.out }

func builtBinary(t *testing.T) string {
	t.Helper()
	bin, err := staticBuild()
	if err != nil {
		t.Fatalf("the Dockerfile's build command (CGO_ENABLED=0 go build ... -o /out/keypad ./cmd/keypad) failed here: %v", err)
	}
	return bin
}

func TestDockerfile(t *testing.T) {
	ins := parseDockerfile(t, read(t, "Dockerfile"))
	var froms []instruction
	last := -1
	for _, in := range ins {
		if in.cmd == "FROM" {
			froms = append(froms, in)
			last = in.stage
		}
	}
	if len(froms) < 2 || !strings.HasSuffix(froms[0].args, " AS build") || !strings.HasPrefix(froms[0].args, "golang:") {
		t.Fatalf("Dockerfile stages %v: want a multi-stage build whose first stage is golang:… AS build", froms)
	}
	goMod := read(t, "../go.mod")
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(goMod)
	if goVersion == nil || !strings.HasPrefix(froms[0].args, "golang:"+goVersion[1]+"-") {
		t.Errorf("build stage %q does not use the Go of go.mod (%v)", froms[0].args, goVersion)
	}
	if strings.Contains(froms[len(froms)-1].args, "golang") {
		t.Errorf("the runtime stage %q carries the Go toolchain", froms[len(froms)-1].args)
	}
	final := map[string][]string{}
	for _, in := range ins {
		if in.stage == last {
			final[in.cmd] = append(final[in.cmd], in.args)
		}
	}
	users := final["USER"]
	if len(users) == 0 {
		t.Fatal("the runtime stage has no USER: it would run as root")
	}
	if u, _, _ := strings.Cut(users[len(users)-1], ":"); u == "root" || u == "0" {
		t.Errorf("runtime USER %q is root", users[len(users)-1])
	}
	var copied string
	for _, c := range final["COPY"] {
		if f := strings.Fields(c); strings.HasSuffix(f[len(f)-2], "/keypad") && slices.Contains(f, "--from=build") {
			copied = f[len(f)-1]
		}
	}
	if copied == "" {
		t.Fatal("the runtime stage copies no keypad binary from the build stage")
	}
	hc := strings.Join(final["HEALTHCHECK"], " ")
	if !strings.Contains(hc, `CMD ["`+copied+`", "healthcheck"]`) {
		t.Errorf("HEALTHCHECK %q does not run %s healthcheck (the image has no shell or curl)", hc, copied)
	}
	if ep := strings.Join(final["ENTRYPOINT"], " "); ep != `["`+copied+`"]` {
		t.Errorf("ENTRYPOINT %q, want the binary %s", ep, copied)
	}
	// The only writable place is the volume, and the database lives there.
	vols := strings.Join(final["VOLUME"], " ")
	env := strings.Join(final["ENV"], " ")
	db := regexp.MustCompile(`KEYPAD_DB=sqlite://(/\S+)/keypad\.db`).FindStringSubmatch(env)
	if db == nil || !strings.Contains(vols, `"`+db[1]+`"`) {
		t.Errorf("KEYPAD_DB in %q is not inside the VOLUME %s", env, vols)
	}
	if !strings.Contains(env, "KEYPAD_ADDR=0.0.0.0:8080") || !slices.Contains(final["EXPOSE"], "8080") {
		t.Errorf("the image does not listen on and expose 8080: ENV %q, EXPOSE %v", env, final["EXPOSE"])
	}

	// The build command the Dockerfile runs makes a static binary here.
	bin := builtBinary(t)
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary asks for a dynamic loader (PT_INTERP): it would not run on distroless/static")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the binary links %v; want none", libs)
	}
	out, err := exec.Command(bin, "healthcheck", "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "/healthz") {
		t.Errorf("%s healthcheck --help: %v\n%s", bin, err, out)
	}
}

func TestHAProxyConfig(t *testing.T) {
	cfg := read(t, "haproxy.cfg")
	for _, want := range []string{"balance roundrobin", "option httpchk GET /readyz", "http-check expect status 200",
		"option forwardfor", "server keypad1 keypad1:8080", "server keypad2 keypad2:8080", "server keypad3 keypad3:8080"} {
		if !strings.Contains(cfg, want) {
			t.Errorf("haproxy.cfg lacks %q", want)
		}
	}
	haproxy := need(t, "haproxy", "haproxy")
	if out, err := exec.Command(haproxy, "-c", "-f", "haproxy.cfg").CombinedOutput(); err != nil {
		t.Fatalf("haproxy -c -f haproxy.cfg: %v\n%s", err, out)
	}
	// docs/deployment.md's local variant: three keypads on 127.0.0.1:8081-8083.
	local := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(local, []byte(localHAProxy(cfg)), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(haproxy, "-c", "-f", local).CombinedOutput()
	if err != nil || bytes.Contains(out, []byte("WARNING")) || bytes.Contains(out, []byte("ALERT")) {
		t.Fatalf("haproxy -c of the local variant: %v\n%s", err, out)
	}
}

// localHAProxy is the edit docs/deployment.md makes with sed.
func localHAProxy(cfg string) string {
	cfg = regexp.MustCompile(`keypad([123]):8080`).ReplaceAllString(cfg, "127.0.0.1:808$1")
	return strings.Replace(cfg, "bind :8080", "bind 127.0.0.1:8080", 1)
}
