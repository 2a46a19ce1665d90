-- subject_identifiers is rebuilt for bulk imports, which write five
-- identifiers a person (docs/performance.md). Each change below removes
-- a B-tree insert or a lookup from every identifier an import writes:
--   * WITHOUT ROWID: its rows are the keys of its primary key, so a rowid
--     table beside that index stored every identifier twice;
--   * no index by subject_id: the store finds a person's rows by their
--     keys, which subjects.identifiers lists (sqlstore/identkeys.go);
--   * no foreign key to subjects: it looked the person up for each
--     identifier inserted, and guarded nothing the store does not already
--     do: identifiers are written in the same transaction as their
--     person, and DeleteSubject deletes them.
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
