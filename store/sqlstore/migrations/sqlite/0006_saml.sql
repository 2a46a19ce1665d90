-- The SAML 2.0 identity providers the saml2-bearer grant trusts
-- (keypad.IdP): certificates is a JSON array of base64 DER certificates.
CREATE TABLE saml_idps (
    id           TEXT NOT NULL PRIMARY KEY,
    name         TEXT NOT NULL,
    entity_id    TEXT NOT NULL UNIQUE,
    certificates TEXT NOT NULL,
    name_id_map  TEXT NOT NULL,
    created_at   BIGINT,
    updated_at   BIGINT
);
