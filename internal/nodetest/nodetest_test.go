package nodetest

import (
	"encoding/json"
	"testing"
)

// TestPinnedVersions checks that the installed clients are the versions the
// lockfile pins, so an interop test names what it really ran against.
func TestPinnedVersions(t *testing.T) {
	out := Run(t, "testdata/versions.mjs")
	var got map[string]string
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("versions.mjs printed %q: %v", out, err)
	}
	if got["openid-client"] != "6.8.9" || got["oauth4webapi"] != "3.8.8" {
		t.Fatalf("installed %v, want openid-client 6.8.9 and oauth4webapi 3.8.8", got)
	}
}
