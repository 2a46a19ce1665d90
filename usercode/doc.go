// Package usercode makes the short codes people type: device-flow user
// codes (RFC 8628 §6.1) such as WDJB-MJHT, and the numeric one-time codes
// of the OTP flow such as 482193.
//
// A code has two forms. The canonical form (upper case, no separators) is
// what keypad hashes and stores; the display form groups it with dashes so
// a person can read it off a television across the room. Normalize turns
// whatever a person typed back into the canonical form, forgiving case,
// spaces, dashes and full-width characters from phone keyboards, and
// rejecting everything else.
//
// Codes are drawn with rejection sampling from an injected randomness
// source, so every code in the space is equally likely and tests can
// replay a reader byte by byte.
//
// The default alphabet, BCDFGHJKLMNPQRSTVWXZ, has no vowels, so a code
// never spells a word, and no digits, so 0 and O, 1 and I, 5 and S cannot
// be confused. Eight of its letters carry 34.5 bits: with the attempt
// limits DESIGN.md requires on code entry, guessing a live code is
// hopeless.
package usercode
