package deploy_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/keypadauth/keypad/config"
)

// The Kubernetes manifests are checked here against the fields they use,
// spelt and typed as the Kubernetes API spells them (KnownFields refuses a
// misspelt or misplaced one), and for what keypad needs of them. This is
// not a full schema validation: kubeconform needs its JSON schemas from
// the internet, which this machine's tests do not reach.

type meta struct {
	Name   string            `yaml:"name"`
	Labels map[string]string `yaml:"labels"`
}

type selector struct {
	MatchLabels map[string]string `yaml:"matchLabels"`
}

type probe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
	PeriodSeconds    int `yaml:"periodSeconds"`
	TimeoutSeconds   int `yaml:"timeoutSeconds"`
	FailureThreshold int `yaml:"failureThreshold"`
}

type container struct {
	Name  string   `yaml:"name"`
	Image string   `yaml:"image"`
	Args  []string `yaml:"args"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	Env []struct {
		Name  string `yaml:"name"`
		Value string `yaml:"value"`
	} `yaml:"env"`
	EnvFrom []struct {
		SecretRef struct {
			Name string `yaml:"name"`
		} `yaml:"secretRef"`
	} `yaml:"envFrom"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		ReadOnly  bool   `yaml:"readOnly"`
	} `yaml:"volumeMounts"`
	ReadinessProbe  *probe `yaml:"readinessProbe"`
	LivenessProbe   *probe `yaml:"livenessProbe"`
	SecurityContext struct {
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
		ReadOnlyRootFilesystem   bool  `yaml:"readOnlyRootFilesystem"`
		Capabilities             struct {
			Drop []string `yaml:"drop"`
		} `yaml:"capabilities"`
	} `yaml:"securityContext"`
	Resources struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
}

type podTemplate struct {
	Metadata meta `yaml:"metadata"`
	Spec     struct {
		RestartPolicy                 string `yaml:"restartPolicy"`
		TerminationGracePeriodSeconds int    `yaml:"terminationGracePeriodSeconds"`
		SecurityContext               struct {
			RunAsNonRoot   bool `yaml:"runAsNonRoot"`
			RunAsUser      int  `yaml:"runAsUser"`
			RunAsGroup     int  `yaml:"runAsGroup"`
			SeccompProfile struct {
				Type string `yaml:"type"`
			} `yaml:"seccompProfile"`
		} `yaml:"securityContext"`
		Containers []container `yaml:"containers"`
		Volumes    []struct {
			Name      string `yaml:"name"`
			ConfigMap *struct {
				Name string `yaml:"name"`
			} `yaml:"configMap"`
			EmptyDir *struct{} `yaml:"emptyDir"`
		} `yaml:"volumes"`
	} `yaml:"spec"`
}

type manifest struct {
	APIVersion string            `yaml:"apiVersion"`
	Kind       string            `yaml:"kind"`
	Metadata   meta              `yaml:"metadata"`
	Type       string            `yaml:"type"`
	StringData map[string]string `yaml:"stringData"`
	Data       map[string]string `yaml:"data"`
	Resources  []string          `yaml:"resources"`
	Spec       struct {
		// Deployment
		Replicas             int      `yaml:"replicas"`
		RevisionHistoryLimit int      `yaml:"revisionHistoryLimit"`
		Selector             selector `yaml:"selector"`
		Strategy             struct {
			Type          string `yaml:"type"`
			RollingUpdate struct {
				MaxUnavailable int `yaml:"maxUnavailable"`
				MaxSurge       int `yaml:"maxSurge"`
			} `yaml:"rollingUpdate"`
		} `yaml:"strategy"`
		Template podTemplate `yaml:"template"`
		// Job
		BackoffLimit            int `yaml:"backoffLimit"`
		TTLSecondsAfterFinished int `yaml:"ttlSecondsAfterFinished"`
		// PodDisruptionBudget
		MaxUnavailable int `yaml:"maxUnavailable"`
		// Service (its selector is a plain map)
		Ports []struct {
			Name       string `yaml:"name"`
			Port       int    `yaml:"port"`
			TargetPort string `yaml:"targetPort"`
		} `yaml:"ports"`
	} `yaml:"spec"`
}

