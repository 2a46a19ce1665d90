-- DPoP (RFC 9449). tokens.jkt: the thumbprint of the key an opaque
-- access token or a public client's refresh token is bound to; '' for
-- tokens that are not bound, as rows made before this version.
ALTER TABLE tokens ADD COLUMN jkt TEXT NOT NULL DEFAULT '';

-- The DPoP proofs seen, by SHA-256 of their key thumbprint and jti, each
-- kept until its iat is too old to pass again (keypad.DPoPStore); the
-- primary key makes a replay's INSERT fail on every instance.
CREATE TABLE dpop_proofs (
    hash       BYTEA NOT NULL PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX dpop_proofs_expires ON dpop_proofs (expires_at);

-- Pushed authorization requests (RFC 9126; keypad.PushedRequest), by
-- SHA-256 of their request_uri; each is used once, within a minute.
CREATE TABLE pushed_requests (
    hash       BYTEA NOT NULL PRIMARY KEY,
    client_id  TEXT NOT NULL,
    params     TEXT NOT NULL,
    created_at BIGINT,
    expires_at BIGINT,
    used_at    BIGINT
);
CREATE INDEX pushed_requests_expires ON pushed_requests (expires_at);
