// Package importer loads people from a customer file (CSV or JSON Lines,
// read by identifier.Reader) into a keypad.SubjectStore: the pipeline
// behind `keypad user import`, shared by anything else that imports
// (an HTTP upload, a test).
//
// The pipeline streams: it reads and normalises one batch of rows, in
// parallel, while the previous batch goes into the store in one
// transaction (SubjectStore.UpsertSubjects), so any file size takes the
// memory of a few batches. It is idempotent: people are matched by
// external ID and a new person's keypad ID is derived from it
// (SubjectIDFor), so importing the same file again changes nothing.
// Rows that cannot be read, normalised or stored are reported, with
// their line number, as *identifier.RowError values and skipped.
//
// Ownership: the importer writes people only through UpsertSubjects and
// holds no state between runs.
package importer
