-- subject_identifiers loses what a bulk import paid for on every
-- identifier it wrote (docs/performance.md):
--   * the index by subject_id: the store finds a person's rows by their
--     keys, which subjects.identifiers lists (sqlstore/identkeys.go);
--   * the foreign key to subjects, whose trigger looked the person up
--     for every identifier inserted, and guarded nothing the store does
--     not already do: identifiers are written in the same transaction as
--     their person, and DeleteSubject deletes them.
DROP INDEX IF EXISTS subject_identifiers_subject;
ALTER TABLE subject_identifiers DROP CONSTRAINT IF EXISTS subject_identifiers_subject_id_fkey;
