package sqlite_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/store/sqlite"
)

var restoreNow = time.Date(2026, time.March, 1, 12, 0, 0, 0, time.UTC)

// writeLoad keeps writing until stop is closed: each step is one
// two-table transaction (a subject and its identifier rows) and a token.
// It returns, after stop, the IDs whose writes returned, in order.
type writeLoad struct {
	mu        sync.Mutex
	committed []string
	reached   map[int]chan struct{}
}

func (l *writeLoad) record(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.committed = append(l.committed, id)
	if ch, ok := l.reached[len(l.committed)]; ok {
		close(ch)
		delete(l.reached, len(l.committed))
	}
}

// at returns a channel closed once n writes have returned.
func (l *writeLoad) at(n int) <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	ch := make(chan struct{})
	if len(l.committed) >= n {
		close(ch)
		return ch
	}
	l.reached[n] = ch
	return ch
}

func (l *writeLoad) snapshot() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.committed...)
}

func TestBackupUnderLoad(t *testing.T) {
	dir := t.TempDir()
	s := open(t, filepath.Join(dir, "keypad.db"))
	load := &writeLoad{reached: map[int]chan struct{}{}}
	stop := make(chan struct{})
	errs := make(chan error, 4)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("sub-%d-%d", w, i)
				sub := &keypad.Subject{ID: id, Name: id}
				sub.SetIdentifiers([]keypad.Identifier{
					{Type: keypad.IdentifierPhone, Value: fmt.Sprintf("+1555%d%06d", w, i)},
					{Type: keypad.IdentifierAccount, Value: id},
				})
				if err := s.CreateSubject(t.Context(), sub); err != nil {
					errs <- err
					return
				}
				if err := s.CreateToken(t.Context(), &keypad.Token{Hash: keypad.SecretHash("kp_rt_" + id),
					Kind: keypad.KindRefresh, ClientID: "c", Subject: id, GrantID: "g-" + id}); err != nil {
					errs <- err
					return
				}
				load.record(id)
			}
		})
	}
	<-load.at(300)
	before := load.snapshot()
	backup := filepath.Join(dir, "backup.db")
	snap, err := sqlite.Backup(t.Context(), s, backup, false)
	if err != nil {
		t.Fatal(err)
	}
	<-load.at(len(load.snapshot()) + 100) // writers went on after the backup
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("writer: %v", err)
	}
	all := load.snapshot()
	if snap.SchemaVersion != snap.LatestVersion || snap.Bytes == 0 {
		t.Errorf("backup snapshot = %+v, want the latest schema and some bytes", snap)
	}

	restored := filepath.Join(t.TempDir(), "restored.db")
	rsnap, kept, err := sqlite.Restore(t.Context(), backup, restored, false, restoreNow)
	if err != nil {
		t.Fatal(err)
	}
	if kept != "" || rsnap.SchemaVersion != snap.SchemaVersion {
		t.Errorf("restore into an absent file = %+v, kept %q", rsnap, kept)
	}
	r := open(t, restored)
	var integrity string
	if err := r.DB().QueryRowContext(t.Context(), `PRAGMA integrity_check`).Scan(&integrity); err != nil || integrity != "ok" {
		t.Fatalf("restored database integrity_check = %q, %v", integrity, err)
	}
	// Every write that returned before the backup started is there, with
	// both halves of its transaction and its token.
	for _, id := range before {
		found, err := r.FindSubjects(t.Context(), keypad.Identifier{Type: keypad.IdentifierAccount, Value: id})
		if err != nil || len(found) != 1 {
			t.Fatalf("subject %s, committed before the backup, found %d times in the restore: %v", id, len(found), err)
		}
		if _, err := r.GetToken(t.Context(), keypad.SecretHash("kp_rt_"+id)); err != nil {
			t.Fatalf("token of %s, committed before the backup: %v", id, err)
		}
	}
	// No transaction is there by halves: every subject has both its
	// identifier rows, and no identifier row lacks its subject.
	var halves int
	if err := r.DB().QueryRowContext(t.Context(), `SELECT
		(SELECT count(*) FROM subjects s WHERE (SELECT count(*) FROM subject_identifiers i WHERE i.subject_id = s.id) <> 2) +
		(SELECT count(*) FROM subject_identifiers i WHERE NOT EXISTS (SELECT 1 FROM subjects s WHERE s.id = i.subject_id))`).Scan(&halves); err != nil {
		t.Fatal(err)
	}
	if halves != 0 {
		t.Errorf("restored database holds %d half-written subjects", halves)
	}
	var n int
	if err := r.DB().QueryRowContext(t.Context(), `SELECT count(*) FROM subjects`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n < len(before) || n > len(all) {
		t.Errorf("restored %d subjects; %d were committed before the backup and %d in all", n, len(before), len(all))
	}
	t.Logf("backup of %d bytes: %d subjects committed before it, %d in it, %d in all", snap.Bytes, len(before), n, len(all))
}