// serviceSelector reads a Service's spec.selector, a plain label map
// (where a Deployment's has matchLabels).
func serviceSelector(t *testing.T, file string) map[string]string {
	t.Helper()
	var s struct {
		Spec struct {
			Selector map[string]string `yaml:"selector"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal([]byte(read(t, file)), &s); err != nil {
		t.Fatal(err)
	}
	return s.Spec.Selector
}

func loadManifests(t *testing.T) map[string]manifest {
	t.Helper()
	files, err := filepath.Glob("kubernetes/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]manifest{}
	for _, f := range files {
		raw := read(t, f)
		if path.Base(f) == "service.yaml" {
			// Its selector is a map, not a matchLabels: check the rest.
			raw = strings.Replace(raw, "  selector:\n    app.kubernetes.io/name: keypad\n", "", 1)
		}
		dec := yaml.NewDecoder(bytes.NewReader([]byte(raw)))
		dec.KnownFields(true)
		var m manifest
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
			t.Fatalf("%s: want one document per file", f)
		}
		out[m.Kind] = m
		if m.Kind != "Kustomization" && (m.Metadata.Name == "" || m.APIVersion == "") {
			t.Errorf("%s: apiVersion %q, name %q: both are required", f, m.APIVersion, m.Metadata.Name)
		}
	}
	return out
}

func TestKubernetes(t *testing.T) {
	ms := loadManifests(t)
	for kind, api := range map[string]string{"Deployment": "apps/v1", "Job": "batch/v1", "PodDisruptionBudget": "policy/v1",
		"Secret": "v1", "ConfigMap": "v1", "Service": "v1", "Kustomization": "kustomize.config.k8s.io/v1beta1"} {
		if m, ok := ms[kind]; !ok || m.APIVersion != api {
			t.Errorf("%s: apiVersion %q, want %s", kind, m.APIVersion, api)
		}
	}
	files, _ := filepath.Glob("kubernetes/*.yaml")
	var listed []string
	for _, f := range files {
		if b := filepath.Base(f); b != "kustomization.yaml" {
			listed = append(listed, b)
		}
	}
	got := slices.Sorted(slices.Values(ms["Kustomization"].Resources))
	if !slices.Equal(got, listed) {
		t.Errorf("kustomization lists %v, want every manifest %v", got, listed)
	}

	d := ms["Deployment"]
	if d.Spec.Replicas < 2 {
		t.Errorf("Deployment replicas %d, want at least 2", d.Spec.Replicas)
	}
	if ru := d.Spec.Strategy.RollingUpdate; d.Spec.Strategy.Type != "RollingUpdate" || ru.MaxUnavailable != 0 || ru.MaxSurge < 1 {
		t.Errorf("Deployment strategy %+v, want a rolling update that never drops below the replica count", d.Spec.Strategy)
	}
	pod := d.Spec.Template
	labels := pod.Metadata.Labels
	if !subset(d.Spec.Selector.MatchLabels, labels) || !subset(ms["PodDisruptionBudget"].Spec.Selector.MatchLabels, labels) ||
		!subset(serviceSelector(t, "kubernetes/service.yaml"), labels) {
		t.Errorf("the Deployment, PodDisruptionBudget and Service selectors do not all select the pods labelled %v", labels)
	}
	if ms["PodDisruptionBudget"].Spec.MaxUnavailable < 1 || ms["PodDisruptionBudget"].Spec.MaxUnavailable >= d.Spec.Replicas {
		t.Errorf("PodDisruptionBudget maxUnavailable %d with %d replicas", ms["PodDisruptionBudget"].Spec.MaxUnavailable, d.Spec.Replicas)
	}
	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("keypad pod has %d containers, want 1", len(pod.Spec.Containers))
	}
	c := pod.Spec.Containers[0]
	if !slices.Equal(c.Args, []string{"serve"}) {
		t.Errorf("keypad container args %v, want [serve]", c.Args)
	}
	ports := map[string]int{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	for _, p := range []struct {
		what, path string
		pr         *probe
	}{{"readiness", "/readyz", c.ReadinessProbe}, {"liveness", "/healthz", c.LivenessProbe}} {
		if p.pr == nil || p.pr.HTTPGet.Path != p.path || ports[p.pr.HTTPGet.Port] == 0 {
			t.Errorf("%s probe %+v, want GET %s on a named container port", p.what, p.pr, p.path)
		}
	}
	for _, sp := range ms["Service"].Spec.Ports {
		if ports[sp.TargetPort] == 0 {
			t.Errorf("Service port %s targets %q, not a container port", sp.Name, sp.TargetPort)
		}
	}
	if pod.Spec.TerminationGracePeriodSeconds <= 30 {
		t.Errorf("terminationGracePeriodSeconds %d: want more than keypad's 30s shutdown_timeout", pod.Spec.TerminationGracePeriodSeconds)
	}

	j := ms["Job"]
	if len(j.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("migration Job has %d containers, want 1", len(j.Spec.Template.Spec.Containers))
	}
	jc := j.Spec.Template.Spec.Containers[0]
	if !slices.Equal(jc.Args, []string{"migrate"}) || jc.Image != c.Image {
		t.Errorf("migration Job runs %s %v, want %s [migrate]", jc.Image, jc.Args, c.Image)
	}
	if j.Spec.Template.Spec.RestartPolicy != "OnFailure" && j.Spec.Template.Spec.RestartPolicy != "Never" {
		t.Errorf("Job restartPolicy %q", j.Spec.Template.Spec.RestartPolicy)
	}
	if subset(d.Spec.Selector.MatchLabels, j.Spec.Template.Metadata.Labels) {
		t.Error("the Deployment's selector also selects the migration Job's pod")
	}

	secret := ms["Secret"]
	for _, pt := range []podTemplate{pod, j.Spec.Template} {
		sc := pt.Spec.SecurityContext
		if !sc.RunAsNonRoot || sc.RunAsUser == 0 || sc.SeccompProfile.Type != "RuntimeDefault" {
			t.Errorf("pod security context %+v: want non-root with the runtime's seccomp profile", sc)
		}
		ct := pt.Spec.Containers[0]
		csc := ct.SecurityContext
		if !csc.ReadOnlyRootFilesystem || csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation || !slices.Equal(csc.Capabilities.Drop, []string{"ALL"}) {
			t.Errorf("container %s security context %+v: want a read-only root, no privilege escalation, no capabilities", ct.Name, csc)
		}
		if len(ct.EnvFrom) != 1 || ct.EnvFrom[0].SecretRef.Name != secret.Metadata.Name {
			t.Errorf("container %s does not read the Secret %q", ct.Name, secret.Metadata.Name)
		}
		checkConfig(t, ct, pt, ms["ConfigMap"], secret)
	}
}

// checkConfig proves the container finds keypad.yaml where KEYPAD_CONFIG
// says, and that keypad accepts the settings with the Secret's variables.
func checkConfig(t *testing.T, c container, pt podTemplate, cm, secret manifest) {
	t.Helper()
	var file string
	for _, e := range c.Env {
		if e.Name == "KEYPAD_CONFIG" {
			file = e.Value
		}
	}
	var vol string
	for _, m := range c.VolumeMounts {
		if m.MountPath == path.Dir(file) {
			vol = m.Name
		}
	}
	var fromMap string
	for _, v := range pt.Spec.Volumes {
		if v.Name == vol && v.ConfigMap != nil {
			fromMap = v.ConfigMap.Name
		}
	}
	text, ok := cm.Data[path.Base(file)]
	if fromMap != cm.Metadata.Name || !ok {
		t.Fatalf("container %s: KEYPAD_CONFIG %q is not a key of the ConfigMap %q mounted there", c.Name, file, cm.Metadata.Name)
	}
	local := filepath.Join(t.TempDir(), "keypad.yaml")
	if err := os.WriteFile(local, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for k, v := range secret.StringData {
		env[k] = v
	}
	for _, want := range []string{"KEYPAD_SECRET", "KEYPAD_DB"} {
		if env[want] == "" {
			t.Errorf("the Secret has no %s", want)
		}
	}
	env["KEYPAD_SECRET"] = strings.Repeat("x", 32) // the placeholder stands for one
	cfg, err := config.Load(config.Sources{File: local, LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if err != nil {
		t.Fatalf("keypad refuses the ConfigMap's settings with the Secret's variables: %v", err)
	}
	if !strings.HasPrefix(cfg.DB, "postgres://") || !strings.HasPrefix(cfg.Issuer, "https://") || cfg.Web.ClientIPHeader == "" {
		t.Errorf("config db %q, issuer %q, client_ip_header %q: want PostgreSQL, an https issuer and the proxy's header",
			config.RedactDB(cfg.DB), cfg.Issuer, cfg.Web.ClientIPHeader)
	}
}

func subset(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}
