// Package token mints and checks keypad's tokens: JWT access tokens (RFC
// 9068) signed with keys kept in the store, opaque access tokens and
// refresh tokens stored by hash, and the introspection and revocation that
// work on both.
//
// The pieces stack up: LoadSecret finds the server secret; a Sealer
// derives keys from it and seals private signing keys; a Keyring keeps the
// signing keys (ES256 by default, RS256 because RFC 9068 requires it),
// rotates them and publishes the JWKS; the compact JWS code in jwt.go is
// hand-written on the standard library and accepts only what keypad
// itself produces; an Issuer turns a grant's decision into tokens.
//
// Every instance of keypad shares keys through the store. A Keyring
// caches them and re-reads the store when it meets a kid it does not know
// (at most once per ReloadInterval) and on Refresh, so a rotation done by
// one instance, or by `keypad keys rotate`, reaches all of them.
//
// Ownership: this package writes the signing keys and the stored tokens
// (opaque access tokens, refresh tokens) on oauth's behalf; it decides
// how a token looks, never whether one is due — that is the flow's call
// in package oauth. Reading JOSE from outside (a partner's JWK Set, RFC
// 7638 thumbprints) is in the leaf sub-package token/jose, which the
// keyring uses to name its own keys by the same thumbprint.
package token