func TestBackupRefusesExistingFile(t *testing.T) {
	dir := t.TempDir()
	s := open(t, filepath.Join(dir, "keypad.db"))
	backup := filepath.Join(dir, "backup.db")
	writeFileT(t, backup, "precious")
	if _, err := sqlite.Backup(t.Context(), s, backup, false); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("backup over an existing file = %v, want a refusal naming --force", err)
	}
	if b, _ := os.ReadFile(backup); string(b) != "precious" {
		t.Fatalf("a refused backup changed the existing file to %q", b)
	}
	if _, err := sqlite.Backup(t.Context(), s, backup, true); err != nil {
		t.Fatalf("backup --force: %v", err)
	}
	if b, _ := os.ReadFile(backup); !strings.HasPrefix(string(b), "SQLite format 3") {
		t.Fatalf("backup --force did not replace the file with a database")
	}
	// The backup holds sealed keys and hashes: for keypad's user only.
	if fi, err := os.Stat(backup); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("backup file mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, "*.partial*"))
	if len(leftovers) > 0 {
		t.Errorf("backup left temporary files: %v", leftovers)
	}
}

func TestRestore(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, "keypad.db")
	s := open(t, live)
	if err := s.CreateClient(t.Context(), &keypad.Client{ID: "in-backup", Name: "x", TokenFormat: keypad.FormatJWT}); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(dir, "backup.db")
	if _, err := sqlite.Backup(t.Context(), s, backup, false); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateClient(t.Context(), &keypad.Client{ID: "after-backup", Name: "y", TokenFormat: keypad.FormatJWT}); err != nil {
		t.Fatal(err)
	}

	t.Run("ErrTargetExists", func(t *testing.T) {
		_, _, err := sqlite.Restore(t.Context(), backup, live, false, restoreNow)
		if err == nil || !strings.Contains(err.Error(), "--force") {
			t.Fatalf("restore over an existing database = %v, want a refusal naming --force", err)
		}
	})
	t.Run("ErrInUse", func(t *testing.T) {
		_, _, err := sqlite.Restore(t.Context(), backup, live, true, restoreNow)
		if err == nil || !strings.Contains(err.Error(), "in use") {
			t.Fatalf("restore --force over a database keypad has open = %v, want a refusal saying it is in use", err)
		}
		if _, err := s.GetClient(t.Context(), "after-backup"); err != nil {
			t.Fatalf("a refused restore disturbed the live database: %v", err)
		}
	})
	t.Run("ErrNotADatabase", func(t *testing.T) {
		junk := filepath.Join(t.TempDir(), "junk.db")
		writeFileT(t, junk, strings.Repeat("not sqlite ", 1000))
		target := filepath.Join(t.TempDir(), "new.db")
		if _, _, err := sqlite.Restore(t.Context(), junk, target, false, restoreNow); err == nil {
			t.Fatal("restore of a file that is not a database succeeded")
		}
		if _, err := os.Stat(target); !os.IsNotExist(err) {
			t.Errorf("a refused restore created %s", target)
		}
	})
	t.Run("ErrCorrupt", func(t *testing.T) {
		b, err := os.ReadFile(backup)
		if err != nil {
			t.Fatal(err)
		}
		// Scribble over the middle pages, keeping the header intact.
		for i := 4096 * 2; i < len(b)-4096 && i < 4096*6; i++ {
			b[i] = 0x5a
		}
		bad := filepath.Join(t.TempDir(), "bad.db")
		writeFileT(t, bad, string(b))
		target := filepath.Join(t.TempDir(), "new.db")
		if _, _, err := sqlite.Restore(t.Context(), bad, target, false, restoreNow); err == nil {
			t.Fatal("restore of a corrupted backup succeeded")
		}
		if _, err := os.Stat(target); !os.IsNotExist(err) {
			t.Errorf("a refused restore created %s", target)
		}
	})
	t.Run("ErrNotKeypad", func(t *testing.T) {
		other := filepath.Join(t.TempDir(), "other.db")
		o, err := sqlite.Open(t.Context(), other)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := o.DB().ExecContext(t.Context(), `CREATE TABLE x (y TEXT)`); err != nil {
			t.Fatal(err)
		}
		o.Close()
		_, _, err = sqlite.Restore(t.Context(), other, filepath.Join(t.TempDir(), "new.db"), false, restoreNow)
		if err == nil || !strings.Contains(err.Error(), "not a keypad database") {
			t.Fatalf("restore of another application's database = %v, want a refusal", err)
		}
	})
	t.Run("ErrNewerSchema", func(t *testing.T) {
		newer := filepath.Join(t.TempDir(), "newer.db")
		if _, err := sqlite.Backup(t.Context(), s, newer, false); err != nil {
			t.Fatal(err)
		}
		n := open(t, newer)
		if _, err := n.DB().ExecContext(t.Context(), `INSERT INTO schema_version (version) VALUES (1000)`); err != nil {
			t.Fatal(err)
		}
		n.Close()
		_, _, err := sqlite.Restore(t.Context(), newer, filepath.Join(t.TempDir(), "new.db"), false, restoreNow)
		if err == nil || !strings.Contains(err.Error(), "newer than this keypad") {
			t.Fatalf("restore of a newer schema = %v, want a refusal", err)
		}
	})
	t.Run("ForceKeepsTheOld", func(t *testing.T) {
		s.Close() // keypad stopped
		snap, kept, err := sqlite.Restore(t.Context(), backup, live, true, restoreNow)
		if err != nil {
			t.Fatal(err)
		}
		if want := live + ".before-restore-20260301T120000Z"; kept != want {
			t.Errorf("kept the old database as %q, want %q", kept, want)
		}
		if snap.SchemaVersion != snap.LatestVersion {
			t.Errorf("restored schema version %d, want %d", snap.SchemaVersion, snap.LatestVersion)
		}
		r := open(t, live)
		if _, err := r.GetClient(t.Context(), "in-backup"); err != nil {
			t.Errorf("restored database lacks the client made before the backup: %v", err)
		}
		if _, err := r.GetClient(t.Context(), "after-backup"); err == nil {
			t.Error("restored database holds the client made after the backup")
		}
		for _, pattern := range []string{"*.restoring*", "*.partial*"} {
			if left, _ := filepath.Glob(filepath.Join(dir, pattern)); len(left) > 0 {
				t.Errorf("restore left temporary files: %v", left)
			}
		}
		old := open(t, kept)
		if _, err := old.GetClient(t.Context(), "after-backup"); err != nil {
			t.Errorf("the kept database lost the client made after the backup: %v", err)
		}
	})
}

func writeFileT(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
