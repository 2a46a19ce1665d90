package admin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/identifier"
	"github.com/keypadauth/keypad/importer"
	"github.com/keypadauth/keypad/manage"
)

// Imports: a customer file (the columns of `keypad user import`) is
// uploaded, answered 202 with a job, and imported in the background by
// package importer; the job reports progress, then the counts and the
// bad rows by line.
const (
	// maxImportBody caps an upload: it is held in memory while it is
	// imported. Bigger files go through `keypad user import`.
	maxImportBody = 64 << 20
	// maxImportErrors bad rows are kept with their line; the count goes
	// on.
	maxImportErrors = 1000
	// importEvery rows apart a running job reports its progress.
	importEvery = 1000
	// importStaleAfter without progress, a running job was cut off (its
	// server stopped without ending it) and is reported failed.
	importStaleAfter = 2 * time.Minute
	// maxImportWait bounds a GET with ?wait=true, within the server's
	// write timeout.
	maxImportWait = 20 * time.Second
)

// importFormats maps the media types an upload may have to the
// importer's formats.
var importFormats = map[string]string{
	"text/csv":               identifier.FormatCSV,
	"application/jsonl":      identifier.FormatJSONL,
	"application/x-ndjson":   identifier.FormatJSONL,
	"application/jsonlines":  identifier.FormatJSONL,
	"application/x-jsonline": identifier.FormatJSONL,
}

// jobJSON is an import job.
type jobJSON struct {
	ID        string                  `json:"id"`
	Status    string                  `json:"status"`
	Format    string                  `json:"format"`
	Rows      int                     `json:"rows"`
	Created   int                     `json:"created"`
	Updated   int                     `json:"updated"`
	Unchanged int                     `json:"unchanged"`
	Bad       int                     `json:"bad"`
	Errors    []keypad.ImportRowError `json:"errors"`
	Error     string                  `json:"error,omitempty"`
	CreatedAt time.Time               `json:"created_at"`
	UpdatedAt time.Time               `json:"updated_at"`
}

func jobOf(j *keypad.ImportJob) jobJSON {
	errs := j.Errors
	if errs == nil {
		errs = []keypad.ImportRowError{}
	}
	return jobJSON{ID: j.ID, Status: j.Status, Format: j.Format, Rows: j.Rows, Created: j.Created, Updated: j.Updated,
		Unchanged: j.Unchanged, Bad: j.Bad, Errors: errs, Error: j.Error, CreatedAt: j.CreatedAt.UTC(), UpdatedAt: j.UpdatedAt.UTC()}
}

// createImport starts importing the uploaded file: 202 with the job.
// The file's header is checked first, so a file of the wrong shape is a
// 400 and no job.
func (a *API) createImport(w http.ResponseWriter, r *http.Request) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	format, ok := importFormats[mt]
	if !ok {
		a.fail(w, r, problem(http.StatusUnsupportedMediaType, "unsupported-media-type",
			"send the file as text/csv or application/jsonl (JSON Lines), with the columns of `keypad user import`"))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxImportBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		a.fail(w, r, problem(http.StatusRequestEntityTooLarge, "too-large",
			fmt.Sprintf("the file is larger than %d MiB: split it, or import it with `keypad user import`", maxImportBody>>20)))
		return
	case err != nil:
		a.fail(w, r, problem(http.StatusBadRequest, "malformed", "the file could not be read: "+err.Error()))
		return
	}
	rd, err := identifier.NewReader(bytes.NewReader(body), format)
	if err != nil {
		a.fail(w, r, invalid("file", err.Error()))
		return
	}
	id, err := manage.NewID(a.rand, "imp_")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	now := keypad.NextUpdatedAt(time.Time{}, a.now())
	j := &keypad.ImportJob{ID: id, Format: format, Status: keypad.ImportRunning, CreatedAt: now, UpdatedAt: now}
	if c := callerOf(r); c != nil {
		j.ClientID = c.ClientID
	}
	if err := a.store.CreateImportJob(r.Context(), j); err != nil {
		a.fail(w, r, err)
		return
	}
	view := jobOf(j)
	a.jobs.Add(1)
	done := make(chan struct{})
	a.running.Store(id, done)
	go func() {
		defer a.running.Delete(id)
		defer close(done)
		a.runImport(j, rd)
	}()
	w.Header().Set("Location", Prefix+"imports/"+id)
	writeResource(w, http.StatusAccepted, versionTag(now), view)
}

