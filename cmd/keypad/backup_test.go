package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// tokenLoad issues client_credentials tokens through a running keypad and
// remembers those it got.
type tokenLoad struct {
	url, id, secret string
	mu              sync.Mutex
	got             []string
}

func (l *tokenLoad) post(path string, form url.Values) (map[string]any, error) {
	req, err := http.NewRequest(http.MethodPost, l.url+path, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(l.id), url.QueryEscape(l.secret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("POST %s: %d %v", path, resp.StatusCode, body)
	}
	return body, nil
}

func (l *tokenLoad) issue() error {
	body, err := l.post("/oauth2/token", url.Values{"grant_type": {"client_credentials"}})
	if err != nil {
		return err
	}
	tok, _ := body["access_token"].(string)
	l.mu.Lock()
	l.got = append(l.got, tok)
	l.mu.Unlock()
	return nil
}

func (l *tokenLoad) issued() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.got...)
}

func (l *tokenLoad) active(t *testing.T, tok string) bool {
	t.Helper()
	body, err := l.post("/oauth2/introspect", url.Values{"token": {tok}})
	if err != nil {
		t.Fatal(err)
	}
	return body["active"] == true
}

// TestBackupWhileServing backs up a keypad that keeps issuing (stored,
// opaque) tokens, restores the backup into a new database and serves it:
// every token issued before the backup started is still valid there, and
// one issued after the backup ended is not.
func TestBackupWhileServing(t *testing.T) {
	dir := t.TempDir()
	e := env{"KEYPAD_DB": "sqlite:" + filepath.Join(dir, "keypad.db"), "KEYPAD_SECRET_FILE": filepath.Join(dir, "keypad.secret")}
	mustRun(t, e, "", "migrate")
	c := mustJSON[clientJSON](t, e, "client", "create", "--name", "svc", "--grant-types", "client_credentials",
		"--token-format", "opaque", "--json")
	s := startServe(t, e)
	load := &tokenLoad{url: s.srv.URL(), id: c.ClientID, secret: c.ClientSecret}
	for range 20 {
		if err := load.issue(); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	errs := make(chan error, 3)
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := load.issue(); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	before := load.issued()
	backup := filepath.Join(dir, "backup.db")
	out := mustRun(t, e, "", "backup", backup)
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("issuing tokens during the backup: %v", err)
	}
	if !strings.Contains(out, "backed up database") || !strings.Contains(out, "server secret") {
		t.Errorf("backup printed %q", out)
	}
	if err := load.issue(); err != nil {
		t.Fatal(err)
	}
	all := load.issued()
	after := all[len(all)-1]
	if _, err := run(t, e, "", "backup", backup); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("a second backup to the same file = %v, want a refusal naming --force", err)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}

	re := e.with("KEYPAD_DB", "sqlite:"+filepath.Join(t.TempDir(), "restored.db"))
	if out := mustRun(t, re, "", "restore", backup); !strings.Contains(out, "restored "+backup) {
		t.Errorf("restore printed %q", out)
	}
	s2 := startServe(t, re)
	load.url = s2.srv.URL()
	for _, tok := range before {
		if !load.active(t, tok) {
			t.Fatalf("a token issued before the backup started is not active after the restore (of %d issued, %d before)", len(all), len(before))
		}
	}
	if load.active(t, after) {
		t.Error("a token issued after the backup ended is active in the restored database")
	}
	t.Logf("%d tokens issued before the backup, %d in all", len(before), len(all))

	// Restoring over the served database is refused while keypad runs.
	if _, err := run(t, re, "", "restore", "--force", backup); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("restore --force while keypad serves = %v, want a refusal saying the database is in use", err)
	}
}

func TestBackupOnPostgres(t *testing.T) {
	e := freshPostgres(t)
	mustRun(t, e, "", "migrate")
	file := filepath.Join(t.TempDir(), "backup.db")
	for _, cmd := range []string{"backup", "restore"} {
		_, err := run(t, e, "", cmd, file)
		if err == nil || !strings.Contains(err.Error(), "pg_dump") {
			t.Errorf("keypad %s on PostgreSQL = %v, want an error pointing to pg_dump", cmd, err)
		}
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("keypad backup on PostgreSQL wrote %s", file)
	}
}

func TestBackupWithoutDatabase(t *testing.T) {
	e := sqliteBackend.env(t)
	path := strings.TrimPrefix(e["KEYPAD_DB"], "sqlite:")
	if _, err := run(t, e, "", "backup", filepath.Join(t.TempDir(), "b.db")); err == nil || !strings.Contains(err.Error(), "no database to back up") {
		t.Errorf("backup of a missing database = %v", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("backup of a missing database created %s", path)
	}
}
