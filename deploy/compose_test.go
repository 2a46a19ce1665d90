package deploy_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/keypadauth/keypad/config"
)

// composeFile holds the fields of docker-compose.yml the topology relies
// on; KnownFields catches a misspelt one.
type composeFile struct {
	Name     string                    `yaml:"name"`
	XKeypad  map[string]any            `yaml:"x-keypad"`
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image       string            `yaml:"image"`
	Build       *composeBuild     `yaml:"build"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	ReadOnly    bool              `yaml:"read_only"`
	Tmpfs       []string          `yaml:"tmpfs"`
	Restart     string            `yaml:"restart"`
	DependsOn   any               `yaml:"depends_on"`
	Volumes     []string          `yaml:"volumes"`
	Ports       []string          `yaml:"ports"`
	Healthcheck map[string]any    `yaml:"healthcheck"`
}

type composeBuild struct {
	Context    string `yaml:"context"`
	Dockerfile string `yaml:"dockerfile"`
}

// dependsOn returns the services s waits for and the condition of each.
func (s composeService) dependsOn() map[string]string {
	out := map[string]string{}
	switch d := s.DependsOn.(type) {
	case []any:
		for _, name := range d {
			out[name.(string)] = "service_started"
		}
	case map[string]any:
		for name, v := range d {
			cond, _ := v.(map[string]any)["condition"].(string)
			out[name] = cond
		}
	}
	return out
}

func TestCompose(t *testing.T) {
	f, err := os.Open("docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	var c composeFile
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	var names []string
	for n := range c.Services {
		names = append(names, n)
	}
	slices.Sort(names)
	if want := []string{"haproxy", "keypad1", "keypad2", "keypad3", "migrate", "postgres"}; !slices.Equal(names, want) {
		t.Fatalf("services %v, want %v", names, want)
	}
	if got := c.Services["migrate"].dependsOn()["postgres"]; got != "service_healthy" {
		t.Errorf("migrate waits for postgres to be %q, want service_healthy", got)
	}
	if c.Services["migrate"].Command[0] != "migrate" || c.Services["migrate"].Restart != "no" {
		t.Errorf("migrate service runs %v with restart %q, want `migrate` once", c.Services["migrate"].Command, c.Services["migrate"].Restart)
	}
	first := c.Services["keypad1"]
	for _, n := range []string{"keypad1", "keypad2", "keypad3"} {
		s := c.Services[n]
		if s.Image != first.Image || s.Image != c.Services["migrate"].Image {
			t.Errorf("%s runs image %q; every keypad and the migration must run one image", n, s.Image)
		}
		if got := s.dependsOn()["migrate"]; got != "service_completed_successfully" {
			t.Errorf("%s waits for migrate to be %q, want service_completed_successfully", n, got)
		}
		if !s.ReadOnly || len(s.Command) == 0 || s.Command[0] != "serve" {
			t.Errorf("%s: read_only %v, command %v; want a read-only root running serve", n, s.ReadOnly, s.Command)
		}
		// One database, one secret, one issuer for all (README, docs/deployment.md).
		for _, k := range []string{"KEYPAD_DB", "KEYPAD_SECRET", "KEYPAD_ISSUER", "KEYPAD_WEB_CLIENT_IP_HEADER"} {
			if s.Environment[k] == "" || s.Environment[k] != first.Environment[k] {
				t.Errorf("%s: %s = %q, want it set and the same on every keypad", n, k, s.Environment[k])
			}
		}
		var environ []string
		for k, v := range s.Environment {
			environ = append(environ, k+"="+v)
		}
		for _, w := range config.UnknownEnv(environ) {
			t.Errorf("%s: %s", n, w)
		}
	}
	if b := first.Build; b == nil {
		t.Error("the keypads have no build section")
	} else if _, err := os.Stat(filepath.Join(b.Context, b.Dockerfile)); err != nil {
		t.Errorf("build %+v: %v", b, err)
	}
	if !strings.Contains(first.Environment["KEYPAD_SECRET"], ":?") {
		t.Errorf("KEYPAD_SECRET %q must come from the operator (${KEYPAD_SECRET:?...}), not be written here", first.Environment["KEYPAD_SECRET"])
	}
	// The database URL names the compose service and its credentials.
	pg := c.Services["postgres"].Environment
	want := "postgres://" + pg["POSTGRES_USER"] + ":" + pg["POSTGRES_PASSWORD"] + "@postgres:5432/" + pg["POSTGRES_DB"]
	if !strings.HasPrefix(first.Environment["KEYPAD_DB"], want) {
		t.Errorf("KEYPAD_DB %q does not reach the postgres service (%s)", first.Environment["KEYPAD_DB"], want)
	}
	// HAProxy gets deploy/haproxy.cfg, whose servers are these keypads.
	hp := c.Services["haproxy"]
	if !slices.Contains(hp.Volumes, "./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro") {
		t.Errorf("haproxy volumes %v do not mount ./haproxy.cfg", hp.Volumes)
	}
	cfg := read(t, "haproxy.cfg")
	servers := regexp.MustCompile(`(?m)^\s*server \S+ (\S+):8080`).FindAllStringSubmatch(cfg, -1)
	if len(servers) != 3 {
		t.Fatalf("haproxy.cfg has %d servers, want 3", len(servers))
	}
	for _, s := range servers {
		if _, ok := c.Services[s[1]]; !ok {
			t.Errorf("haproxy.cfg balances to %s, which is not a compose service", s[1])
		}
	}
	if !slices.Contains(hp.Ports, "127.0.0.1:8080:8080") {
		t.Errorf("haproxy publishes %v, want 127.0.0.1:8080:8080 (the issuer's port)", hp.Ports)
	}
}
