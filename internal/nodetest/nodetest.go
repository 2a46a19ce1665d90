// Package nodetest runs independent OAuth clients written for Node.js
// (openid-client, oauth4webapi) from keypad's tests. The packages and
// their exact versions are pinned by js/package.json and js/package-lock.json;
// they are installed with `npm ci` once per lockfile into the user's cache
// directory, never into the repository.
//
// Without node and npm a test that needs them is skipped, or fails when
// KEYPAD_TEST_STRICT=1 asks that every component be present.
package nodetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"
)

// jsDir is where package.json and package-lock.json live, next to this file.
func jsDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "js")
}

var (
	installOnce sync.Once
	modulesDir  string
	installErr  error
)

// need skips or fails t when node or npm is missing.
func need(t testing.TB) {
	t.Helper()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			msg := tool + " is missing: apt-get install nodejs npm"
			if os.Getenv("KEYPAD_TEST_STRICT") == "1" {
				t.Fatal(msg + " (KEYPAD_TEST_STRICT=1 makes a missing component a failure)")
			}
			t.Skip(msg)
		}
	}
}

// install runs `npm ci` for the pinned lockfile into a cache directory
// named by the lockfile's hash, unless it is there already, and returns
// the node_modules directory. Concurrent test processes each install
// into a temporary directory and rename it into place; the first rename
// wins and the others use it.
func install() (string, error) {
	lock, err := os.ReadFile(filepath.Join(jsDir(), "package-lock.json"))
	if err != nil {
		return "", err
	}
	manifest, err := os.ReadFile(filepath.Join(jsDir(), "package.json"))
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(append(append([]byte{}, manifest...), lock...))
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	root := filepath.Join(cache, "keypad-nodetest")
	final := filepath.Join(root, hex.EncodeToString(sum[:8]))
	if _, err := os.Stat(filepath.Join(final, "node_modules")); err == nil {
		return filepath.Join(final, "node_modules"), nil
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(root, "install-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	for name, data := range map[string][]byte{"package.json": manifest, "package-lock.json": lock} {
		if err := os.WriteFile(filepath.Join(tmp, name), data, 0o644); err != nil {
			return "", err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts")
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("npm ci: %v\n%s", err, out)
	}
	if err := os.Rename(tmp, final); err != nil {
		if _, statErr := os.Stat(filepath.Join(final, "node_modules")); statErr != nil {
			return "", err
		}
	}
	return filepath.Join(final, "node_modules"), nil
}

// Run runs the ES module script (a path, usually under the caller's
// testdata) with node and args, with the pinned packages importable, and
// returns its standard output. A non-zero exit fails the test with the
// script's standard error.
func Run(t testing.TB, script string, args ...string) []byte {
	t.Helper()
	need(t)
	installOnce.Do(func() { modulesDir, installErr = install() })
	if installErr != nil {
		t.Fatalf("installing the pinned Node packages: %v", installErr)
	}
	src, err := os.ReadFile(script)
	if err != nil {
		t.Fatal(err)
	}
	// The script runs from a directory of its own whose node_modules is a
	// link to the installed packages, so its imports resolve to them.
	dir := t.TempDir()
	if err := os.Symlink(modulesDir, filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"type":"module"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, filepath.Base(script))
	if err := os.WriteFile(name, src, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", append([]string{name}, args...)...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node %s: %v\nstdout:\n%s\nstderr:\n%s", filepath.Base(script), err, stdout.Bytes(), stderr.Bytes())
	}
	return stdout.Bytes()
}
