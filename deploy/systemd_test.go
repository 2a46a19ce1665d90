package deploy_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// unitSettings reads a systemd unit's Key=Value lines (the last of a
// repeated key wins, as for most settings).
func unitSettings(text string) map[string][]string {
	out := map[string][]string{}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "[") {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		out[k] = append(out[k], v)
	}
	return out
}

func TestSystemdUnit(t *testing.T) {
	unit := read(t, "systemd/keypad.service")
	s := unitSettings(unit)
	for k, want := range map[string]string{
		"DynamicUser": "yes", "StateDirectory": "keypad", "ProtectSystem": "strict", "NoNewPrivileges": "yes",
		"ProtectHome": "yes", "PrivateTmp": "yes", "PrivateDevices": "yes", "CapabilityBoundingSet": "",
		"ExecStartPre": "/usr/local/bin/keypad migrate", "ExecStart": "/usr/local/bin/keypad serve",
		"KillSignal": "SIGTERM",
	} {
		if got := s[k]; len(got) == 0 || got[len(got)-1] != want {
			t.Errorf("%s=%v, want %q", k, got, want)
		}
	}
	if db := s["Environment"]; !strings.Contains(strings.Join(db, " "), "KEYPAD_DB=sqlite:///var/lib/keypad/keypad.db") {
		t.Errorf("Environment %v does not put the SQLite database in the StateDirectory", db)
	}

	analyze := need(t, "systemd-analyze", "systemd")
	// verify checks that the binary exists: point the unit at the one the
	// Dockerfile's build command makes.
	bin := builtBinary(t)
	local := filepath.Join(t.TempDir(), "keypad.service")
	if err := os.WriteFile(local, []byte(strings.ReplaceAll(unit, "/usr/local/bin/keypad", bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", local).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	// The exposure score: 0 is locked down, 10 is not at all; fail above 2.
	out, err = exec.Command(analyze, "security", "--offline=true", "--threshold=20", local).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security --offline: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	t.Log(lines[len(lines)-1])
}
