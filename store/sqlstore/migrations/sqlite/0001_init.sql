-- keypad schema, version 1 (SQLite).
-- Times are BIGINT unix microseconds in UTC; NULL is the zero time.
-- Durations are BIGINT nanoseconds. Lists and documents are JSON text.
-- Secrets appear only as SHA-256 hashes (BLOB).

CREATE TABLE clients (
    id            TEXT NOT NULL PRIMARY KEY,
    name          TEXT NOT NULL,
    description   TEXT NOT NULL,
    secret_hash   BLOB,
    is_public     INTEGER NOT NULL,
    grant_types   TEXT NOT NULL,
    scopes        TEXT NOT NULL,
    redirect_uris TEXT NOT NULL,
    token_format  TEXT NOT NULL,
    access_ttl    BIGINT NOT NULL,
    refresh_ttl   BIGINT NOT NULL,
    options       TEXT NOT NULL,
    created_at    BIGINT,
    updated_at    BIGINT
);

CREATE TABLE scopes (
    name        TEXT NOT NULL PRIMARY KEY,
    description TEXT NOT NULL
);

CREATE TABLE subjects (
    id            TEXT NOT NULL PRIMARY KEY,
    external_id   TEXT UNIQUE,
    username      TEXT UNIQUE,
    password_hash TEXT NOT NULL,
    name          TEXT NOT NULL,
    email         TEXT NOT NULL,
    phone         TEXT NOT NULL,
    identifiers   TEXT NOT NULL, -- JSON; subject_identifiers indexes it
    created_at    BIGINT,
    updated_at    BIGINT
);

-- subject_identifiers is the lookup index of subjects.identifiers: FindSubjects
-- must stay fast over millions of subjects.
CREATE TABLE subject_identifiers (
    type       TEXT NOT NULL,
    value      TEXT NOT NULL,
    subject_id TEXT NOT NULL REFERENCES subjects (id) ON DELETE CASCADE,
    PRIMARY KEY (type, value, subject_id)
);
CREATE INDEX subject_identifiers_subject ON subject_identifiers (subject_id);

CREATE TABLE grants (
    id           TEXT NOT NULL PRIMARY KEY,
    subject      TEXT NOT NULL,
    client_id    TEXT NOT NULL,
    scopes       TEXT NOT NULL,
    device_name  TEXT NOT NULL,
    flow         TEXT NOT NULL,
    created_at   BIGINT,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX grants_subject ON grants (subject, created_at);
CREATE INDEX grants_client ON grants (client_id, created_at);

CREATE TABLE tokens (
    hash       BLOB NOT NULL PRIMARY KEY,
    kind       TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    subject    TEXT NOT NULL,
    scopes     TEXT NOT NULL,
    audience   TEXT NOT NULL,
    grant_id   TEXT NOT NULL,
    family_id  TEXT NOT NULL,
    issued_at  BIGINT,
    expires_at BIGINT,
    used_at    BIGINT,
    revoked_at BIGINT
);
CREATE INDEX tokens_grant ON tokens (grant_id) WHERE grant_id <> '';
CREATE INDEX tokens_family ON tokens (family_id) WHERE family_id <> '';
CREATE INDEX tokens_client ON tokens (client_id);
CREATE INDEX tokens_subject ON tokens (subject);
CREATE INDEX tokens_expires ON tokens (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE revoked_jtis (
    jti        TEXT NOT NULL PRIMARY KEY,
    expires_at BIGINT
);
CREATE INDEX revoked_jtis_expires ON revoked_jtis (expires_at);

CREATE TABLE signing_keys (
    id             TEXT NOT NULL PRIMARY KEY,
    algorithm      TEXT NOT NULL,
    private_sealed BLOB,
    public_key     BLOB,
    created_at     BIGINT,
    retired_at     BIGINT
);

CREATE TABLE counters (
    name       TEXT NOT NULL PRIMARY KEY,
    hits       BIGINT NOT NULL,
    window_end BIGINT NOT NULL
);
CREATE INDEX counters_window_end ON counters (window_end);

CREATE TABLE audit_events (
    id        INTEGER PRIMARY KEY,
    at        BIGINT,
    type      TEXT NOT NULL,
    client_id TEXT NOT NULL,
    subject   TEXT NOT NULL,
    ip        TEXT NOT NULL,
    detail    TEXT NOT NULL
);
CREATE INDEX audit_events_time ON audit_events (at);

CREATE TABLE device_authorizations (
    device_code_hash BLOB NOT NULL PRIMARY KEY,
    user_code_hash   BLOB NOT NULL UNIQUE,
    client_id        TEXT NOT NULL,
    scopes           TEXT NOT NULL,
    status           TEXT NOT NULL,
    subject          TEXT NOT NULL,
    grant_id         TEXT NOT NULL,
    poll_interval    BIGINT NOT NULL,
    last_polled_at   BIGINT,
    created_at       BIGINT,
    expires_at       BIGINT
);
CREATE INDEX device_authorizations_expires ON device_authorizations (expires_at);

CREATE TABLE sessions (
    hash         BLOB NOT NULL PRIMARY KEY,
    subject      TEXT NOT NULL,
    auth_time    BIGINT,
    amr          TEXT NOT NULL,
    data         TEXT NOT NULL,
    created_at   BIGINT,
    last_seen_at BIGINT,
    expires_at   BIGINT
);
CREATE INDEX sessions_subject ON sessions (subject);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE auth_codes (
    hash                  BLOB NOT NULL PRIMARY KEY,
    client_id             TEXT NOT NULL,
    subject               TEXT NOT NULL,
    scopes                TEXT NOT NULL,
    audience              TEXT NOT NULL,
    redirect_uri          TEXT NOT NULL,
    code_challenge        TEXT NOT NULL,
    code_challenge_method TEXT NOT NULL,
    nonce                 TEXT NOT NULL,
    auth_time             BIGINT,
    amr                   TEXT NOT NULL,
    grant_id              TEXT NOT NULL,
    created_at            BIGINT,
    expires_at            BIGINT,
    used_at               BIGINT
);
CREATE INDEX auth_codes_expires ON auth_codes (expires_at);

CREATE TABLE otp_sessions (
    hash            BLOB NOT NULL PRIMARY KEY,
    client_id       TEXT NOT NULL,
    scopes          TEXT NOT NULL,
    subject         TEXT NOT NULL,
    decoy           INTEGER NOT NULL,
    channels        TEXT NOT NULL,
    purpose         TEXT NOT NULL,
    code_hash       BLOB,
    code_expires_at BIGINT,
    last_sent_at    BIGINT,
    sends           INTEGER NOT NULL,
    failed_attempts INTEGER NOT NULL,
    status          TEXT NOT NULL,
    created_at      BIGINT,
    expires_at      BIGINT
);
CREATE INDEX otp_sessions_expires ON otp_sessions (expires_at);

CREATE TABLE outbox_messages (
    id        INTEGER PRIMARY KEY,
    at        BIGINT,
    channel   TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject   TEXT NOT NULL,
    body      TEXT NOT NULL
);
