-- DPoP (RFC 9449). tokens.jkt: the thumbprint of the key an opaque
-- access token or a public client's refresh token is bound to; '' for
-- tokens that are not bound, as rows made before this version.
ALTER TABLE tokens ADD COLUMN jkt TEXT NOT NULL DEFAULT '';

-- The DPoP proofs seen, by SHA-256 of their key thumbprint and jti, each
-- kept until its iat is too old to pass again (keypad.DPoPStore); the
-- primary key makes a replay's INSERT fail on every instance.
CREATE TABLE dpop_proofs (
    hash       BLOB NOT NULL PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX dpop_proofs_expires ON dpop_proofs (expires_at);
