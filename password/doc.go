// Package password hashes and checks people's passwords with argon2id
// (RFC 9106), the memory-hard function OWASP recommends first.
//
// A hash is stored as a PHC string,
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
//
// the format the reference implementation and most libraries read and
// write, so a hash can move in or out of keypad. The string carries its own
// parameters: Verify reads them, which lets keypad raise its defaults
// without locking anyone out, and NeedsRehash tells the sign-in code when
// to store a stronger hash after a successful login. Because a tampered
// database could put absurd parameters there, parsing is strict and caps
// memory, passes and threads.
//
// Passwords are NFKC-normalised before hashing (NIST SP 800-63B §3.1.1.2),
// so "é" typed as one code point on one device and as e plus an accent on
// another are the same password.
//
// VerifyDummy costs what a real Verify costs, so answering "wrong email or
// password" for an unknown account takes as long as for a known one.
package password
