-- The durable send queue of OTP messages (keypad.OTPSend): /oauth2/otp/send
-- queues, a worker on any instance delivers. The message is sealed.
CREATE TABLE otp_sends (
    id            INTEGER PRIMARY KEY,
    session_hash  BLOB NOT NULL,
    channel       TEXT NOT NULL,
    sealed        BLOB,
    client_id     TEXT NOT NULL,
    subject       TEXT NOT NULL,
    charges       TEXT NOT NULL,
    charged_at    BIGINT,
    status        TEXT NOT NULL,
    attempts      INTEGER NOT NULL,
    last_error    TEXT NOT NULL,
    created_at    BIGINT,
    due_at        BIGINT NOT NULL,
    give_up_at    BIGINT,
    claimed_by    TEXT NOT NULL,
    claimed_until BIGINT,
    expires_at    BIGINT
);
CREATE INDEX otp_sends_due ON otp_sends (status, due_at);
CREATE INDEX otp_sends_expires ON otp_sends (expires_at);
