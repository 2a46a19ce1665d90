package main

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/keypadauth/keypad/store/sqlite"
)

// eventually polls cond until it holds, failing the test after ten
// seconds: a change made by the CLI reaches a running server's caches
// within the store's change bound (docs/scale-out.md), far below that.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not seen within 10s", what)
		}
		time.Sleep(10 * time.Millisecond) // polling a condition, not waiting for it
	}
}

// latestVersion is the schema version this binary migrates to.
func latestVersion(t *testing.T) int {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "v.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	v, err := st.LatestVersion()
	if err != nil {
		t.Fatal(err)
	}
	return v
}