// runImport imports a job's file and records its progress and end. The
// API's Close cancels it; the job then says the server stopped.
func (a *API) runImport(j *keypad.ImportJob, rd *identifier.Reader) {
	defer a.jobs.Done()
	ctx, cancel := context.WithCancel(a.ctx)
	defer cancel()
	read := j.UpdatedAt
	report := func(s importer.Stats, status, msg string) {
		j.Rows, j.Created, j.Updated, j.Unchanged, j.Bad = s.Rows, s.Created, s.Updated, s.Unchanged, s.Bad
		j.Status, j.Error = status, msg
		j.UpdatedAt = keypad.NextUpdatedAt(read, a.now())
		if err := a.store.UpdateImportJob(context.WithoutCancel(ctx), j, read); err != nil {
			// ErrStale: a reader found it silent too long and failed it;
			// anything else: the store is gone. Either way, stop.
			a.log.ErrorContext(ctx, "admin API: record import progress", "job", j.ID, "err", err)
			cancel()
			return
		}
		read = j.UpdatedAt
	}
	opts := importer.Options{
		Key: a.subjectKey, Now: a.now, Every: importEvery,
		Progress: func(s importer.Stats) { report(s, keypad.ImportRunning, "") },
		BadRow: func(err error) {
			if len(j.Errors) >= maxImportErrors {
				return
			}
			var re *identifier.RowError
			if errors.As(err, &re) {
				j.Errors = append(j.Errors, keypad.ImportRowError{Line: re.Line, Field: re.Field, Reason: re.Reason})
			}
		},
	}
	stats, err := importer.New(a.store, opts).Run(ctx, rd)
	var se *importer.StoreError
	switch {
	case err == nil:
		report(stats, keypad.ImportSucceeded, "")
	case a.ctx.Err() != nil:
		report(stats, keypad.ImportFailed, "the server stopped during the import; import the file again: people already in are updated, not duplicated")
	case ctx.Err() != nil:
		// Declared failed by a reader (or the store failed): already said.
	case errors.As(err, &se):
		a.log.ErrorContext(ctx, "admin API: import", "job", j.ID, "err", err)
		report(stats, keypad.ImportFailed, fmt.Sprintf(
			"the database failed while storing lines %d to %d (the lines before are in); import the file again: people already in are updated, not duplicated",
			se.FirstLine, se.LastLine))
	default:
		report(stats, keypad.ImportFailed, "the file could not be read on: "+err.Error())
	}
}

// getImport shows a job. With ?wait=true it first waits (up to
// maxImportWait) for a job this instance runs to end. A running job
// silent for importStaleAfter was cut off with its server: it is
// recorded and answered failed.
func (a *API) getImport(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	switch v := r.URL.Query(); {
	case len(v) > 1 || (len(v) == 1 && !v.Has("wait")):
		a.fail(w, r, invalid("wait", "is the only parameter of an import"))
		return
	case v.Has("wait") && v.Get("wait") != "true":
		a.fail(w, r, invalid("wait", "is true or left out"))
		return
	case v.Has("wait"):
		if done, ok := a.running.Load(id); ok {
			select {
			case <-done.(chan struct{}):
			case <-r.Context().Done():
			case <-time.After(maxImportWait):
			}
		}
	}
	j, err := a.store.GetImportJob(r.Context(), id)
	for err == nil && j.Status == keypad.ImportRunning && a.now().Sub(j.UpdatedAt) >= importStaleAfter {
		read := j.UpdatedAt
		j.Status = keypad.ImportFailed
		j.Error = "the import stopped reporting progress (its server stopped or restarted) and did not finish; import the file again: people already in are updated, not duplicated"
		j.UpdatedAt = keypad.NextUpdatedAt(read, a.now())
		if err = a.store.UpdateImportJob(r.Context(), j, read); errors.Is(err, keypad.ErrStale) {
			j, err = a.store.GetImportJob(r.Context(), id) // it moved on: look again
		}
	}
	if errors.Is(err, keypad.ErrNotFound) {
		err = problem(http.StatusNotFound, "not-found", fmt.Sprintf("no import %q", id))
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeResource(w, http.StatusOK, versionTag(j.UpdatedAt), jobOf(j))
}
