-- The admin API's idempotency keys (keypad.IdempotencyRecord): by SHA-256
-- of the caller, the key and the endpoint, the SHA-256 of the first
-- request and, once it was answered, its status, headers and body (never
-- a client secret), kept for 24 hours.
CREATE TABLE idempotency_keys (
    key_hash     BYTEA NOT NULL PRIMARY KEY,
    request_hash BYTEA NOT NULL,
    status       INTEGER NOT NULL DEFAULT 0,
    header       TEXT NOT NULL DEFAULT '{}',
    body         BYTEA,
    created_at   BIGINT,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX idempotency_keys_expires ON idempotency_keys (expires_at);

-- The admin API pages the audit log newest first by (at, id), and filters
-- it by type, client and person (keypad.AuditQuery).
CREATE INDEX audit_events_at_id ON audit_events (at, id);
CREATE INDEX audit_events_type ON audit_events (type, at);
CREATE INDEX audit_events_client ON audit_events (client_id, at);
CREATE INDEX audit_events_subject ON audit_events (subject, at);

-- Bulk imports sent to the admin API (keypad.ImportJob): their status,
-- counts and first bad rows (JSON), kept after they end.
CREATE TABLE import_jobs (
    id         TEXT NOT NULL PRIMARY KEY,
    client_id  TEXT NOT NULL,
    format     TEXT NOT NULL,
    status     TEXT NOT NULL,
    rows_read  BIGINT NOT NULL DEFAULT 0,
    created    BIGINT NOT NULL DEFAULT 0,
    updated    BIGINT NOT NULL DEFAULT 0,
    unchanged  BIGINT NOT NULL DEFAULT 0,
    bad        BIGINT NOT NULL DEFAULT 0,
    errors     TEXT NOT NULL DEFAULT 'null',
    error      TEXT NOT NULL DEFAULT '',
    created_at BIGINT,
    updated_at BIGINT
);
