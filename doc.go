// Package keypad holds the domain of the keypad authorization server: the
// nouns (clients, subjects, grants, tokens, signing keys, scopes, security
// counters), the rules that make them valid (Client.Validate,
// Subject.Validate, Subject.SetIdentifiers), and the Store interface that
// every storage backend implements.
//
// The package deliberately imports neither net/http nor database/sql, and
// of keypad's own packages only the leaf token/jose, whose strict JWK
// parser is the rule for a client's assertion keys. It owns no state: the
// protocol in package oauth is the one writer of a flow's state (device
// authorizations, grants, OTP sessions, tokens); the hosted pages (web)
// and the CLI ask oauth and read; storage lives in store/sqlstore, token
// minting in package token and the wiring in package server. They all
// speak in the types defined here. docs/architecture.md draws the layers.
//
// Secrets (client secrets, opaque tokens, refresh tokens, codes) never reach
// a Store in clear: callers hash them first, and the Store keys records by
// that hash: TokenKey (issue time and SHA-256) for opaque access and
// refresh tokens, SecretHash (SHA-256) for the others.
package keypad
