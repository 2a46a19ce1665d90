package storetest

import (
	"testing"
	"time"

	"github.com/keypadauth/keypad"
)

// testImportJobs pins keypad.ImportJobStore.
func testImportJobs(t *testing.T, newStore func(*testing.T) keypad.Store) {
	s := newStore(t)
	ctx := t.Context()
	j := &keypad.ImportJob{ID: "imp_1", ClientID: "ops", Format: "csv", Status: keypad.ImportRunning, CreatedAt: t0, UpdatedAt: t0}
	must(t, s.CreateImportJob(ctx, j))
	mustBeErrConflict(t, s.CreateImportJob(ctx, j))
	got, err := s.GetImportJob(ctx, "imp_1")
	must(t, err)
	mustEqual(t, "new job", got, j)

	read := j.UpdatedAt
	j.Rows, j.Created, j.Updated, j.Unchanged, j.Bad = 5, 2, 1, 1, 1
	j.Errors = []keypad.ImportRowError{{Line: 3, Field: "phone", Reason: "is not a valid phone number"}}
	j.Status, j.Error, j.UpdatedAt = keypad.ImportFailed, "stopped", t0.Add(time.Second)
	must(t, s.UpdateImportJob(ctx, j, read))
	got, err = s.GetImportJob(ctx, "imp_1")
	must(t, err)
	mustEqual(t, "updated job", got, j)
	mustBeErr(t, s.UpdateImportJob(ctx, j, read), keypad.ErrStale)
	mustBeErrNotFound(t, s.UpdateImportJob(ctx, &keypad.ImportJob{ID: "nope"}, read))
	_, err = s.GetImportJob(ctx, "nope")
	mustBeErrNotFound(t, err)
}
