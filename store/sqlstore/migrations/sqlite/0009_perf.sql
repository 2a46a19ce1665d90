-- subject_identifiers is rebuilt for bulk imports, which write five
-- identifiers a person (docs/performance.md):
--   * WITHOUT ROWID: its rows are the keys of its primary key, so a rowid
--     table beside that index stored every identifier twice and made
--     every insert write one more B-tree;
--   * no foreign key to subjects: it cost a lookup of the person for each
--     identifier inserted, and guarded nothing the store does not already
--     do: identifiers are written in the same transaction as their
--     person, and DeleteSubject deletes them explicitly.
CREATE TABLE subject_identifiers_by_key (
    type       TEXT NOT NULL,
    value      TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    PRIMARY KEY (type, value, subject_id)
) WITHOUT ROWID;
INSERT INTO subject_identifiers_by_key (type, value, subject_id)
    SELECT type, value, subject_id FROM subject_identifiers;
DROP TABLE subject_identifiers;
ALTER TABLE subject_identifiers_by_key RENAME TO subject_identifiers;
CREATE INDEX subject_identifiers_subject ON subject_identifiers (subject_id);
