package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTemplatesCheck(t *testing.T) {
	e := migrated(t)
	out := mustRun(t, e, "", "templates", "check")
	for _, want := range []string{
		"sms.txt", "ciba-sms.txt", "All 6 texts fit one segment.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Spanish words need UCS-2; the story's text goes as GSM-7 without
	// the accents, in one segment.
	var es string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "sms.txt") && strings.Contains(line, " token ") && strings.Contains(line, " es ") {
			es = line
		}
	}
	if f := strings.Fields(es); len(f) < 7 || f[3] != "UCS-2" || f[4] != "GSM-7" || f[6] != "1" {
		t.Errorf("es sms.txt row %q: want words UCS-2, sent as GSM-7, one segment", es)
	}

	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "es"), 0o755); err != nil {
		t.Fatal(err)
	}
	long := "{{.Code}} {{.Client}} {{.ScopeText}} " + strings.Repeat("código ", 25)
	if err := os.WriteFile(filepath.Join(dir, "es", "sms.txt"), []byte(long), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, e, "", "templates", "check", "--dir", dir)
	if err == nil || !strings.Contains(err.Error(), "2 of 6 texts can exceed one SMS segment") {
		t.Errorf("check of a too-long template: err %v", err)
	}
	if !strings.Contains(out, "FAILS") {
		t.Errorf("output does not show the failing rows:\n%s", out)
	}
}
