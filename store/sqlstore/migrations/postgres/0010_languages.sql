-- Scopes and clients describe themselves in more than one language
-- (keypad.Descriptions): a JSON object from BCP 47 tag to text, shown on
-- the consent page in the person's language; '{}' (none) for rows made
-- before this version, which keep their one description.
ALTER TABLE scopes ADD COLUMN descriptions TEXT NOT NULL DEFAULT '{}';
ALTER TABLE clients ADD COLUMN descriptions TEXT NOT NULL DEFAULT '{}';
