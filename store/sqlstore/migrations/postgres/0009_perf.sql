-- subject_identifiers loses its foreign key to subjects: the key's
-- trigger looked the person up for every identifier inserted, a third of
-- a bulk import's time in the identifier index (docs/performance.md),
-- and guarded nothing the store does not already do: identifiers are
-- written in the same transaction as their person, and DeleteSubject
-- deletes them explicitly.
ALTER TABLE subject_identifiers DROP CONSTRAINT IF EXISTS subject_identifiers_subject_id_fkey;
