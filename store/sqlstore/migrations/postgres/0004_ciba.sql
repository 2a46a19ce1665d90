-- CIBA backchannel authentication requests (keypad.CIBARequest). The
-- auth_req_id and the approval link's token are kept only as SHA-256;
-- the client_notification_token is sealed under the server secret.
-- A client's CIBA settings live in its options (JSON), like its other
-- per-client settings, so the clients table does not change.
CREATE TABLE ciba_requests (
    hash               BYTEA NOT NULL PRIMARY KEY,
    link_hash          BYTEA NOT NULL UNIQUE,
    client_id          TEXT NOT NULL,
    subject            TEXT NOT NULL,
    decoy              BOOLEAN NOT NULL,
    scopes             TEXT NOT NULL,
    binding_message    TEXT NOT NULL,
    otp_session        BYTEA,
    mode               TEXT NOT NULL,
    notification_token BYTEA,
    status             TEXT NOT NULL,
    interval_us        BIGINT NOT NULL,
    last_poll_at       BIGINT,
    grant_id           TEXT NOT NULL,
    auth_time          BIGINT,
    ping_status        TEXT NOT NULL,
    ping_due_at        BIGINT,
    ping_attempts      INTEGER NOT NULL,
    created_at         BIGINT,
    expires_at         BIGINT
);
CREATE INDEX ciba_requests_expires ON ciba_requests (expires_at);
CREATE INDEX ciba_requests_ping ON ciba_requests (ping_status, ping_due_at);
