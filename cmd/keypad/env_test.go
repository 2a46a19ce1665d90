package main

import (
	"context"
	"strings"
	"testing"
)

// TestWarnsUnknownEnv checks that a misspelt KEYPAD_ variable is reported
// on standard error instead of silently ignored.
func TestWarnsUnknownEnv(t *testing.T) {
	e := sqliteBackend.env(t)
	m, _, errOut := newMain(e, "")
	m.Environ = func() []string { return []string{"KEYPAD_ACESS_TTL=2h", "KEYPAD_DB=ignored-here"} }
	if err := m.Run(context.Background(), []string{"migrate"}); err != nil {
		t.Fatalf("keypad migrate: %v", err)
	}
	want := "keypad: warning: KEYPAD_ACESS_TTL is not a keypad setting and is ignored (did you mean KEYPAD_ACCESS_TTL?)"
	if got := errOut.String(); !strings.Contains(got, want) || strings.Contains(got, "KEYPAD_DB") {
		t.Errorf("stderr = %q, want only %q", got, want)
	}
}
