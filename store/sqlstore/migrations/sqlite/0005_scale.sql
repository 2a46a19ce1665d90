-- One row per kind of cached state (keypad.Change): every write to that
-- state bumps its generation in the same transaction, so an instance
-- that polls the row (SQLite: the CLI and a server are two processes)
-- sees every change. PostgreSQL also notifies listeners (pg_notify).
CREATE TABLE cache_generations (
    name TEXT PRIMARY KEY,
    generation BIGINT NOT NULL
);
INSERT INTO cache_generations (name, generation) VALUES ('clients', 0), ('keys', 0);
