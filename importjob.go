package keypad

import (
	"context"
	"time"
)

// Statuses of an ImportJob.
const (
	ImportRunning   = "running"
	ImportSucceeded = "succeeded"
	ImportFailed    = "failed"
)

// ImportJob is a bulk import of people sent to the admin API: its
// progress while it runs, its counts and its bad rows after.
type ImportJob struct {
	ID string
	// ClientID is the admin client that sent the file.
	ClientID string
	// Format is csv or jsonl.
	Format string
	// Status is ImportRunning, ImportSucceeded or ImportFailed.
	Status string
	// The counts so far (all of them once it ended): rows read, people
	// created, updated and unchanged, rows skipped as bad.
	Rows, Created, Updated, Unchanged, Bad int
	// Errors are the first bad rows, in file order.
	Errors []ImportRowError
	// Error says why a failed import stopped.
	Error     string
	CreatedAt time.Time
	// UpdatedAt moves with every report of progress: a running job whose
	// UpdatedAt is old was cut off (its server stopped).
	UpdatedAt time.Time
}

// ImportRowError is a row an import skipped: its line in the file, the
// column at fault ("" for the whole row) and why.
type ImportRowError struct {
	Line   int    `json:"line"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
}

// ImportJobStore keeps the admin API's import jobs.
type ImportJobStore interface {
	// CreateImportJob stores a new job. Returns ErrConflict if the ID is
	// taken.
	CreateImportJob(ctx context.Context, j *ImportJob) error
	// GetImportJob returns a job, or ErrNotFound.
	GetImportJob(ctx context.Context, id string) (*ImportJob, error)
	// UpdateImportJob replaces a job if its UpdatedAt is still read.
	// Returns ErrNotFound, or ErrStale if it changed (another writer
	// declared it failed, say).
	UpdateImportJob(ctx context.Context, j *ImportJob, read time.Time) error
}
