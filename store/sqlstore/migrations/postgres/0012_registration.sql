-- Dynamic client registration (RFC 7591, RFC 7592; keypad.RegistrationStore).

-- Initial access tokens: the operator's permission to register clients
-- while registration is closed, by SHA-256 of the token. max_uses 0 is
-- any number of uses until expires_at.
CREATE TABLE initial_access_tokens (
    id         TEXT NOT NULL PRIMARY KEY,
    hash       BYTEA NOT NULL UNIQUE,
    expires_at BIGINT NOT NULL,
    max_uses   INTEGER NOT NULL DEFAULT 0,
    uses       INTEGER NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL DEFAULT '',
    created_at BIGINT
);
CREATE INDEX initial_access_tokens_expires ON initial_access_tokens (expires_at);

-- The registrations of the clients registered over HTTP: the SHA-256 of
-- each one's registration access token and the metadata clients has no
-- column for (a JSON document). Deleted with the client.
CREATE TABLE client_registrations (
    client_id  TEXT NOT NULL PRIMARY KEY,
    token_hash BYTEA NOT NULL,
    metadata   TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT,
    updated_at BIGINT
);
