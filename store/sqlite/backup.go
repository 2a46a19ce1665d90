package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/keypadauth/keypad/store/sqlstore"
)

// Snapshot describes a backup file keypad checked.
type Snapshot struct {
	// SchemaVersion is the version of the schema the file holds.
	SchemaVersion int
	// LatestVersion is the version this keypad needs; a restored file
	// below it wants `keypad migrate`.
	LatestVersion int
	// Bytes is the file's size.
	Bytes int64
}

// Backup writes a consistent copy of st's database to the new file dst
// while keypad may keep serving on it (sqlstore.Store.BackupInto), checks
// the copy (PRAGMA integrity_check, a keypad schema) and only then puts
// it in place. An existing dst is refused unless force; dst never holds a
// half-written backup.
func Backup(ctx context.Context, st *sqlstore.Store, dst string, force bool) (Snapshot, error) {
	if !force {
		if _, err := os.Lstat(dst); err == nil {
			return Snapshot{}, fmt.Errorf("backup file %s exists: choose a new name, or add --force to replace it", dst)
		}
	}
	// An empty file is one VACUUM INTO may write; made here, it gets
	// mode 0600 (the database holds sealed keys and hashes).
	tmp, err := os.CreateTemp(filepath.Dir(dst), filepath.Base(dst)+".*.partial")
	if err != nil {
		return Snapshot{}, fmt.Errorf("backup: %w", err)
	}
	tmpName := tmp.Name()
	tmp.Close()
	defer os.Remove(tmpName)
	if err := st.BackupInto(ctx, tmpName); err != nil {
		return Snapshot{}, err
	}
	snap, err := inspect(ctx, tmpName)
	if err != nil {
		return Snapshot{}, fmt.Errorf("backup made a file that fails its check: %w", err)
	}
	if err := syncFile(tmpName); err != nil {
		return Snapshot{}, err
	}
	if force {
		err = os.Rename(tmpName, dst)
	} else {
		// A link fails if dst appeared meanwhile: nothing is overwritten.
		err = os.Link(tmpName, dst)
	}
	if err != nil {
		return Snapshot{}, fmt.Errorf("backup: put the backup in place: %w", err)
	}
	return snap, syncDir(filepath.Dir(dst))
}

// Restore makes the backup file src the database at dst. It copies src
// next to dst and checks the copy first (integrity, a keypad schema no
// newer than this keypad), so a bad backup never replaces a database.
// An existing dst is refused unless force; with force it must not be in
// use (no keypad may have it open: Restore takes it over exclusively
// and fails if it cannot), and it is kept beside dst as
// dst.before-restore-<UTC time>, returned in kept. src is not changed.
func Restore(ctx context.Context, src, dst string, force bool, now time.Time) (snap Snapshot, kept string, err error) {
	fi, err := os.Stat(src)
	if err != nil {
		return Snapshot{}, "", fmt.Errorf("restore: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return Snapshot{}, "", fmt.Errorf("restore: %s is not a file", src)
	}
	_, statErr := os.Lstat(dst)
	exists := statErr == nil
	if exists && !force {
		return Snapshot{}, "", fmt.Errorf("database %s exists: stop every keypad using it, then restore with --force to replace it (the current database is kept beside it)", dst)
	}
	if !exists {
		for _, side := range []string{dst + "-wal", dst + "-shm"} {
			if _, err := os.Lstat(side); err == nil {
				return Snapshot{}, "", fmt.Errorf("restore: %s is left over from an earlier database at %s: move it away first", side, dst)
			}
		}
	}
	tmpName, err := copyBeside(src, dst)
	if err != nil {
		return Snapshot{}, "", err
	}
	defer os.Remove(tmpName)
	if snap, err = inspect(ctx, tmpName); err != nil {
		return Snapshot{}, "", fmt.Errorf("restore %s: %w", src, err)
	}
	if snap.SchemaVersion > snap.LatestVersion {
		return Snapshot{}, "", fmt.Errorf("restore %s: its schema is at version %d, newer than this keypad understands (%d): restore with the keypad release that made it", src, snap.SchemaVersion, snap.LatestVersion)
	}
	if exists {
		if err := detach(ctx, dst); err != nil {
			return Snapshot{}, "", err
		}
		kept = dst + ".before-restore-" + now.UTC().Format("20060102T150405Z")
		if err := os.Rename(dst, kept); err != nil {
			return Snapshot{}, "", fmt.Errorf("restore: keep the current database: %w", err)
		}
	}
	if err := os.Rename(tmpName, dst); err != nil {
		return Snapshot{}, kept, fmt.Errorf("restore: put the backup in place: %w", err)
	}
	return snap, kept, syncDir(filepath.Dir(dst))
}

// detach makes sure nobody uses the database at path and folds its
// write-ahead log into it, leaving one self-contained file: switching out
// of WAL mode needs the database exclusively, so it fails while a keypad
// has it open.
func detach(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(0)")
	if err != nil {
		return fmt.Errorf("restore: open %s: %w", path, err)
	}
	defer db.Close()
	var mode string
	if err := db.QueryRowContext(ctx, `PRAGMA journal_mode=DELETE`).Scan(&mode); err != nil || !strings.EqualFold(mode, "delete") {
		if err == nil {
			err = fmt.Errorf("journal mode stayed %q", mode)
		}
		return fmt.Errorf("database %s is in use (is keypad running on it?): stop every keypad using it, then restore again (%v)", path, err)
	}
	return nil
}

// inspect checks that the file at path is an intact keypad database. It
// opens it as keypad does, so it may add and remove a -wal file beside it.
func inspect(ctx context.Context, path string) (Snapshot, error) {
	st, err := Open(ctx, path)
	if err != nil {
		return Snapshot{}, err
	}
	defer st.Close()
	rows, err := st.DB().QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return Snapshot{}, fmt.Errorf("integrity check: %w (is it a SQLite database?)", err)
	}
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			rows.Close()
			return Snapshot{}, fmt.Errorf("integrity check: %w", err)
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return Snapshot{}, fmt.Errorf("integrity check: %w", err)
	}
	if len(problems) > 0 {
		return Snapshot{}, fmt.Errorf("integrity check failed: %s", strings.Join(problems, "; "))
	}
	var snap Snapshot
	if snap.SchemaVersion, err = st.SchemaVersion(ctx); err != nil {
		return Snapshot{}, err
	}
	if snap.SchemaVersion == 0 {
		return Snapshot{}, fmt.Errorf("it is not a keypad database (it has no schema version)")
	}
	if snap.LatestVersion, err = st.LatestVersion(); err != nil {
		return Snapshot{}, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return Snapshot{}, err
	}
	snap.Bytes = fi.Size()
	return snap, nil
}

// copyBeside copies src to a new temporary file in dst's directory, so the
// final rename cannot cross file systems.
func copyBeside(src, dst string) (string, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", fmt.Errorf("restore: %w", err)
	}
	defer in.Close()
	out, err := os.CreateTemp(filepath.Dir(dst), filepath.Base(dst)+".*.restoring")
	if err != nil {
		return "", fmt.Errorf("restore: %w", err)
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(out.Name())
		return "", fmt.Errorf("restore: copy %s: %w", src, err)
	}
	return out.Name(), nil
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	return errors.Join(err, f.Close())
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
