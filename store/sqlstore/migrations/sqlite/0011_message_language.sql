-- An OTP session remembers the language its messages are written in:
-- the person's preferred language and the one the client asked for
-- (ui_locales), each as the message templates have it, '' for none (the
-- server's default_language), which is what rows made before meant.
ALTER TABLE otp_sessions ADD COLUMN language TEXT NOT NULL DEFAULT '';
ALTER TABLE otp_sessions ADD COLUMN ui_language TEXT NOT NULL DEFAULT '';
