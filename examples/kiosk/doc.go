// Package kiosk is the demo's "free energy audit" kiosk: a web app for a
// touch screen in a hardware store, and a confidential OAuth client of
// keypad's OTP flow (DESIGN.md, "OTP flow on the wire").
//
// A person types what they know (their service address); the kiosk asks
// keypad to look them up, offers the masked delivery channels keypad
// returns, has a code sent, exchanges the typed code for an access token
// and reads a year of usage from the energy API with it. The kiosk knows
// keypad and the API only over HTTP, as any third party would.
//
// Everything about a visit (the otp_session handle, the token) lives in a
// server-side session named by a random cookie; nothing secret reaches a
// URL or a page. A visit ends on "Done", or after an idle timeout, and is
// then forgotten. Pages are server-rendered and work without JavaScript;
// the one script, static/idle.js, warns before the idle reset and offers
// "More time" (WCAG 2.2.1), under a CSP that allows no inline script,
// only the kiosk's own files. Without script every screen says up front
// that it starts over when left alone, with a "More time" form.
package kiosk
