-- People (keypad.Subject) get the language they prefer for pages, texts
-- and emails (a BCP 47 tag; '' for the server's default_language), and a
-- disabled flag (SCIM's active: false): a disabled person signs in to
-- nothing and is found by no lookup. Both default to what rows made before
-- this version meant.
ALTER TABLE subjects ADD COLUMN preferred_language TEXT NOT NULL DEFAULT '';
ALTER TABLE subjects ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT FALSE;
