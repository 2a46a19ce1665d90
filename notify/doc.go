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
// Templates turn an OTPData into the words people read. The SMS renderer
// guarantees one segment (160 GSM-7 septets): a text that spills into a
// second segment costs twice as much and, worse, may arrive in pieces or
// in the wrong order, so long client names and scope lists are shortened in
// a fixed order rather than sent long.
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
