-- The RFC 8707 resource indicators named at device authorization
-- (keypad.DeviceAuthorization.Resources), a JSON array like
-- authorization_codes.audience; 'null' for none, as rows made before
-- this version.
ALTER TABLE device_authorizations ADD COLUMN resources TEXT NOT NULL DEFAULT 'null';
