package config

import (
	"strings"
	"testing"
)

func TestUnknownEnv(t *testing.T) {
	got := UnknownEnv([]string{
		"KEYPAD_ACESS_TTL=2h", "KEYPAD_ACCESS_TTL=1h", "KEYPAD_CONFIG=k.yaml", "KEYPAD_TEST_POSTGRES=x",
		"KEYPAD_FROBNICATE=kp_cs_secret", "PATH=/bin", "KEYPAD_SECRET=s",
	})
	if len(got) != 2 {
		t.Fatalf("UnknownEnv = %q, want warnings for KEYPAD_ACESS_TTL and KEYPAD_FROBNICATE only", got)
	}
	if !strings.Contains(got[0], "KEYPAD_ACESS_TTL is not a keypad setting") || !strings.Contains(got[0], "did you mean KEYPAD_ACCESS_TTL?") {
		t.Errorf("warning = %q, want it to name KEYPAD_ACESS_TTL and suggest KEYPAD_ACCESS_TTL", got[0])
	}
	if !strings.Contains(got[1], "KEYPAD_FROBNICATE") || strings.Contains(got[1], "kp_cs_secret") {
		t.Errorf("warning = %q, want the name without the value", got[1])
	}
}

// TestDurationErrorInTypedUnit checks that an out-of-range duration is
// quoted as typed, with the bounds in the same unit, as the help says
// them (access_ttl: 1m to 24h).
func TestDurationErrorInTypedUnit(t *testing.T) {
	tests := []struct {
		name, env, want string
	}{
		{"Hours", "48h", "access_ttl: 48h is out of range: allowed 1m to 24h"},
		{"Days", "2d", "access_ttl: 2d is out of range: allowed 1m to 1d"},
		{"Minutes", "1500m", "access_ttl: 1500m is out of range: allowed 1m to 24h"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(Sources{LookupEnv: envMap(map[string]string{"KEYPAD_ACCESS_TTL": tt.env})})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load = %v, want %q", err, tt.want)
			}
		})
	}
	_, err := Load(Sources{Flags: flags(t, "--access-ttl", "48h")})
	if err == nil || !strings.Contains(err.Error(), "48h is out of range: allowed 1m to 24h") {
		t.Errorf("Load(--access-ttl 48h) = %v", err)
	}
	for _, k := range Keys {
		if k.Name == "access_ttl" && !strings.Contains(k.Help, "1m to 24h") {
			t.Errorf("access_ttl help %q does not say 1m to 24h", k.Help)
		}
	}
}
