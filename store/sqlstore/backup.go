package sqlstore

import (
	"context"
	"errors"
	"fmt"
)

// ErrNoOnlineBackup is returned by BackupInto on a database that keypad
// does not back up itself: PostgreSQL has its own tools (pg_dump,
// continuous archiving), which see more than keypad can.
var ErrNoOnlineBackup = errors.New("keypad backs up only its embedded SQLite database: back up PostgreSQL with pg_dump or continuous archiving (docs/deployment.md#backups)")

// BackupInto writes a consistent copy of the whole database to the new
// file path (SQLite's VACUUM INTO) while keypad keeps serving: it reads
// one snapshot on a reader connection, so writers go on and the copy
// holds every transaction committed before it started and none that was
// half done. It fails if path exists.
func (s *Store) BackupInto(ctx context.Context, path string) error {
	if s.d != SQLite {
		return ErrNoOnlineBackup
	}
	if _, err := s.db.ExecContext(ctx, `VACUUM INTO $1`, path); err != nil {
		return fmt.Errorf("back up into %s: %w", path, dbErr(err))
	}
	return nil
}
