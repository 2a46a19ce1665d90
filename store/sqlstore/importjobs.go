package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/keypadauth/keypad"
)

const importJobCols = `id, client_id, format, status, rows_read, created, updated, unchanged, bad, errors, error, created_at, updated_at`

func scanImportJob(r scanner) (*keypad.ImportJob, error) {
	var j keypad.ImportJob
	err := r.Scan(&j.ID, &j.ClientID, &j.Format, &j.Status, &j.Rows, &j.Created, &j.Updated, &j.Unchanged, &j.Bad,
		js(&j.Errors), &j.Error, tm(&j.CreatedAt), tm(&j.UpdatedAt))
	if err != nil {
		return nil, err
	}
	return &j, nil
}

// CreateImportJob stores a new job; ErrConflict if the ID is taken.
func (s *Store) CreateImportJob(ctx context.Context, j *keypad.ImportJob) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO import_jobs (`+importJobCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		j.ID, j.ClientID, j.Format, j.Status, j.Rows, j.Created, j.Updated, j.Unchanged, j.Bad,
		dbJSON(j.Errors), j.Error, dbTime(j.CreatedAt), dbTime(j.UpdatedAt))
	if err != nil {
		return insertErr(fmt.Sprintf("create import job %q", j.ID), err)
	}
	return nil
}

// GetImportJob returns a job, or ErrNotFound.
func (s *Store) GetImportJob(ctx context.Context, id string) (*keypad.ImportJob, error) {
	j, err := scanImportJob(s.db.QueryRowContext(ctx, `SELECT `+importJobCols+` FROM import_jobs WHERE id = $1`, id))
	if err != nil {
		return nil, readErr(fmt.Sprintf("get import job %q", id), err)
	}
	return j, nil
}

// UpdateImportJob replaces a job if its updated_at is still read;
// ErrNotFound, ErrStale.
func (s *Store) UpdateImportJob(ctx context.Context, j *keypad.ImportJob, read time.Time) error {
	what := fmt.Sprintf("update import job %q", j.ID)
	cond, args := versionCond(&read, []any{j.ID, j.Status, j.Rows, j.Created, j.Updated, j.Unchanged, j.Bad,
		dbJSON(j.Errors), j.Error, dbTime(j.UpdatedAt)})
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE import_jobs SET status = $2, rows_read = $3, created = $4, updated = $5,
			unchanged = $6, bad = $7, errors = $8, error = $9, updated_at = $10 WHERE id = $1`+cond, args...)
		return mustAffectIf(ctx, tx, what, "import_jobs", j.ID, res, err)
	})
}
