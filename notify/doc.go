// Package notify delivers keypad's one-time codes: the OTP flow texts or
// emails a code together with who is asking and what for (DESIGN.md,
// "Hardware store kiosk").
//
// A Sender delivers one Message. SMTPSender speaks SMTP (STARTTLS by
// default), TwilioSender speaks Twilio's Messages API (and the APIs that
// copy it), WebhookSender posts a signed JSON document to an operator's
// endpoint, and Outbox keeps messages in the Store for `serve --dev`. A
// Router picks the Sender for a message's channel.
//
// Templates turn an OTPData (or a CIBAData) into the words people read, in
// the language asked for: templates are data, one directory per language
// (templates/<tag>/, English and Spanish built in; an operator's directory
// may add or replace any), with a words.txt for plural forms (CLDR, via
// golang.org/x/text/feature/plural) and times of day. The SMS renderer
// guarantees one segment (160 GSM-7 septets, or 70 UCS-2 units): a text
// that spills into a second segment costs twice as much and, worse, may
// arrive in pieces or in the wrong order, so a Spanish text drops the
// accents GSM-7 lacks rather than go UCS-2 and long, and long client names
// and scope lists are shortened in a fixed order rather than sent long.
// CheckSMS reports what each template costs (`keypad templates check`).
//
// Failures come back as *DeliveryError, which says whether trying again can
// help (Permanent) in words that are safe to show a client (Reason). No
// error or log line from this package carries credentials or the message
// body: the body holds the code.
//
// Ownership: the only state this package writes is the dev outbox
// (Outbox). Whether and when a code is sent, and the OTP session that
// records it, belong to the OTP flow in package oauth.
package notify
